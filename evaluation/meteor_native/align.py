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

import operator
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from evaluation.meteor_native.normalize import java_hash
from evaluation.meteor_native.paraphrase import ParaphraseTable
from evaluation.meteor_native.resources import Lexicon

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


@dataclass
class _Sentence:
    """Per-sentence keys, cached across pairs (paraphrase parts per table version)."""

    hashes: list[int]
    stems: list[int]
    synsets: list[frozenset[int]]
    by_hash: dict[int, list[int]]
    by_stem: dict[int, list[int]]
    functions: list[bool]
    version: int = -1
    spans: list = field(default_factory=list)
    ngrams: dict = field(default_factory=dict)


def _positions(keys: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, []).append(i)
    return out


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
        self._sentences: dict[tuple[str, ...], _Sentence] = {}

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

    def _info(self, words: tuple[str, ...]) -> _Sentence:
        info = self._sentences.get(words)
        version = self.paraphrases.version
        if info is None:
            if len(self._sentences) > 200_000:
                self._sentences.clear()
            hashes = [self._word_hash(w) for w in words]
            stems = [self._stem_key(w) for w in words]
            info = self._sentences[words] = _Sentence(
                hashes=hashes,
                stems=stems,
                synsets=[self.synonym_sets(w) for w in words],
                by_hash=_positions(hashes),
                by_stem=_positions(stems),
                functions=[w.lower() in self.lexicon.function_words for w in words],
            )
        if info.version != version:
            info.version = version
            info.spans, info.ngrams = self._paraphrase_spans(words)
        return info

    def _paraphrase_spans(self, words: tuple[str, ...]) -> tuple[list, dict]:
        """(start, length, phrase) of every phrase with paraphrases, in the jar's order, and
        the start positions of every n-gram that is (a prefix of) a kept paraphrase; an n-gram
        no kept phrase starts with ends the walk from that position."""
        table = self.paraphrases
        entries = table.entries
        src, tgt = table.src_prefixes, table.tgt_prefixes
        n = len(words)
        heads = []
        ngrams: dict[tuple[str, ...], list[int]] = {}
        for i in range(n):
            for length in range(1, min(table.max_len, n - i) + 1):
                phrase = words[i : i + length]
                if phrase not in src:
                    break
                if phrase in entries:
                    heads.append((i, length, phrase))
            for length in range(1, min(table.max_par_len, n - i) + 1):
                gram = words[i : i + length]
                if gram not in tgt:
                    break
                ngrams.setdefault(gram, []).append(i)
        return heads, ngrams

    def matches(self, test: tuple[str, ...], ref: tuple[str, ...]) -> list[list[Match]]:
        """Per reference position, the candidate matches starting there, in the jar's order."""
        a, b = self._info(test), self._info(ref)
        h1, h2 = a.hashes, b.hashes
        n1, n2 = len(test), len(ref)
        out: list[list[Match]] = [[] for _ in range(n2)]
        for j in range(n2):
            for i in a.by_hash.get(h2[j], ()):
                out[j].append((j, 1, i, 1, 0))
        if n1 == n2 and h1 == h2:
            return out
        s2 = b.stems
        for j in range(n2):
            hj = h2[j]
            for i in a.by_stem.get(s2[j], ()):
                if h1[i] != hj:
                    out[j].append((j, 1, i, 1, 1))
        y1 = a.synsets
        for j, yj in enumerate(b.synsets):
            if yj:
                hj = h2[j]
                for i in range(n1):
                    if h1[i] != hj and not yj.isdisjoint(y1[i]):
                        out[j].append((j, 1, i, 1, 2))
        entries = self.paraphrases.entries
        for j, length, src in b.spans:  # reference phrase, paraphrase in the test
            found = _found(entries[src], a.ngrams)
            if found:
                found.sort()
                for _, p in found:
                    k = len(p)
                    for i in a.ngrams[p]:
                        out[j].append((j, length, i, k, 3))
        for i, length, src in a.spans:  # test phrase, paraphrase in the reference
            found = _found(entries[src], b.ngrams)
            if found:
                found.sort()
                for _, p in found:
                    k = len(p)
                    for j in b.ngrams[p]:
                        out[j].append((j, k, i, length, 3))
        return out

    def align(self, test: tuple[str, ...], ref: tuple[str, ...]) -> AlignmentCounts:
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
        fixed: list = [None] * n2
        used1 = used2 = 0
        for j, lst in enumerate(cand):
            if len(lst) == 1:
                m = lst[0]
                if all(cov2[j + k] == 1 for k in range(m[1])) and all(
                    cov1[m[2] + k] == 1 for k in range(m[3])
                ):
                    fixed[j] = m
                    used2 |= _mask(j, m[1])
                    used1 |= _mask(m[2], m[3])
        if all(not lst or fixed[j] is not None for j, lst in enumerate(cand)):
            best = fixed  # nothing to choose: the search keeps the fixed matches
        else:
            best = _resolve(cand, fixed, used1, used2)
        func1 = self._info(test).functions
        func2 = self._info(ref).functions
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


