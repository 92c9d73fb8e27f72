"""METEOR 1.5's English paraphrase table: a cached index and the entries a run can use.

``paraphrase-en.gz`` has 5.3 M entries of three lines (probability, phrase, paraphrase). The index
holds a vocabulary, each side's token ids (flat arrays with offsets) and a 64-bit hash of each
side's id sequence, sorted, so that :meth:`ParaphraseTable.add_sentences` finds in milliseconds
the entries whose phrase and paraphrase both occur as n-grams of the sentences seen so far. Only
those can ever match (a match needs the phrase in one sentence and the paraphrase in the other);
a hash collision only keeps an entry that then never matches, as matching compares words.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evaluation.meteor_native.normalize import split_tokens

Phrase = tuple[str, ...]
_P = 0x100000001B3  # FNV prime: multiplier of the polynomial hash
_SIDES = ("src", "tgt")


def _hash_arrays(tok: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Per entry: the polynomial hash of its token ids (+1), wrapping at 2**64."""
    lengths = np.diff(off)
    h = np.zeros(len(lengths), dtype=np.uint64)
    for pos in range(int(lengths.max(initial=0))):
        rows = np.flatnonzero(lengths > pos)
        h[rows] = h[rows] * np.uint64(_P) + (tok[off[rows] + pos].astype(np.uint64) + np.uint64(1))
    return h


