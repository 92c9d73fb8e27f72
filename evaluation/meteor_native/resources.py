"""METEOR 1.5's English resources, read from the installed pycocoevalcap and cached.

The jar (``meteor/meteor-1.5.jar``) holds the function words, the non-breaking prefixes and the
WordNet synonym data; ``meteor/data/paraphrase-en.gz`` holds 5.3 M paraphrase entries. Both are
turned once into an index under ``$XDG_CACHE_HOME/compmo`` (default ``~/.cache/compmo``; JSON and
numpy ``.npy`` files, no pickle), keyed by the path, size and modification time of both files and
built atomically (a temporary folder renamed into place).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compmo_gen.core.io import atomic_dir
from evaluation.meteor_native.normalize import parse_prefixes, split_tokens
from evaluation.meteor_native.paraphrase import build_paraphrase_index

log = logging.getLogger(__name__)

_FORMAT = "compmo-meteor-native-4"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/compmo`` or ``~/.cache/compmo``."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "compmo"


def source_files() -> tuple[Path, Path]:
    """(meteor-1.5.jar, paraphrase-en.gz) of the installed pycocoevalcap."""
    from compmo_gen.core.errors import PrerequisiteError
    from evaluation.javatools import METEOR_JAR, jar_path

    jar = jar_path(METEOR_JAR)
    para = jar.parent / "data" / "paraphrase-en.gz"
    if not para.is_file():
        raise PrerequisiteError(f"{para} is missing: reinstall pycocoevalcap==1.2")
    return jar, para


def _key(paths: tuple[Path, ...]) -> str:
    h = hashlib.sha256(_FORMAT.encode())
    for p in paths:
        st = p.stat()
        h.update(f"{p.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()[:16]


@dataclass
class Lexicon:
    """Function words, non-breaking prefixes and WordNet synonym data of the jar."""

    function_words: frozenset[str]
    prefixes: dict[str, int]
    synsets: Synsets
    exceptions: dict[str, tuple[str, ...]]  # inflected form -> base forms, file order


class Synsets:
    """word -> its WordNet synset numbers, read from flat arrays on demand (fast to load)."""

    def __init__(self, directory: Path) -> None:
        words = (directory / "synset_words.txt").read_text(encoding="utf-8").split("\n")
        self._row = {w: i for i, w in enumerate(words)}
        self._off = np.load(directory / "synset_off.npy", allow_pickle=False)
        self._ids = np.load(directory / "synset_ids.npy", allow_pickle=False)
        self._cache: dict[str, frozenset[int]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._row

    def get(self, word: str, default: frozenset[int] = frozenset()) -> frozenset[int]:
        row = self._row.get(word)
        if row is None:
            return default
        found = self._cache.get(word)
        if found is None:
            ids = self._ids[self._off[row] : self._off[row + 1]]
            found = self._cache[word] = frozenset(ids.tolist())
        return found


def _read_lexicon(jar: Path) -> dict:
    with zipfile.ZipFile(jar) as z:
        words = z.read("function/english.words").decode("utf-8").splitlines()
        prefixes = z.read("nonbreaking/english.prefixes").decode("utf-8")
        syn_lines = z.read("synonym/english.synsets").decode("utf-8").splitlines()
        exc_lines = z.read("synonym/english.exceptions").decode("utf-8").splitlines()
    synsets: dict[str, list[int]] = {}
    for k in range(0, len(syn_lines) - 1, 2):  # a repeated word: the last line wins
        synsets[syn_lines[k]] = [int(x) for x in split_tokens(syn_lines[k + 1])]
    exceptions: dict[str, list[str]] = {}
    for k in range(0, len(exc_lines) - 1, 2):
        base = exc_lines[k]
        for form in split_tokens(exc_lines[k + 1]):
            exceptions.setdefault(form, []).append(base)
    return {
        "function_words": words,
        "prefixes": parse_prefixes(prefixes),
        "synsets": synsets,
        "exceptions": exceptions,
    }


def _write_lexicon(lexicon: dict, target: Path) -> None:
    synsets = lexicon.pop("synsets")
    (target / "lexicon.json").write_text(json.dumps(lexicon), encoding="utf-8")
    (target / "synset_words.txt").write_text("\n".join(synsets), encoding="utf-8")
    lengths = [len(v) for v in synsets.values()]
    np.save(target / "synset_off.npy", np.concatenate(([0], np.cumsum(lengths))).astype(np.int64))
    np.save(
        target / "synset_ids.npy",
        np.asarray([i for v in synsets.values() for i in v], dtype=np.int64),
    )


def index_dir() -> Path:
    """The cached index of the installed resources, built on first use (atomically)."""
    jar, para = source_files()
    target = cache_root() / f"meteor-native-{_key((jar, para))}"
    if (target / "done").is_file():
        return target
    log.info("building the METEOR resource index in %s (once; about a minute)", target)
    with atomic_dir(target, exist_ok=True) as tmp:  # another process may finish first
        _write_lexicon(_read_lexicon(jar), tmp)
        build_paraphrase_index(para, tmp)
        (tmp / "done").write_text(_FORMAT)
    return target


def load_lexicon(directory: Path) -> Lexicon:
    data = json.loads((directory / "lexicon.json").read_text(encoding="utf-8"))
    return Lexicon(
        function_words=frozenset(data["function_words"]),
        prefixes=data["prefixes"],
        synsets=Synsets(directory),
        exceptions={w: tuple(b) for w, b in data["exceptions"].items()},
    )
