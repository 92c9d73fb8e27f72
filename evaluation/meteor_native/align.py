"""METEOR 1.5's aligner: the four matching stages and the beam search over their matches.

Written from the METEOR papers and the behaviour of meteor-1.5.jar. Words are compared by their
Java ``String.hashCode`` (as the jar does, so its rare hash collisions count as matches). Stages,
in order: exact, stem (same Snowball stem, different word), synonym (a shared WordNet synset of
the word or its base forms, different word) and paraphrase (a phrase of one sentence whose
paraphrase occurs in the other, both directions). Matches whose words no other match touches are
fixed first; the rest are resolved left to right over the reference with a beam of 40 partial
alignments ranked by (more weighted matched words, fewer chunks, smaller distance), the ranking
weights being 1 for exact and 0.5 for the other stages with the jar's integer truncation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evaluation.meteor_native.normalize import java_hash
from evaluation.meteor_native.resources import Lexicon, ParaphraseTable

BEAM_SIZE = 40
#: Ranking weights of the search (exact, stem, synonym, paraphrase).
SEARCH_WEIGHTS = (1.0, 0.5, 0.5, 0.5)

# A match: (ref start, ref length, test start, test length, stage)
Match = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class AlignmentCounts:
    """What the scorer needs from an alignment (per stage: content and function words)."""

    test_len: int
    ref_len: int
    test_function: int
    ref_function: int
    test_content_matches: tuple[int, ...]
    ref_content_matches: tuple[int, ...]
    test_function_matches: tuple[int, ...]
    ref_function_matches: tuple[int, ...]
    chunks: int


class _Path:
    __slots__ = ("matches", "m1", "m2", "chunks", "idx", "last", "dist", "used1", "used2")

    def copy(self) -> _Path:
        p = _Path()
        p.matches = self.matches[:]
        p.m1, p.m2, p.chunks, p.idx = self.m1, self.m2, self.chunks, self.idx
        p.last, p.dist, p.used1, p.used2 = self.last, self.dist, self.used1, self.used2
        return p


def _rank(p: _Path) -> tuple[int, int, int]:
    return (-(p.m1 + p.m2), p.chunks, p.dist)


def _mask(start: int, length: int) -> int:
    return ((1 << length) - 1) << start


class Aligner:
    """Aligns a test sentence to a reference (both already normalised, as word lists)."""

    def __init__(
        self, lexicon: Lexicon, stem: Callable[[str], str], paraphrases: ParaphraseTable
    ) -> None:
        self.lexicon = lexicon
        self.stem = stem
        self.paraphrases = paraphrases
        self._hash: dict[str, int] = {}
        self._stem_hash: dict[str, int] = {}
        self._syn: dict[str, frozenset[int]] = {}

    def _word_hash(self, w: str) -> int:
        h = self._hash.get(w)
        if h is None:
            h = self._hash[w] = java_hash(w)
        return h

    def _stem_key(self, w: str) -> int:
        h = self._stem_hash.get(w)
        if h is None:
            h = self._stem_hash[w] = java_hash(self.stem(w))
        return h

    def synonym_sets(self, w: str) -> frozenset[int]:
        """The word's synsets plus those of its base forms (exception list, else morphology)."""
        s = self._syn.get(w)
        if s is None:
            lex = self.lexicon
            own = lex.synsets.get(w, frozenset())
            bases = lex.exceptions.get(w)
            if bases is not None:
                extra: set[int] = set()
                for b in bases:
                    extra |= lex.synsets.get(b, frozenset())
            else:
                extra = set(lex.synsets.get(_morph(w, lex.synsets), frozenset()))
            s = self._syn[w] = own | extra
        return s

    def matches(self, test: Sequence[str], ref: Sequence[str]) -> list[list[Match]]:
        """Per reference position, the candidate matches starting there, in the jar's order."""
        h1 = [self._word_hash(w) for w in test]
        h2 = [self._word_hash(w) for w in ref]
        n1, n2 = len(test), len(ref)
        out: list[list[Match]] = [[] for _ in range(n2)]
        for j in range(n2):
            for i in range(n1):
                if h1[i] == h2[j]:
                    out[j].append((j, 1, i, 1, 0))
        if n1 == n2 and h1 == h2:
            return out
        s1 = [self._stem_key(w) for w in test]
        s2 = [self._stem_key(w) for w in ref]
        for j in range(n2):
            for i in range(n1):
                if s1[i] == s2[j] and h1[i] != h2[j]:
                    out[j].append((j, 1, i, 1, 1))
        y1 = [self.synonym_sets(w) for w in test]
        y2 = [self.synonym_sets(w) for w in ref]
        for j in range(n2):
            if y2[j]:
                for i in range(n1):
                    if h1[i] != h2[j] and not y2[j].isdisjoint(y1[i]):
                        out[j].append((j, 1, i, 1, 2))
        self._paraphrase_matches(test, ref, out)
        return out

    def _paraphrase_matches(self, test: Sequence[str], ref: Sequence[str], out: list) -> None:
        table = self.paraphrases
        entries, max_len = table.entries, table.max_len
        n1, n2 = len(test), len(ref)
        # reference phrase -> paraphrase found in the test sentence
        for j in range(n2):
            for length in range(1, min(max_len, n2 - j) + 1):
                found = entries.get(tuple(ref[j : j + length]))
                if found:
                    for _, par in found:
                        k = len(par)
                        for i in range(n1):
                            if i + k <= n1 and tuple(test[i : i + k]) == par:
                                out[j].append((j, length, i, k, 3))
        # test phrase -> paraphrase found in the reference
        for i in range(n1):
            for length in range(1, min(max_len, n1 - i) + 1):
                found = entries.get(tuple(test[i : i + length]))
                if found:
                    for _, par in found:
                        k = len(par)
                        for j in range(n2):
                            if j + k <= n2 and tuple(ref[j : j + k]) == par:
                                out[j].append((j, k, i, length, 3))

    def align(self, test: Sequence[str], ref: Sequence[str]) -> AlignmentCounts:
        """Best alignment's per-stage counts and chunks."""
        n1, n2 = len(test), len(ref)
        cand = self.matches(test, ref)
        cov1 = [0] * n1
        cov2 = [0] * n2
        for lst in cand:
            for j, ln, i, mln, _ in lst:
                for k in range(ln):
                    cov2[j + k] += 1
                for k in range(mln):
                    cov1[i + k] += 1
        start = _Path()
        start.matches = [None] * n2
        start.m1 = start.m2 = start.chunks = start.idx = start.dist = 0
        start.last = -1
        start.used1 = start.used2 = 0
        for j, lst in enumerate(cand):
            if len(lst) == 1:
                m = lst[0]
                if all(cov2[j + k] == 1 for k in range(m[1])) and all(
                    cov1[m[2] + k] == 1 for k in range(m[3])
                ):
                    start.matches[j] = m
                    start.used2 |= _mask(j, m[1])
                    start.used1 |= _mask(m[2], m[3])
        best = _resolve(cand, start)
        fw = self.lexicon.function_words
        func1 = [w.lower() in fw for w in test]
        func2 = [w.lower() in fw for w in ref]
        c1, c2, f1, f2 = [0] * 4, [0] * 4, [0] * 4, [0] * 4
        for m in best:
            if m is not None:
                j, ln, i, mln, mod = m
                for k in range(mln):
                    if func1[i + k]:
                        f1[mod] += 1
                    else:
                        c1[mod] += 1
                for k in range(ln):
                    if func2[j + k]:
                        f2[mod] += 1
                    else:
                        c2[mod] += 1
        return AlignmentCounts(
            n1, n2, sum(func1), sum(func2), tuple(c1), tuple(c2), tuple(f1), tuple(f2),
            _chunks(best),
        )  # fmt: skip