def build_paraphrase_index(para: Path, target: Path) -> None:
    """Parse ``paraphrase-en.gz`` into ``vocab.txt`` and ``.npy`` arrays in ``target``."""
    vocab: dict[str, int] = {}
    toks: dict[str, list[int]] = {"src": [], "tgt": []}
    offs: dict[str, list[int]] = {"src": [0], "tgt": [0]}
    with gzip.open(para, "rt", encoding="utf-8") as f:
        while f.readline():  # probability line
            for side in _SIDES:
                t = toks[side]
                for w in split_tokens(f.readline()):
                    t.append(vocab.setdefault(w, len(vocab)))
                offs[side].append(len(t))
    (target / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    for side in _SIDES:
        tok = np.asarray(toks[side], dtype=np.int32)
        off = np.asarray(offs[side], dtype=np.int64)
        h = _hash_arrays(tok, off)
        order = np.argsort(h, kind="stable")
        np.save(target / f"{side}_tok.npy", tok)
        np.save(target / f"{side}_off.npy", off)
        np.save(target / f"{side}_order.npy", order.astype(np.int32))
        np.save(target / f"{side}_sorted.npy", h[order])
        np.save(target / f"{side}_hash.npy", h)
    lengths = [int(np.diff(np.asarray(offs[s])).max(initial=0)) for s in _SIDES]
    (target / "max_len.txt").write_text(f"{lengths[0]} {lengths[1]}")


@dataclass
class ParaphraseTable:
    """The entries usable with the sentences seen so far (grows with :meth:`add_sentences`).

    ``entries[phrase][paraphrase]`` lists the entry numbers (file order) of every kept entry.
    """

    directory: Path
    entries: dict[Phrase, dict[Phrase, list[int]]] = field(default_factory=dict)
    max_len: int = 0  # longest kept phrase
    max_par_len: int = 0  # longest kept paraphrase
    version: int = 0  # bumped whenever entries are added
    src_prefixes: set[Phrase] = field(default_factory=set)  # every prefix of a kept phrase
    tgt_prefixes: set[Phrase] = field(default_factory=set)  # every prefix of a kept paraphrase
    _loaded: bool = False

    def load(self) -> None:
        """Open the index now (else on first use)."""
        if not self._loaded:
            self._load()

    def _load(self) -> None:
        d = self.directory
        self._words = (d / "vocab.txt").read_text(encoding="utf-8").split("\n")
        self._ids = {w: i for i, w in enumerate(self._words)}
        self._a = {
            f"{side}_{name}": np.load(d / f"{side}_{name}.npy", mmap_mode="r", allow_pickle=False)
            for side in _SIDES
            for name in ("tok", "off", "order", "sorted", "hash")
        }
        self._longest = max(int(x) for x in (d / "max_len.txt").read_text().split())
        self._seen = np.zeros(0, dtype=np.uint64)  # n-gram hashes of all sentences so far, sorted
        self._kept = np.zeros(len(self._a["src_off"]) - 1, dtype=bool)
        self._loaded = True

    def _ngram_hashes(self, sentences: Iterable[Phrase]) -> np.ndarray:
        """The hash of :func:`_hash_arrays` of every n-gram (up to the longest phrase of the table) of the
        sentences whose words are all in the table's vocabulary, distinct and sorted."""
        ids: list[int] = []
        for words in sentences:
            ids.extend([self._ids.get(w, -1) for w in words])
            ids.append(-1)  # no n-gram crosses a sentence
        tok = np.asarray(ids, dtype=np.int64)
        ok = tok >= 0
        step = np.where(ok, tok + 1, 0).astype(np.uint64)
        h = step.copy()  # length 1: 0 * P + id + 1
        found = [h[ok]]
        for length in range(2, self._longest + 1):
            ok = ok[:-1] & (tok[length - 1 :] >= 0)
            if not ok.any():
                break
            h = h[:-1] * np.uint64(_P) + step[length - 1 :]  # wraps at 2**64, as _hash_arrays
            found.append(h[ok])
        return _sorted_unique(np.concatenate(found))

    def add_sentences(self, sentences: Iterable[Phrase]) -> None:
        """Keep every entry whose phrase and paraphrase occur in the sentences seen so far."""
        if not self._loaded:
            self._load()
        fresh = self._ngram_hashes(sentences)
        fresh = fresh[~_isin_sorted(fresh, self._seen)]
        if fresh.size == 0:
            return
        self._seen = _sorted_unique(np.concatenate((self._seen, fresh)))
        a = self._a
        cand = []
        for side, other in (("src", "tgt"), ("tgt", "src")):
            srt = a[f"{side}_sorted"]
            lo = np.searchsorted(srt, fresh, side="left")
            counts = np.searchsorted(srt, fresh, side="right") - lo
            total = int(counts.sum())
            if total == 0:
                continue
            first = np.repeat(lo - (np.cumsum(counts) - counts), counts)  # row k of range r:
            rows = np.asarray(a[f"{side}_order"][first + np.arange(total)])  # lo[r] + k
            keep = _isin_sorted(np.asarray(a[f"{other}_hash"][rows]), self._seen)
            cand.append(rows[keep])
        if cand:
            self._add_rows(_sorted_unique(np.concatenate(cand)))

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(kept entry numbers, n-gram hashes seen): what :meth:`restore` needs to rebuild this
        table in another process without reading the sentences again."""
        if not self._loaded:
            self._load()
        return np.flatnonzero(self._kept), self._seen

    def restore(self, state: tuple[np.ndarray, np.ndarray]) -> None:
        """Add the entries and seen n-grams of another table's :meth:`state`."""
        if not self._loaded:
            self._load()
        rows, seen = state
        self._seen = _sorted_unique(np.concatenate((self._seen, seen.astype(np.uint64))))
        self._add_rows(np.asarray(rows, dtype=np.int64))

    def _add_rows(self, added: np.ndarray) -> None:
        """Keep entries ``added`` (sorted entry numbers)."""
        a = self._a
        added = added[~self._kept[added]]
        if added.size == 0:
            return
        self._kept[added] = True
        srcs = _phrases(self._words, a["src_off"], a["src_tok"], added)
        tgts = _phrases(self._words, a["tgt_off"], a["tgt_tok"], added)
        entries = self.entries
        grown = []  # lists that held entries before: ``added`` is sorted, they may not be
        for e, src, tgt in zip(added.tolist(), srcs, tgts, strict=True):
            pars = entries.get(src)
            if pars is None:
                pars = entries[src] = {}
            got = pars.get(tgt)
            if got is None:
                pars[tgt] = [e]
            else:
                got.append(e)
                grown.append(got)
        for got in grown:
            got.sort()
        for phrases, prefixes in ((srcs, self.src_prefixes), (tgts, self.tgt_prefixes)):
            for phrase in set(phrases):
                prefixes.update(phrase[:k] for k in range(1, len(phrase) + 1))
        self.max_len = max(self.max_len, *map(len, srcs))
        self.max_par_len = max(self.max_par_len, *map(len, tgts))
        self.version += 1


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` by sorting (NumPy 2's hash-based unique is several times slower here)."""
    x = np.sort(x)
    if x.size:
        x = x[np.concatenate(([True], x[1:] != x[:-1]))]
    return x


def _isin_sorted(x: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """``np.isin(x, sorted_values)`` for a sorted array."""
    if sorted_values.size == 0:
        return np.zeros(x.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_values, x), sorted_values.size - 1)
    return sorted_values[pos] == x


def _phrases(words: list[str], off: np.ndarray, tok: np.ndarray, rows: np.ndarray) -> list[Phrase]:
    """The phrases of entries ``rows`` as word tuples."""
    starts = np.asarray(off[rows])
    lengths = np.asarray(off[rows + 1]) - starts
    flat = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    flat += np.arange(flat.size)
    ids = np.asarray(tok[flat]).tolist()
    word = words.__getitem__
    out, pos = [], 0
    for n in lengths.tolist():
        out.append(tuple(map(word, ids[pos : pos + n])))
        pos += n
    return out
