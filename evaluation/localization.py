"""Localisation metrics: densevid P/R (strict ``>``) and Chapter-Llama's overlap metrics.

Pure functions on one video's tIoU matrix ``iou[g, p]`` (rows: ground truth, columns:
predictions, computed with :func:`compmo_gen.core.tiou.tiou_matrix` as ``tiou_matrix(gt, pred)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def densevid_precision_recall(iou: np.ndarray, tious: Sequence[float]) -> np.ndarray:
    """ActivityNet verbose-mode P and R per threshold, shape (len(tious), 2).

    A GT segment is covered, a prediction correct, if some counterpart has ``iou > t``.
    A video without predictions has P = R = 0 (the reference's stale-variable case included).
    """
    n_g, n_p = iou.shape
    out = np.zeros((len(tious), 2))
    if n_p == 0 or n_g == 0:
        return out
    hit = iou[None] > np.asarray(tious, dtype=np.float64)[:, None, None]
    out[:, 0] = hit.any(axis=1).sum(axis=1) / n_p
    out[:, 1] = hit.any(axis=2).sum(axis=1) / n_g
    return out


def prf(p: float, r: float) -> float:
    """``2PR / (P + R)``, 0 when both are 0."""
    return 2 * (p * r) / (p + r) if p + r else 0.0


def overlap_prf(iou: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Chapter-Llama per-threshold (P, R, F1) of one video, shape (len(thresholds), 3), fractions.

    P = predictions with ``iou >= t`` (and ``> 0``) to some GT / max(#pred, 1); R likewise / #GT.
    """
    n_g, n_p = iou.shape
    out = np.zeros((len(thresholds), 3))
    if n_g == 0:
        return out
    hit = (iou > 0)[None] & (iou[None] >= np.asarray(thresholds, dtype=np.float64)[:, None, None])
    p = hit.any(axis=1).sum(axis=1) / max(n_p, 1)
    r = hit.any(axis=2).sum(axis=1) / n_g
    denom = p + r
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(denom > 0, 2 * (p * r) / denom, 0.0)
    out[:, 0], out[:, 1], out[:, 2] = p, r, f
    return out


def greedy_mean_tiou(iou: np.ndarray) -> float:
    """Mean IoU of the greedy one-to-one matching (pairs with IoU > 0, by decreasing IoU).

    Ties keep row-major order, as the reference's stable ``sorted(..., reverse=True)``.
    """
    rows, cols = np.nonzero(iou > 0)
    if rows.size == 0:
        return 0.0
    vals = iou[rows, cols]
    order = _stable_descending(vals)
    used_r: set[int] = set()
    used_c: set[int] = set()
    matched = []
    for k in order:
        r, c = int(rows[k]), int(cols[k])
        if r not in used_r and c not in used_c:
            used_r.add(r)
            used_c.add(c)
            matched.append(vals[k])
    return float(np.mean(matched))


def _stable_descending(vals: np.ndarray) -> np.ndarray:
    """Indices sorting ``vals`` descending, equal values in their original order."""
    # Python's sorted(reverse=True) is stable; so is a stable ascending sort of the negation.
    return np.argsort(-vals, kind="stable")