def _resolve(cand: list[list[Match]], start: _Path) -> list:
    """The jar's beam search; returns the best path's match per reference position."""
    n = len(cand)
    w = SEARCH_WEIGHTS
    next_paths = [start]
    for current in range(n + 1):
        paths = next_paths
        next_paths = []
        paths.sort(key=_rank)
        for path in paths[:BEAM_SIZE]:
            if current == n:
                if path.last != -1:
                    path.chunks += 1
                next_paths.append(path)
                continue
            if path.used2 >> current & 1:
                if current < path.idx:
                    next_paths.append(path)
                elif path.matches[path.idx] is not None:
                    j, ln, i, mln, mod = path.matches[path.idx]
                    path.m1 = int(path.m1 + mln * w[mod])
                    path.m2 = int(path.m2 + ln * w[mod])
                    if path.last != -1 and i != path.last:
                        path.chunks += 1
                    path.idx = j + ln
                    path.last = i + mln
                    path.dist += abs(j - i)
                    next_paths.append(path)
                continue
            for m in cand[current]:
                j, ln, i, mln, mod = m
                mask2 = _mask(j, ln)
                mask1 = _mask(i, mln)
                if path.used2 & mask2 or path.used1 & mask1:
                    continue
                p = path.copy()
                p.used2 |= mask2
                p.used1 |= mask1
                p.matches[current] = m
                p.m1 = int(p.m1 + mln * w[mod])
                p.m2 = int(p.m2 + ln * w[mod])
                if p.last != -1 and i != p.last:
                    p.chunks += 1
                p.idx = j + ln
                p.last = i + mln
                path.dist += abs(j - i)  # sic: the jar adds the distance to the parent path
                next_paths.append(p)
            if path.last != -1:
                path.chunks += 1
                path.last = -1
            path.idx += 1
            next_paths.append(path)
        if not next_paths:
            next_paths.append(paths[0])
    next_paths.sort(key=_rank)
    return next_paths[0].matches


def _chunks(matches: list) -> int:
    chunks, idx, last = 0, 0, -1
    while idx < len(matches):
        m = matches[idx]
        if m is None:
            if last != -1:
                chunks += 1
                last = -1
            idx += 1
        else:
            if last != -1 and m[2] != last:
                chunks += 1
            idx = m[0] + m[1]
            last = m[2] + m[3]
    return chunks + (last != -1)


_SUFFIXES = (
    ("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
    ("men", "man"), ("ies", "y"), ("s", ""), ("ies", "y"), ("es", "e"), ("es", ""),
    ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""), ("er", ""), ("est", ""), ("er", "e"),
    ("est", "e"),
)  # fmt: skip


def _morph(word: str, synsets: dict) -> str:
    """WordNet-style base form by suffix rules: the first candidate that has synsets, else ""."""
    if word.endswith("ss") or len(word) <= 2:
        return word
    for suffix, ending in _SUFFIXES:
        if word.endswith(suffix):
            base = word[: len(word) - len(suffix)] + ending
            if base in synsets:
                return base
    return ""
