"""SODA_c (Fujita et al. 2020): order-preserving maximum-weight matching, iteratively.

``W[i, j] = IoU[i, j] * S[i, j]`` between GT segment i and prediction j (both sorted by start
time); ``dp[i, j] = max(dp[i-1, j], dp[i, j-1], dp[i-1, j-1] + W[i, j])``. Row by row, the
``dp[i, j-1]`` term is a running maximum, so each row is one ``np.maximum.accumulate``: the same
maxima and the same additions as the reference recursion, hence the same floats, with no depth limit.

:func:`soda_bounded` needs ``S`` only where it can matter. A caption score is at most 1, so
``IoU`` bounds ``W`` from above; rounding is monotone, so the DP on bounds is >= the exact DP. When
an optimal path of the bounded DP uses only exact cells, its value is the exact DP value, bit for
bit; otherwise the caller scores that path's unknown cells and tries again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping

import numpy as np

from compmo_gen.core.tiou import SparseTiou
from evaluation.localization import prf

#: Up to this many cells the bounded DP runs on the dense table (many small videos: fewer NumPy
#: calls); above it, row by row with :class:`RunTable` (memory in the rows, not rows x columns).
#: Both give the same values bit for bit.
DENSE_CELLS = 1 << 16


def soda_table(weights: np.ndarray) -> np.ndarray:
    """The full DP table of the SODA recurrence (shape of ``weights``, which must be non-empty)."""
    w = np.asarray(weights, dtype=np.float64)
    dp = np.empty_like(w)
    dp[0] = np.maximum.accumulate(w[0])
    for i in range(1, w.shape[0]):
        cand = np.empty(w.shape[1])
        cand[0] = max(dp[i - 1, 0], w[i, 0])
        cand[1:] = np.maximum(dp[i - 1, 1:], dp[i - 1, :-1] + w[i, 1:])
        dp[i] = np.maximum.accumulate(cand)
    return dp


def soda_dp(weights: np.ndarray) -> float:
    """``dp[-1, -1]`` of the SODA recurrence on ``weights`` (shape (M, N)); 0 for an empty matrix."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return 0.0
    return float(soda_table(w)[-1, -1])


def soda_path(dp: np.ndarray | RunTable) -> list[tuple[int, int]]:
    """The matched cells of one optimal path of ``dp`` (from the end; ties go up, then left)."""
    i, j = dp.shape[0] - 1, dp.shape[1] - 1
    cells = []
    while i >= 0 and j >= 0:
        v = dp[i, j]
        if i > 0 and dp[i - 1, j] == v:
            i -= 1
        elif j > 0 and dp[i, j - 1] == v:
            j -= 1
        else:
            cells.append((i, j))
            i, j = i - 1, j - 1
    return cells


class RunTable:
    """A DP table kept row by row, read like the dense table (``t[i, j]``, ``t.shape``): a row
    stores only where it differs from the row above (a SODA row changes from its first matching
    column on), as runs of bit-identical values (it is a running maximum). A timeline's table
    of n x n cells then takes memory in n, and every value read is the dense table's, bit for bit."""

    def __init__(self, n_cols: int) -> None:
        self.first: list[int] = []  # first column where row i differs from row i - 1
        self.starts: list[np.ndarray] = []  # run starts of row i from ``first[i]`` on
        self.values: list[np.ndarray] = []
        self.n_cols = n_cols
        self._prev: np.ndarray | None = None

    def append(self, row: np.ndarray) -> None:
        bits = row.view(np.int64)
        first = 0
        if self._prev is not None:
            diff = np.flatnonzero(bits != self._prev)
            first = int(diff[0]) if len(diff) else len(bits)
        tail = bits[first:]
        change = np.flatnonzero(tail[1:] != tail[:-1]) + 1
        starts = first + np.concatenate(([0], change)) if len(tail) else np.zeros(0, np.int64)
        self.first.append(first)
        self.starts.append(starts)
        self.values.append(row[starts])
        self._prev = bits

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.first), self.n_cols

    def __getitem__(self, cell: tuple[int, int]) -> float:
        i, j = cell
        i, j = i % len(self.first), j % self.n_cols
        while j < self.first[i]:  # equal to the row above there
            i -= 1
        starts = self.starts[i]
        return self.values[i][int(np.searchsorted(starts, j, side="right")) - 1]


