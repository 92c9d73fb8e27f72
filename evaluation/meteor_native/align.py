"""METEOR 1.5's aligner: the four matching stages and the beam search over their matches.

Written from the METEOR papers and the behaviour of meteor-1.5.jar. Words are compared by their
Java ``String.hashCode`` (as the jar does, so its rare hash collisions count as matches). Stages,
in order: exact, stem (same Snowball stem, different word), synonym (a shared WordNet synset of
the word or its base forms, different word) and paraphrase (a phrase of one sentence whose
paraphrase occurs in the other, both directions). Matches whose words no other match touches are
fixed first; the rest go to the beam search (``search.py``). Sentences of up to 64 words are
aligned by the compiled twin of these stages and the search (``_calign.pyx``, same results,
tested) when it was built; the per-sentence keys and the paraphrase matches come from here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from evaluation.meteor_native.normalize import java_hash
from evaluation.meteor_native.paraphrase import ParaphraseTable
from evaluation.meteor_native.resources import Lexicon
from evaluation.meteor_native.search import Match, chunks, mask, resolve

try:  # the compiled aligner (optional extensions built at install time)
    from evaluation.meteor_native import _calign, _csentence
except ImportError:  # no C compiler at install time: the pure-Python aligner below
    _calign = _csentence = None


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
    functions: list[bool]
    packed: bytes = b""  # the compiled aligner's form (see _csentence.pack)
    version: int = -1
    spans: list = field(default_factory=list)
    ngrams: dict = field(default_factory=dict)
    reach: AbstractSet = frozenset()  # every paraphrase of the phrases in ``spans``

    @functools.cached_property
    def by_hash(self) -> dict[int, list[int]]:
        return _positions(self.hashes)

    @functools.cached_property
    def by_stem(self) -> dict[int, list[int]]:
        return _positions(self.stems)


def _positions(keys: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, []).append(i)
    return out


class Aligner:
    """Aligns a test sentence to a reference (both already normalised, as word lists)."""

    def __init__(
        self,
        lexicon: Lexicon,
        stem: Callable[[str], str],
        paraphrases: ParaphraseTable,
        compiled: bool | None = None,
    ) -> None:
        """``compiled``: use the C aligner for sentences of up to 64 words (default: when it was
        built); False: the pure-Python aligner everywhere (the same results)."""
        if compiled and _calign is None:
            raise RuntimeError("the compiled aligner was not built (no C compiler at install?)")
        self.compiled = _calign is not None if compiled is None else compiled
        self.lexicon = lexicon
        self.stem = stem
        self.paraphrases = paraphrases
        self._keys: dict[str, tuple[int, int, frozenset[int], bool, tuple[int, ...]]] = {}
        self._syn: dict[str, frozenset[int]] = {}
        self._sentences: dict[tuple[str, ...], _Sentence] = {}
        self._grams_version = -1
        self._grams_now = _Grams({}, {}, {}, [])

    def _word_keys(self, w: str) -> tuple[int, int, frozenset[int], bool, tuple[int, ...]]:
        """(hash, stem hash, synsets, function word?, sorted synsets) of a word, cached."""
        k = self._keys.get(w)
        if k is None:
            syn = self.synonym_sets(w)
            k = self._keys[w] = (
                java_hash(w), java_hash(self.stem(w)), syn,
                w.lower() in self.lexicon.function_words, tuple(sorted(syn)),
            )  # fmt: skip
        return k

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
            info = self._sentences[words] = self._new_info(words, version)
        if info.version != version:
            info.version = version
            info.spans, info.ngrams = self._paraphrase_spans(words)
            entries = self._grams().entries
            info.reach = frozenset().union(*(entries[p].keys() for _, _, p in info.spans))
        return info

    def _new_info(self, words: tuple[str, ...], version: int) -> _Sentence:
        """The keys of a sentence not seen before; compiled: also its packed form and its
        paraphrase parts for table ``version``, in one call."""
        if self.compiled:
            g = self._grams()
            hashes, stems, synsets, functions, packed, spans, ngrams, reach = _csentence.info(
                words, self._keys, self._word_keys, g.src, g.tgt, g.entries
            )
            return _Sentence(
                hashes, stems, synsets, functions, packed, version, spans, ngrams, reach
            )  # fmt: skip
        get = self._keys.get
        keys = [get(w) or self._word_keys(w) for w in words]
        return _Sentence(*([k[f] for k in keys] for f in range(4)))  # paraphrase parts: next

    def _grams(self) -> _Grams:
        """The paraphrase table as the aligner walks it (rebuilt when the table grows)."""
        table = self.paraphrases
        if self._grams_version != table.version:
            self._grams_version = table.version
            numbers = {p: k for k, p in enumerate(sorted(table.tgt_prefixes))}
            self._grams_now = _Grams(
                src=_trie(table.src_prefixes, table.entries.keys(), None),
                tgt=_trie(table.tgt_prefixes, (), numbers),
                entries={
                    src: {numbers[p]: e for p, e in pars.items()}
                    for src, pars in table.entries.items()
                },
                lengths=[len(p) for p in numbers],
            )
        return self._grams_now

    def _paraphrase_spans(self, words: tuple[str, ...]) -> tuple[list, dict]:
        """(start, length, phrase) of every phrase with paraphrases, in the jar's order, and
        the start positions of every n-gram that is (a prefix of) a kept paraphrase, by its
        number (:class:`_Grams`); an n-gram no kept phrase starts with ends the walk there."""
        g = self._grams()
        src, tgt = g.src, g.tgt
        if self.compiled:
            return _csentence.walk(words, src, tgt)
        n = len(words)
        heads = []
        ngrams: dict[int, list[int]] = {}
        for i in range(n):
            level = src
            for k in range(i, n):
                node = level.get(words[k])
                if node is None:
                    break
                level, phrase, kept = node
                if kept:
                    heads.append((i, k - i + 1, phrase))
            level = tgt
            for k in range(i, n):
                node = level.get(words[k])
                if node is None:
                    break
                level, gram, _ = node
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
        for j, ln, i, mln in self._paraphrase_matches(a, b):
            out[j].append((j, ln, i, mln, 3))
        return out

    def _paraphrase_matches(self, a: _Sentence, b: _Sentence) -> list[tuple[int, int, int, int]]:
        """``(ref start, ref length, test start, test length)`` of the paraphrase matches, in the
        jar's order: reference phrases with a paraphrase in the test, then the reverse."""
        g = self._grams()
        if self.compiled:
            return _csentence.paraphrase_matches(a, b, g.entries, g.lengths)
        out: list[tuple[int, int, int, int]] = []
        if not b.reach.isdisjoint(a.ngrams):  # reference phrase, paraphrase in the test
            out += _directed(g, b.spans, a.ngrams)
        if not a.reach.isdisjoint(b.ngrams):  # test phrase, paraphrase in the reference
            out += ((j, k, i, ln) for i, ln, j, k in _directed(g, a.spans, b.ngrams))
        return out

    def align(self, test: tuple[str, ...], ref: tuple[str, ...]) -> AlignmentCounts:
        """Best alignment's per-stage counts and chunks."""
        n1, n2 = len(test), len(ref)
        if self.compiled and n1 <= 64 and n2 <= 64:
            a, b = self._info(test), self._info(ref)
            par = [] if a.hashes == b.hashes else self._paraphrase_matches(a, b)
            return AlignmentCounts(n1, n2, *_calign.counts(a.packed, b.packed, par))
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
                    used2 |= mask(j, m[1])
                    used1 |= mask(m[2], m[3])
        if all(not lst or fixed[j] is not None for j, lst in enumerate(cand)):
            best = fixed  # nothing to choose: the search keeps the fixed matches
        else:
            best = resolve(cand, fixed, used1, used2)
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
            chunks(best),
        )  # fmt: skip


