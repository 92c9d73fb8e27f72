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

try:  # the compiled group kernel (an optional extension built at install time)
    from evaluation import _cciderd
except ImportError:  # no C compiler at install time: the Python loops below
    _cciderd = None

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
    """``score(pairs)`` == ``Cider().compute_score({i: [ref]}, {i: [hyp]})[0]``.

    Work that does not depend on a group's IDF is done once per sentence (its n-grams per order)
    and once per distinct pair (the n-grams hypothesis and reference share, in the hypothesis'
    order); per group only the norms and the shared n-grams' products are computed.
    """

    def __init__(
        self,
        counts_of: Callable[[str], Mapping[tuple[str, ...], int]] | None = None,
        compiled: bool | None = None,
    ):
        """``counts_of(sentence)``: its n-gram counts (orders 1-4) in ``precook``'s insertion
        order, e.g. a cache shared with BLEU; default: pycocoevalcap's ``precook``.
        ``compiled``: score groups with the C kernel (default: when it was built)."""
        if compiled and _cciderd is None:
            raise RuntimeError("the compiled CIDEr-D kernel was not built (no C compiler?)")
        self.compiled = _cciderd is not None if compiled is None else compiled
        self._interner = _cciderd.Interner() if self.compiled else None
        self._packed: dict[str, bytes] = {}
        self._scratch: tuple[np.ndarray, ...] = ()
        self._logs = np.zeros(1)
        self._counts_of = counts_of
        self._counts: dict[str, _Sentence] = {}
        self._shared: dict[tuple[str, str], _Shared] = {}
        self._log: dict[int, float] = {}
        self._penalty: dict[int, float] = {}

    def _ngrams(self, sentence: str) -> _Sentence:
        """precook's (n-gram, tf) per order in insertion order, the counts, the bigram count."""
        got = self._counts.get(sentence)
        if got is None:
            from pycocoevalcap.cider.cider_scorer import precook

            if len(self._counts) > _CACHE_LIMIT:
                self._counts.clear()
                self._shared.clear()

            counts = precook(sentence, _N) if self._counts_of is None else self._counts_of(sentence)
            orders: tuple[list, ...] = ([], [], [], [])
            for g, tf in counts.items():
                orders[len(g) - 1].append((g, float(tf)))
            got = (orders, counts, sum(int(tf) for _, tf in orders[1]))
            self._counts[sentence] = got
        return got

    def _pair(self, hyp: str, ref: str) -> _Shared:
        """Per order, (n-gram, hypothesis tf, reference tf) of the shared n-grams, in the
        hypothesis' order (the order pycocoevalcap's ``sim`` sums them in)."""
        got = self._shared.get((hyp, ref))
        if got is None:
            h, r = self._ngrams(hyp), self._ngrams(ref)
            rc = r[1]
            got = tuple([(g, tf, float(rc[g])) for g, tf in h[0][n] if g in rc] for n in range(_N))
            self._shared[(hyp, ref)] = got
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

    def packed(self, sentence: str) -> bytes:
        """The sentence for the C kernels (see ``_cciderd.Interner``), cached."""
        got = self._packed.get(sentence)
        if got is None:
            got = self._packed[sentence] = self._interner.pack(sentence)
        return got

    def trim(self) -> None:
        """Start the packed sentences afresh once there are many (between groups only: ids of
        one interner never meet another's)."""
        if len(self._packed) > _CACHE_LIMIT:
            self._packed.clear()
            self._interner = _cciderd.Interner()
            self._scratch = ()

    def scratch(self) -> tuple[np.ndarray, ...]:
        """Zeroed arrays indexed by n-gram id (idf, df, reference tf; BLEU's counts)."""
        if not self._scratch or len(self._scratch[0]) < len(self._interner):
            size = 2 * len(self._interner) + 1024
            self._scratch = (np.zeros(size), np.zeros(size, np.int64), np.zeros(size),
                             np.zeros(size, np.int64))  # fmt: skip
        return self._scratch

    def _compiled_scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.trim()
        hyps = [self.packed(h) for h, _ in pairs]
        refs = [self.packed(r) for _, r in pairs]
        if len(self._logs) <= len(pairs):
            self._logs = np.array([0.0] + [self._ln(k) for k in range(1, 2 * len(pairs) + 2)])
        idf, df, ref_tf, _ = self.scratch()
        out = _cciderd.group_scores(
            hyps, refs, self._logs, idf, df, ref_tf, 2.0, np.e, 2 * _SIGMA**2
        )  # fmt: skip
        return np.array(out)

    def scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Per-pair CIDEr-D (x10, as pycocoevalcap) with IDF from this group's references."""
        if self.compiled and _pick_mean4() is _sequential_mean4:
            return self._compiled_scores(pairs)
        sentences = {s: self._ngrams(s) for pair in pairs for s in pair}
        df: dict[tuple[str, ...], int] = {}
        for _, r in pairs:
            for g in sentences[r][1]:  # precook's keys are distinct
                df[g] = df.get(g, 0) + 1
        ref_len = self._ln(len(pairs))
        idf = {g: ref_len - self._ln(c) for g, c in df.items()}
        get = idf.get
        norms: dict[str, list[float]] = {}
        for s, (orders, _, _) in sentences.items():
            norm = []
            for items in orders:
                acc = 0.0
                for g, tf in items:
                    # an n-gram no reference has: df 0 -> log(max(1, 0)) = 0, idf = ref_len
                    acc += (tf * get(g, ref_len)) ** 2  # libm pow, as NumPy's scalar power
                norm.append(math.sqrt(acc))
            norms[s] = norm
        mean4 = _pick_mean4()  # checked once, on first use (not at import)
        out = []
        for h, r in pairs:
            nh, nr = norms[h], norms[r]
            pen = self._gauss(sentences[h][2] - sentences[r][2])
            val = [0.0, 0.0, 0.0, 0.0]
            for n, shared in enumerate(self._pair(h, r)):
                acc = 0.0
                for g, th, tr in shared:
                    w = idf[g]
                    x, y = th * w, tr * w
                    acc += min(x, y) * y
                if nh[n] != 0 and nr[n] != 0:
                    acc /= nh[n] * nr[n]
                val[n] = acc * pen
            out.append(mean4(val) / 1 * 10.0)
        return np.array(out)

    def score(self, pairs: Sequence[tuple[str, str]]) -> float:
        return float(np.mean(self.scores(pairs)))


_Sentence = tuple[tuple[list, ...], Mapping[tuple[str, ...], int], int]
_Shared = tuple[list[tuple[tuple[str, ...], float, float]], ...]
