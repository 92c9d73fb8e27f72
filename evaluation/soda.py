"""SODA_c (Fujita et al. 2020): order-preserving maximum-weight matching, iteratively.

``W[i, j] = IoU[i, j] * S[i, j]`` between GT segment i and prediction j (both sorted by start
time); ``dp[i, j] = max(dp[i-1, j], dp[i, j-1], dp[i-1, j-1] + W[i, j])``. Row by row, the
``dp[i, j-1]`` term is a running maximum, so each row is one ``np.maximum.accumulate``: the same
maxima and the same additions as the reference recursion, hence the same floats, with no depth limit.
"""

from __future__ import annotations

import numpy as np

from evaluation.localization import prf


def soda_dp(weights: np.ndarray) -> float:
    """``dp[-1, -1]`` of the SODA recurrence on ``weights`` (shape (M, N)); 0 for an empty matrix."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return 0.0
    row = np.maximum.accumulate(w[0])
    for i in range(1, w.shape[0]):
        cand = np.empty_like(row)
        cand[0] = max(row[0], w[i, 0])
        cand[1:] = np.maximum(row[1:], row[:-1] + w[i, 1:])
        row = np.maximum.accumulate(cand)
    return float(row[-1])


def soda_video(iou: np.ndarray, scores: np.ndarray) -> tuple[float, float, float]:
    """(P, R, F) of one video; ``iou`` and ``scores`` are (n_gt, n_pred)."""
    n_g, n_p = iou.shape
    if n_g == 0 or n_p == 0:
        return 0.0, 0.0, 0.0
    best = soda_dp(iou * scores)
    p, r = best / n_p, best / n_g
    return p, r, prf(p, r)