def _weight_rows(
    iou: SparseTiou, known: Mapping[tuple[int, int], float], default: float
) -> Iterator[np.ndarray]:
    """The rows of ``iou * S``: ``S`` is ``known`` where given, else ``default`` (1: the upper
    bound of a caption score). Dense rows, one at a time; ``known`` holds cells above 0."""
    n = len(known)
    scores = np.full(iou.nnz, default, dtype=np.float64)
    if n:
        ii = np.fromiter((c[0] for c in known), np.int64, n)
        jj = np.fromiter((c[1] for c in known), np.int64, n)
        width = max(iou.shape[1], 1)
        cells = iou.rows().astype(np.int64) * width + iou.cols  # increasing: row-major CSR
        scores[np.searchsorted(cells, ii * width + jj)] = np.fromiter(known.values(), np.float64, n)
        del ii, jj, cells
    for i in range(iou.shape[0]):
        lo, hi = iou.indptr[i], iou.indptr[i + 1]
        row = np.zeros(iou.shape[1])
        row[iou.cols[lo:hi]] = iou.vals[lo:hi] * scores[lo:hi]
        yield row


def _dp_rows(weights: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """The rows of :func:`soda_table` from the rows of ``weights`` (same operations)."""
    prev = None
    for w in weights:
        if prev is None:
            row = np.maximum.accumulate(w)
        else:
            cand = np.empty(len(w))
            cand[0] = max(prev[0], w[0])
            cand[1:] = np.maximum(prev[1:], prev[:-1] + w[1:])
            row = np.maximum.accumulate(cand)
        yield row
        prev = row


def soda_bounded(
    iou: np.ndarray | SparseTiou, known: Mapping[tuple[int, int], float]
) -> tuple[float | None, list[tuple[int, int]]]:
    """Exact ``dp[-1, -1]`` of ``iou * S`` from the scores ``known`` so far, or the cells to score.

    ``iou`` must be >= 0 (the reference clamps negatives to 0); cells with IoU 0 never need a score.
    Returns ``(value, [])`` when the value is exact, else ``(None, cells)``. The DP runs a row at
    a time and keeps its table as runs (:class:`RunTable`): memory follows the cells above 0 and
    the runs, not rows x columns; the values are :func:`soda_table`'s, bit for bit.
    """
    if isinstance(iou, np.ndarray) or iou.shape[0] * iou.shape[1] <= DENSE_CELLS:
        dense = iou if isinstance(iou, np.ndarray) else iou.dense()
        if dense.size == 0:
            return 0.0, []
        scores = np.ones_like(dense)
        for (i, j), s in known.items():
            scores[i, j] = s
        dp = soda_table(dense * scores)
        missing = [c for c in soda_path(dp) if c not in known and dense[c] > 0]
        return (float(dp[-1, -1]), []) if not missing else (None, missing)
    if iou.shape[0] == 0 or iou.shape[1] == 0:
        return 0.0, []
    table = RunTable(iou.shape[1])
    for row in _dp_rows(_weight_rows(iou, known, 1.0)):
        table.append(row)
    missing = [c for c in soda_path(table) if c not in known and iou[c] > 0]
    return (float(table[-1, -1]), []) if not missing else (None, missing)


def soda_cells(
    iou: SparseTiou, scores: Mapping[tuple[int, int], float]
) -> tuple[float, float, float]:
    """(P, R, F) of one video from the caption score of every cell above 0 (``iou`` rows: GT,
    columns: predictions); equal to :func:`soda_video` on the dense matrices."""
    n_g, n_p = iou.shape
    if n_g == 0 or n_p == 0:
        return 0.0, 0.0, 0.0
    (last,) = deque(_dp_rows(_weight_rows(iou, scores, 0.0)), maxlen=1)
    return soda_from_best(float(last[-1]), n_g, n_p)


def soda_from_best(best: float, n_gt: int, n_pred: int) -> tuple[float, float, float]:
    """(P, R, F) of one video from its DP value."""
    if n_gt == 0 or n_pred == 0:
        return 0.0, 0.0, 0.0
    p, r = best / n_pred, best / n_gt
    return p, r, prf(p, r)


def soda_video(iou: np.ndarray, scores: np.ndarray) -> tuple[float, float, float]:
    """(P, R, F) of one video; ``iou`` and ``scores`` are (n_gt, n_pred)."""
    n_g, n_p = iou.shape
    if n_g == 0 or n_p == 0:
        return 0.0, 0.0, 0.0
    return soda_from_best(soda_dp(iou * scores), n_g, n_p)
