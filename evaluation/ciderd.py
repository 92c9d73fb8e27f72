"""CIDEr-D of one group of single-reference pairs, bit for bit as pycocoevalcap 1.2's CiderScorer.

pycocoevalcap spends most of its CIDEr time in ``defaultdict`` and NumPy-scalar overhead. This
module performs the same floating-point operations in the same order (``precook`` n-gram counts in
their insertion order, sequential sums, NumPy's ``log``/``sqrt``/``mean`` where the original uses
them) on plain floats, with the n-gram counts of each sentence computed once. Tests compare it with
``pycocoevalcap.cider.Cider`` for equality (``==``, not approximately) on the release data and on
random captions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

_N = 4
_SIGMA = 6.0
_CACHE_LIMIT = 500_000


def _sequential_mean4(v: list[float]) -> float:
    return (((v[0] + v[1]) + v[2]) + v[3]) / 4


def _numpy_mean4(v: list[float]) -> float:
    return float(np.mean(np.array(v)))


@functools.cache
def _pick_mean4():
    """NumPy's mean of 4 float64 is a sequential sum here; check, else call NumPy itself."""
    rng = np.random.default_rng(0)
    for _ in range(2000):
        v = list(rng.random(4) * 10.0 ** rng.integers(-3, 4, 4))
        if _sequential_mean4(v) != _numpy_mean4(v):
            return _numpy_mean4
    return _sequential_mean4


class CiderD:
    """``score(pairs)`` == ``Cider().compute_score({i: [ref]}, {i: [hyp]})[0]``."""

    def __init__(self, counts_of: Callable[[str], Mapping[tuple[str, ...], int]] | None = None):
        """``counts_of(sentence)``: its n-gram counts (orders 1-4) in ``precook``'s insertion
        order, e.g. a cache shared with BLEU; default: pycocoevalcap's ``precook``."""
        self._counts_of = counts_of
        self._counts: dict[str, list[tuple[tuple[str, ...], int, int]]] = {}
        self._log: dict[int, float] = {}
        self._penalty: dict[int, float] = {}

    def _ngrams(self, sentence: str) -> tuple[list[tuple[tuple[str, ...], int, float]], int]:
        """precook's (n-gram, n - 1, tf) in insertion order, and the bigram count ("length")."""
        got = self._counts.get(sentence)
        if got is None:
            from pycocoevalcap.cider.cider_scorer import precook

            if len(self._counts) > _CACHE_LIMIT:
                self._counts.clear()
            counts = precook(sentence, _N) if self._counts_of is None else self._counts_of(sentence)
            items = [(g, len(g) - 1, float(tf)) for g, tf in counts.items()]
            got = (items, sum(int(tf) for _, n, tf in items if n == 1))
            self._counts[sentence] = got
        return got

    def _ln(self, k: int) -> float:
        got = self._log.get(k)
        if got is None:
            got = self._log[k] = float(np.log(float(k)))  # NumPy's log, as the original
        return got

    def _gauss(self, delta: int) -> float:
        got = self._penalty.get(delta)
        if got is None:
            d = float(delta)
            got = self._penalty[delta] = np.e ** (-(d**2) / (2 * _SIGMA**2))
        return got

    @staticmethod
    def _vec(items: list, idf: dict, ref_len: float) -> tuple[list[dict], list[float]]:
        vec: list[dict] = [{}, {}, {}, {}]
        norm = [0.0, 0.0, 0.0, 0.0]
        for g, n, tf in items:
            x = tf * idf.get(g, ref_len)  # an n-gram no reference has: df 0 -> log(max(1, 0)) = 0
            vec[n][g] = x
            norm[n] += x**2  # libm pow, as NumPy's scalar power in the original
        return vec, [math.sqrt(v) for v in norm]

    def scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Per-pair CIDEr-D (x10, as pycocoevalcap) with IDF from this group's references."""
        refs = [self._ngrams(r) for _, r in pairs]
        tests = [self._ngrams(h) for h, _ in pairs]
        df: dict[tuple[str, ...], int] = {}
        for items, _ in refs:
            for g, _, _ in items:  # precook's keys are distinct
                df[g] = df.get(g, 0) + 1
        ref_len = self._ln(len(pairs))
        idf = {g: ref_len - self._ln(c) for g, c in df.items()}
        mean4 = _pick_mean4()  # checked once, on first use (not at import)
        out = []
        memo: dict[int, tuple[list[dict], list[float]]] = {}  # per sentence, for this group's IDF

        def vec(items: list) -> tuple[list[dict], list[float]]:
            got = memo.get(id(items))
            if got is None:
                got = memo[id(items)] = self._vec(items, idf, ref_len)
            return got

        for (t_items, lh), (r_items, lr) in zip(tests, refs, strict=True):
            vh, nh = vec(t_items)
            vr, nr = vec(r_items)
            pen = self._gauss(lh - lr)
            val = [0.0, 0.0, 0.0, 0.0]
            for n in range(_N):
                acc = 0.0
                ref_n = vr[n]
                for g, x in vh[n].items():
                    y = ref_n.get(g)
                    if y is not None:
                        acc += min(x, y) * y
                if nh[n] != 0 and nr[n] != 0:
                    acc /= nh[n] * nr[n]
                val[n] = acc * pen
            out.append(mean4(val) / 1 * 10.0)
        return np.array(out)

    def score(self, pairs: Sequence[tuple[str, str]]) -> float:
        return float(np.mean(self.scores(pairs)))