def _found(pars: dict, ngrams: dict) -> list:
    """(entry, paraphrase) of each paraphrase of a phrase that occurs in ``ngrams`` (any order:
    entry numbers are distinct, the caller sorts); the key views intersect in C."""
    common = pars.keys() & ngrams.keys()
    return [(e, p) for p in common for e in pars[p]] if common else []


# A partial alignment of the search, as a list (copied by slicing): its own matches as a linked
# list (match, parent's list), minus the matched words (weighted, truncated: test + reference),
# chunks, distance, next reference position, end of the last match in the test (-1: none), used
# words of test and reference. Ranked by (_NEG, _CHUNKS, _DIST): more matched words, fewer
# chunks, smaller distance; ties keep insertion order (a stable sort).
_CHOSEN, _NEG, _CHUNKS, _DIST, _IDX, _LAST, _USED1, _USED2 = range(8)
_rank = operator.itemgetter(_NEG, _CHUNKS, _DIST)


def _resolve(cand: list[list[Match]], fixed: list, used1: int, used2: int) -> list:
    """The jar's beam search; returns the best path's match per reference position.

    ``fixed``: the matches nothing competes with, by reference position (their words are
    ``used1``/``used2``); they are the only matches the search reads back, since a match it
    chooses starts before the position being decided. Partial alignments are ranked by (more
    weighted matched words, fewer chunks, smaller distance), ties in insertion order.
    """
    n = len(cand)
    w = SEARCH_WEIGHTS
    options = [
        [
            (m, _mask(j, ln), _mask(i, mln), int(mln * w[mod]) + int(ln * w[mod]), j + ln, i + mln,
             abs(j - i), i)
            for m in lst
            for j, ln, i, mln, mod in (m,)
        ]
        for lst in cand
    ]  # fmt: skip
    next_paths = [[None, 0, 0, 0, 0, -1, used1, used2]]
    for current in range(n + 1):
        paths = next_paths
        paths.sort(key=_rank)
        beam = paths[:BEAM_SIZE]
        if current == n:
            for path in beam:
                if path[_LAST] != -1:
                    path[_CHUNKS] += 1
            next_paths = beam
            break
        next_paths = []
        append = next_paths.append
        bit = 1 << current
        here = options[current]
        for path in beam:
            if path[_USED2] & bit:
                if current < path[_IDX]:
                    append(path)
                elif fixed[path[_IDX]] is not None:
                    j, ln, i, mln, mod = fixed[path[_IDX]]
                    path[_NEG] -= int(mln * w[mod]) + int(ln * w[mod])  # = the jar's int(m + x)
                    if path[_LAST] != -1 and i != path[_LAST]:
                        path[_CHUNKS] += 1
                    path[_IDX] = j + ln
                    path[_LAST] = i + mln
                    path[_DIST] += abs(j - i)
                    append(path)
                continue
            u1, u2, last = path[_USED1], path[_USED2], path[_LAST]
            for m, k2, k1, gain, idx, end, dist, i in here:
                if u2 & k2 or u1 & k1:
                    continue
                p = path[:]
                p[_CHOSEN] = (m, path[_CHOSEN])
                p[_NEG] -= gain
                if last != -1 and i != last:
                    p[_CHUNKS] += 1
                p[_IDX] = idx
                p[_LAST] = end
                p[_USED1] = u1 | k1
                p[_USED2] = u2 | k2
                path[_DIST] += dist  # sic: the jar adds the distance to the parent path
                append(p)
            if last != -1:
                path[_CHUNKS] += 1
                path[_LAST] = -1
            path[_IDX] += 1
            append(path)
        if not next_paths:
            next_paths.append(paths[0])
    next_paths.sort(key=_rank)
    best = fixed[:]
    node = next_paths[0][_CHOSEN]
    while node is not None:
        m, node = node
        best[m[0]] = m
    return best


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


def _morph(word: str, synsets: Container[str]) -> str:
    """WordNet-style base form by suffix rules: the first candidate that has synsets, else ""."""
    if word.endswith("ss") or len(word) <= 2:
        return word
    for suffix, ending in _SUFFIXES:
        if word.endswith(suffix):
            base = word[: len(word) - len(suffix)] + ending
            if base in synsets:
                return base
    return ""
