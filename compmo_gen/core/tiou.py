"""Temporal IoU exactly as the reference scripts compute it, vectorised.

Every reference computes ``inter / (union + 1e-8)`` with
``union = min(max(e1, e2) - min(s1, s2), e1 - s1 + e2 - s2)``. Python evaluates the second term
left to right, ``((e1 - s1) + e2) - s2``, so the argument order matters in the last bit for
touching or reversed segments; :func:`tiou_matrix` keeps that order (``a`` is the first argument).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Epsilon every reference tIoU adds to the union.
TIOU_EPS: float = 1e-8

Spans = Sequence[tuple[float, float]] | np.ndarray


def as_spans(spans: Spans) -> np.ndarray:
    """``[(start, end), ...]`` as a float64 array of shape (n, 2) (n may be 0)."""
    arr = np.asarray(spans, dtype=np.float64)
    return arr.reshape(-1, 2)


def tiou_matrix(a: Spans, b: Spans, eps: float = TIOU_EPS) -> np.ndarray:
    """``M[i, j] = iou(a[i], b[j])`` with the reference formula and operation order."""
    a, b = as_spans(a), as_spans(b)
    s1, e1 = a[:, 0:1], a[:, 1:2]
    s2, e2 = b[None, :, 0], b[None, :, 1]
    inter = np.maximum(0.0, np.minimum(e1, e2) - np.maximum(s1, s2))
    union = np.minimum(np.maximum(e1, e2) - np.minimum(s1, s2), ((e1 - s1) + e2) - s2)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = inter / (union + eps)
    # union + eps == 0 only for degenerate reversed input (the references raise): define it as 0.
    return np.where(np.isfinite(m), m, 0.0)


def tiou(a: tuple[float, float], b: tuple[float, float], eps: float = TIOU_EPS) -> float:
    """The scalar reference tIoU (the obvious way; used by tests and small callers)."""
    (s1, e1), (s2, e2) = a, b
    inter = max(0.0, min(e1, e2) - max(s1, s2))
    union = min(max(e1, e2) - min(s1, s2), e1 - s1 + e2 - s2)
    return inter / (union + eps)
