"""BLEU@1-4, ROUGE-L and CIDEr-D of one group of (hypothesis, reference) pairs, by pycocoevalcap.

The group is one video at one tIoU in the ActivityNet protocol: BLEU is corpus-level over the
group, ROUGE-L and CIDEr-D are means over its pairs, CIDEr-D's IDF comes from the group's
references only. What depends on one pair alone (BLEU's n-gram "cooking", ROUGE-L's LCS score) is
computed once per distinct pair; BLEU is ``BleuScorer.compute_score``'s corpus formula on the summed
counts, ROUGE-L ``Rouge.calc_score``'s, CIDEr-D comes from :mod:`evaluation.ciderd` (all
pycocoevalcap's float operations in its order, equal bit for bit: tested against its scorers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from evaluation.ciderd import CiderD

#: Names of the n-gram/LCS metrics, in report order.
NGRAM_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr")
_CACHE_LIMIT = 500_000


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (bit-parallel, Allison-Dix /
    Hyyrö): the integer ``pycocoevalcap.rouge.rouge.my_lcs`` computes, in O(len(b)) big-int steps."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, tok in enumerate(a):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    m = len(a)
    v = (1 << m) - 1
    for tok in b:
        u = v & masks.get(tok, 0)
        v = (v + u) | (v - u)
    return m - (v & ((1 << m) - 1)).bit_count()


def _precook(sentence: str, n: int = 4) -> tuple[int, dict[tuple[str, ...], int]]:
    """pycocoevalcap's BLEU ``precook``: (number of words, n-gram counts for orders 1..n)."""
    words = sentence.split()
    counts: dict[tuple[str, ...], int] = {}
    for k in range(1, n + 1):
        for i in range(len(words) - k + 1):
            g = tuple(words[i : i + k])
            counts[g] = counts.get(g, 0) + 1
    return len(words), counts


class CaptionScorer:
    """pycocoevalcap's BLEU(4), ROUGE-L and CIDEr-D with per-pair work cached."""

    def __init__(self, compiled: bool | None = None) -> None:
        """``compiled``: n-gram counting, BLEU counts and CIDEr-D by the C kernels of
        ``_cciderd`` (default: when built; the same numbers, tested)."""
        from pycocoevalcap.rouge.rouge import Rouge

        self.rouge = Rouge()
        self.cider = CiderD(lambda sentence: self._sentence(sentence)[1], compiled)
        self.compiled = self.cider.compiled
        self._pair: dict[tuple[str, str], tuple[int, int, list[int], list[int], float]] = {}
        self._sent: dict[str, tuple[int, dict[tuple[str, ...], int], list[str]]] = {}
        self._beta2 = self.rouge.beta**2

    def _sentence(self, text: str) -> tuple[int, dict[tuple[str, ...], int], list[str]]:
        got = self._sent.get(text)
        if got is None:
            if len(self._sent) > _CACHE_LIMIT:
                self._sent.clear()
            got = self._sent[text] = (*_precook(text), text.split(" "))
        return got

    def _rouge(self, hyp_tokens: list[str], ref_tokens: list[str]) -> float:
        """``Rouge().calc_score([hyp], [ref])`` with the same float operations."""
        lcs = lcs_length(ref_tokens, hyp_tokens)
        prec = lcs / float(len(hyp_tokens))
        rec = lcs / float(len(ref_tokens))
        if prec != 0 and rec != 0:
            return ((1 + self._beta2) * prec * rec) / float(rec + self._beta2 * prec)
        return 0.0

    def _cooked(self, hyp: str, ref: str) -> tuple[int, int, list[int], list[int], float]:
        """BLEU's per-pair counts (reference and test length, n-gram guesses and clipped
        matches, as ``cook_refs([ref])``/``cook_test`` give them; tested) and ROUGE-L."""
        got = self._pair.get((hyp, ref))
        if got is None:
            if len(self._pair) > _CACHE_LIMIT:
                self._pair.clear()
            if self.compiled:
                got = self._pair[(hyp, ref)] = self._cooked_compiled(hyp, ref)
                return got
            rl, rcounts, rtok = self._sentence(ref)
            tl, tcounts, htok = self._sentence(hyp)
            correct = [0, 0, 0, 0]
            for g, c in tcounts.items():
                r = rcounts.get(g)
                if r:
                    correct[len(g) - 1] += min(r, c)
            guess = [max(0, tl - k + 1) for k in range(1, 5)]
            got = (rl, tl, guess, correct, self._rouge(htok, rtok))
            self._pair[(hyp, ref)] = got
        return got

    def _cooked_compiled(self, hyp: str, ref: str) -> tuple[int, int, list[int], list[int], float]:
        from evaluation import _cciderd

        self.cider.trim()
        hp, rp = self.cider.packed(hyp), self.cider.packed(ref)
        correct = _cciderd.clipped(hp, rp, self.cider.scratch()[3])
        tl, rl = len(hyp.split()), len(ref.split())
        guess = [max(0, tl - k + 1) for k in range(1, 5)]
        return (rl, tl, guess, correct, self._rouge(hyp.split(" "), ref.split(" ")))

    def score(self, pairs: Sequence[tuple[str, str]]) -> tuple[float, ...]:
        """Scores of the tokenised ``pairs`` in :data:`NGRAM_METRICS` order (zeros if empty)."""
        if not pairs:
            return (0.0,) * len(NGRAM_METRICS)
        testlen = reflen = 0
        guess, correct = [0, 0, 0, 0], [0, 0, 0, 0]
        rouge = []
        for hyp, ref in pairs:
            rl, tl, g, c, r = self._cooked(hyp, ref)
            testlen += tl
            reflen += rl  # "closest" of one reference: its length
            guess = [x + y for x, y in zip(guess, g, strict=True)]
            correct = [x + y for x, y in zip(correct, c, strict=True)]
            rouge.append(r)
        b = corpus_bleu(testlen, reflen, guess, correct)
        c = self.cider.score(pairs)
        return (*b, float(np.mean(np.array(rouge))), c)


def corpus_bleu(testlen: int, reflen: int, guess: Sequence[int], correct: Sequence[int]) -> list:
    """BLEU@1-4 of summed counts: ``BleuScorer.compute_score``'s corpus part, the same float
    operations in the same order (its per-sentence scores, unused here, are not computed)."""
    small, tiny = 1e-9, 1e-15
    bleus = []
    bleu = 1.0
    for k in range(4):
        bleu *= float(correct[k] + tiny) / (guess[k] + small)
        bleus.append(bleu ** (1.0 / (k + 1)))
    ratio = (testlen + tiny) / (reflen + small)
    if ratio < 1:
        for k in range(4):
            bleus[k] *= math.exp(1 - 1 / ratio)
    return bleus


def score_plain(pairs: Sequence[tuple[str, str]]) -> tuple[float, ...]:
    """The same numbers the obvious way (pycocoevalcap's wrappers, nothing cached); for tests."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    if not pairs:
        return (0.0,) * len(NGRAM_METRICS)
    res = {i: [h] for i, (h, _) in enumerate(pairs)}
    gts = {i: [r] for i, (_, r) in enumerate(pairs)}
    b, _ = Bleu(4).compute_score(gts, res, verbose=0)
    r, _ = Rouge().compute_score(gts, res)
    c, _ = Cider().compute_score(gts, res)
    return (*(float(x) for x in b), float(r), float(c))
