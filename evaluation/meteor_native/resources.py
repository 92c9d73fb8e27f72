"""METEOR 1.5's English resources, read from the installed pycocoevalcap and cached.

The jar (``meteor/meteor-1.5.jar``) holds the function words, the non-breaking prefixes and the
WordNet synonym data; ``meteor/data/paraphrase-en.gz`` holds 5.3 M paraphrase entries (three lines
each: probability, phrase, paraphrase). Parsing the paraphrase table takes a while, so it is turned
once into an index under ``$XDG_CACHE_HOME/compmo`` (default ``~/.cache/compmo``): a vocabulary and
flat int32 arrays (numpy ``.npy``, read memory-mapped without pickle), keyed by the size and
modification time of both files. A run then keeps only the entries whose words all occur in the
sentences it scores (:meth:`ParaphraseTable.restrict`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evaluation.meteor_native.normalize import parse_prefixes, split_tokens

log = logging.getLogger(__name__)

_FORMAT = "compmo-meteor-native-1"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/compmo`` or ``~/.cache/compmo``."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "compmo"


def source_files() -> tuple[Path, Path]:
    """(meteor-1.5.jar, paraphrase-en.gz) of the installed pycocoevalcap."""
    from compmo_gen.cliutil import UserError
    from evaluation.javatools import METEOR_JAR, jar_path

    jar = jar_path(METEOR_JAR)
    para = jar.parent / "data" / "paraphrase-en.gz"
    if not para.is_file():
        raise UserError(f"{para} is missing: reinstall pycocoevalcap==1.2")
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


def _build_paraphrases(para: Path, target: Path) -> None:
    """Parse ``paraphrase-en.gz`` into ``vocab.txt`` and four int arrays in ``target``."""
    vocab: dict[str, int] = {}
    src_tok: list[int] = []
    tgt_tok: list[int] = []
    src_off = [0]
    tgt_off = [0]
    with gzip.open(para, "rt", encoding="utf-8") as f:
        while f.readline():  # probability line
            for line, toks, offs in ((f.readline(), src_tok, src_off), (f.readline(), tgt_tok, tgt_off)):  # fmt: skip
                for w in split_tokens(line):
                    toks.append(vocab.setdefault(w, len(vocab)))
                offs.append(len(toks))
    (target / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    np.save(target / "src_off.npy", np.asarray(src_off, dtype=np.int64))
    np.save(target / "src_tok.npy", np.asarray(src_tok, dtype=np.int32))
    np.save(target / "tgt_off.npy", np.asarray(tgt_off, dtype=np.int64))
    np.save(target / "tgt_tok.npy", np.asarray(tgt_tok, dtype=np.int32))


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
        _build_paraphrases(para, tmp)
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


Phrase = tuple[str, ...]


@dataclass
class ParaphraseTable:
    """The paraphrase entries, restricted on demand to a growing vocabulary.

    ``entries[phrase]`` lists ``(entry number, paraphrase)`` in file order for every kept entry.
    """

    directory: Path
    entries: dict[Phrase, list[tuple[int, Phrase]]] = field(default_factory=dict)
    max_len: int = 0
    max_par_len: int = 0
    version: int = 0  # bumped whenever entries are added
    _words: list[str] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)
    _known: np.ndarray | None = None
    _kept: np.ndarray | None = None

    def _load(self) -> None:
        d = self.directory
        self._words = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")
        self._ids = {w: i for i, w in enumerate(self._words)}
        names = ("src_off", "src_tok", "tgt_off", "tgt_tok")
        self._arrays = [np.load(d / f"{n}.npy", allow_pickle=False) for n in names]
        self._known = np.zeros(len(self._words) + 1, dtype=bool)
        self._kept = np.zeros(len(self._arrays[0]) - 1, dtype=bool)

    def restrict(self, words: set[str]) -> None:
        """Add the entries whose phrase and paraphrase use only words seen so far (and ``words``)."""
        if self._known is None:
            self._load()
        assert self._known is not None and self._kept is not None
        new = [self._ids[w] for w in words if w in self._ids]
        new = [i for i in new if not self._known[i]]
        if not new:
            return
        self._known[new] = True
        src_off, src_tok, tgt_off, tgt_tok = self._arrays
        ok = _all_known(self._known, src_off, src_tok) & _all_known(self._known, tgt_off, tgt_tok)
        added = np.flatnonzero(ok & ~self._kept)
        self._kept |= ok
        if added.size == 0:
            return
        srcs = _phrases(self._words, src_off, src_tok, added)
        tgts = _phrases(self._words, tgt_off, tgt_tok, added)
        touched = set()
        for e, src, tgt in zip(added.tolist(), srcs, tgts, strict=True):
            self.entries.setdefault(src, []).append((e, tgt))
            touched.add(src)
            self.max_len = max(self.max_len, len(src))
            self.max_par_len = max(self.max_par_len, len(tgt))
        for src in touched:
            self.entries[src].sort()
        self.version += 1


def _phrases(words: list[str], off: np.ndarray, tok: np.ndarray, rows: np.ndarray) -> list[Phrase]:
    """The phrases of entries ``rows`` (ascending) as word tuples."""
    starts = np.asarray(off[rows])
    lengths = np.asarray(off[rows + 1]) - starts
    flat = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    flat += np.arange(flat.size)
    ids = np.asarray(tok[flat]).tolist()
    out, pos = [], 0
    for n in lengths.tolist():
        out.append(tuple(words[t] for t in ids[pos : pos + n]))
        pos += n
    return out


def _all_known(known: np.ndarray, off: np.ndarray, tok: np.ndarray) -> np.ndarray:
    """Per entry: every token known (an empty phrase counts as known)."""
    bad = np.concatenate(([0], np.cumsum(~known[tok], dtype=np.int64)))
    return bad[off[1:]] == bad[off[:-1]]
