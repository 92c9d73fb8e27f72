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

from collections.abc import Mapping

import numpy as np

from evaluation.localization import prf


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


def soda_path(dp: np.ndarray) -> list[tuple[int, int]]:
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


def soda_bounded(
    iou: np.ndarray, known: Mapping[tuple[int, int], float]
) -> tuple[float | None, list[tuple[int, int]]]:
    """Exact ``dp[-1, -1]`` of ``iou * S`` from the scores ``known`` so far, or the cells to score.

    ``iou`` must be >= 0 (the reference clamps negatives to 0); cells with IoU 0 never need a score.
    Returns ``(value, [])`` when the value is exact, else ``(None, cells)``.
    """
    if iou.size == 0:
        return 0.0, []
    scores = np.ones_like(iou)
    for (i, j), s in known.items():
        scores[i, j] = s
    dp = soda_table(iou * scores)
    missing = [c for c in soda_path(dp) if c not in known and iou[c] > 0]
    return (float(dp[-1, -1]), []) if not missing else (None, missing)


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
