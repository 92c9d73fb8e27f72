"""Localisation metrics: densevid P/R (strict ``>``) and Chapter-Llama's overlap metrics.

Pure functions on one video's tIoU matrix ``iou[g, p]`` (rows: ground truth, columns:
predictions, ``tiou_matrix(gt, pred)``), dense or as its cells above 0
(:class:`compmo_gen.core.tiou.SparseTiou`, what large videos keep): each metric reads only those.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compmo_gen.core.tiou import SparseTiou


def _sparse(iou: np.ndarray | SparseTiou) -> SparseTiou:
    return iou if isinstance(iou, SparseTiou) else SparseTiou.from_dense(iou)


def _hit_counts(
    iou: SparseTiou,
    thresholds: Sequence[float],
    strict: bool,
    rows: tuple[int, int],
    n_cols: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per threshold ``t``: (distinct columns < ``n_cols``, distinct rows in ``rows``) of the
    stored cells with value ``> t`` (``strict``) or ``>= t``; all thresholds in one pass."""
    lo, hi = iou.indptr[rows[0]], iou.indptr[rows[1]]
    r, c, v = iou.rows()[lo:hi], iou.cols[lo:hi], iou.vals[lo:hi]
    keep = c < n_cols
    r, c, v = r[keep], c[keep], v[keep]
    t = np.asarray(thresholds, dtype=np.float64)[:, None]
    k, idx = np.nonzero(v[None, :] > t if strict else v[None, :] >= t)
    col_hit = np.zeros((len(thresholds), n_cols), dtype=bool)
    col_hit[k, c[idx]] = True
    row_hit = np.zeros((len(thresholds), iou.shape[0]), dtype=bool)
    row_hit[k, r[idx]] = True
    return col_hit.sum(axis=1), row_hit.sum(axis=1)


def densevid_precision_recall(
    iou: np.ndarray | SparseTiou,
    tious: Sequence[float],
    rows: tuple[int, int] | None = None,
    n_cols: int | None = None,
) -> np.ndarray:
    """ActivityNet verbose-mode P and R per threshold, shape (len(tious), 2).

    A GT segment is covered, a prediction correct, if some counterpart has ``iou > t``
    (thresholds >= 0, so only cells above 0 count). ``rows``: the GT rows of one reference set
    (default all); ``n_cols``: the predictions considered, the first ones (default all).
    A video without predictions has P = R = 0 (the reference's stale-variable case included).
    """
    iou = _sparse(iou)
    lo, hi = rows if rows is not None else (0, iou.shape[0])
    n_g, n_p = hi - lo, iou.shape[1] if n_cols is None else n_cols
    out = np.zeros((len(tious), 2))
    if n_p == 0 or n_g == 0:
        return out
    if any(t < 0 for t in tious):
        raise ValueError(f"tIoU thresholds must be >= 0, got {list(tious)}")
    cols, rws = _hit_counts(iou, tious, True, (lo, hi), n_p)
    out[:, 0] = cols / n_p
    out[:, 1] = rws / n_g
    return out


def prf(p: float, r: float) -> float:
    """``2PR / (P + R)``, 0 when both are 0."""
    return 2 * (p * r) / (p + r) if p + r else 0.0


def overlap_prf(iou: np.ndarray | SparseTiou, thresholds: Sequence[float]) -> np.ndarray:
    """Chapter-Llama per-threshold (P, R, F1) of one video, shape (len(thresholds), 3), fractions.

    P = predictions with ``iou >= t`` (and ``> 0``) to some GT / max(#pred, 1); R likewise / #GT.
    """
    iou = _sparse(iou)
    n_g, n_p = iou.shape
    out = np.zeros((len(thresholds), 3))
    if n_g == 0:
        return out
    cols, rws = _hit_counts(iou, thresholds, False, (0, n_g), n_p)
    p = cols / max(n_p, 1)
    r = rws / n_g
    denom = p + r
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(denom > 0, 2 * (p * r) / denom, 0.0)
    out[:, 0], out[:, 1], out[:, 2] = p, r, f
    return out


def greedy_mean_tiou(iou: np.ndarray | SparseTiou) -> float:
    """Mean IoU of the greedy one-to-one matching (pairs with IoU > 0, by decreasing IoU).

    Ties keep row-major order, as the reference's stable ``sorted(..., reverse=True)``; the walk
    stops once every row or every column is matched (no later pair can match).
    """
    iou = _sparse(iou)
    if iou.nnz == 0:
        return 0.0
    rows, cols, vals = iou.rows(), iou.cols, iou.vals
    order = _stable_descending(vals)
    used_r: set[int] = set()
    used_c: set[int] = set()
    matched = []
    most = min(len(np.unique(rows)), len(np.unique(cols)))
    for start in range(0, len(order), 1 << 16):  # a slice at a time: bounded Python lists
        part = order[start : start + (1 << 16)]
        for k, r, c in zip(part.tolist(), rows[part].tolist(), cols[part].tolist(), strict=True):
            if r not in used_r and c not in used_c:
                used_r.add(r)
                used_c.add(c)
                matched.append(vals[k])
        if len(matched) == most:
            break
    return float(np.mean(matched))


def _stable_descending(vals: np.ndarray) -> np.ndarray:
    """Indices sorting ``vals`` descending, equal values in their original order."""
    # Python's sorted(reverse=True) is stable; so is a stable ascending sort of the negation.
    return np.argsort(-vals, kind="stable")
