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
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from evaluation.meteor_native.normalize import parse_prefixes, split_tokens
from evaluation.meteor_native.paraphrase import build_paraphrase_index

log = logging.getLogger(__name__)

_FORMAT = "compmo-meteor-native-3"


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
    synsets: dict[str, frozenset[int]]
    exceptions: dict[str, tuple[str, ...]]  # inflected form -> base forms, file order


def _read_lexicon(jar: Path) -> dict:
    with zipfile.ZipFile(jar) as z:
        words = z.read("function/english.words").decode("utf-8").splitlines()
        prefixes = z.read("nonbreaking/english.prefixes").decode("utf-8")
        syn_lines = z.read("synonym/english.synsets").decode("utf-8").splitlines()
        exc_lines = z.read("synonym/english.exceptions").decode("utf-8").splitlines()
    synsets = {}
    for k in range(0, len(syn_lines) - 1, 2):
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


def index_dir() -> Path:
    """The cached index of the installed resources, built on first use (atomically)."""
    jar, para = source_files()
    target = cache_root() / f"meteor-native-{_key((jar, para))}"
    if (target / "done").is_file():
        return target
    log.info("building the METEOR resource index in %s (once; about a minute)", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="meteor-native-", dir=target.parent))
    try:
        (tmp / "lexicon.json").write_text(json.dumps(_read_lexicon(jar)), encoding="utf-8")
        build_paraphrase_index(para, tmp)
        (tmp / "done").write_text(_FORMAT)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def load_lexicon(directory: Path) -> Lexicon:
    data = json.loads((directory / "lexicon.json").read_text(encoding="utf-8"))
    return Lexicon(
        function_words=frozenset(data["function_words"]),
        prefixes=data["prefixes"],
        synsets={w: frozenset(s) for w, s in data["synsets"].items()},
        exceptions={w: tuple(b) for w, b in data["exceptions"].items()},
    )