@dataclass(frozen=True)
class _Grams:
    """One version of the paraphrase table as the aligner walks it: word tries of the kept
    phrases' and of the kept paraphrases' prefixes (word -> (children, label, a kept phrase?);
    a phrase is labelled by itself, a paraphrase prefix by its number: small ints hash and
    compare faster than word tuples), the entries by paraphrase number, each number's length."""

    src: dict
    tgt: dict
    entries: dict[tuple[str, ...], dict[int, list[int]]]
    lengths: list[int]


def _trie(
    prefixes: set[tuple[str, ...]],
    kept: Container[tuple[str, ...]],
    numbers: Mapping[tuple[str, ...], int] | None,
) -> dict:
    """A word trie of a prefix-closed set of phrases, labelled by ``numbers`` (else by the
    phrases themselves; see :class:`_Grams`)."""
    root: dict = {}
    for phrase in sorted(prefixes, key=len):
        level = root
        for w in phrase[:-1]:
            level = level[w][0]
        label = phrase if numbers is None else numbers[phrase]
        level[phrase[-1]] = ({}, label, phrase in kept)
    return root


def _directed(g: _Grams, spans: list, ngrams: dict) -> Iterator[tuple[int, int, int, int]]:
    """(phrase start, phrase length, paraphrase start, paraphrase length) of each phrase of
    ``spans`` whose paraphrase starts in ``ngrams``: by phrase, then entry number, then start."""
    for start, length, src in spans:
        found = _found(g.entries[src], ngrams)
        if found:
            found.sort()
            for _, p in found:
                k = g.lengths[p]
                for other in ngrams[p]:
                    yield start, length, other, k


def _found(pars: dict, ngrams: dict) -> list:
    """(entry, paraphrase) of each paraphrase of a phrase that occurs in ``ngrams`` (any order:
    entry numbers are distinct, the caller sorts); the key views intersect in C."""
    common = pars.keys() & ngrams.keys()
    return [(e, p) for p in common for e in pars[p]] if common else []


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
