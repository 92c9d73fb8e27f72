"""Temporal IoU exactly as the reference scripts compute it, vectorised.

Every reference computes ``inter / (union + 1e-8)`` with
``union = min(max(e1, e2) - min(s1, s2), e1 - s1 + e2 - s2)``. Python evaluates the second term
left to right, ``((e1 - s1) + e2) - s2``, so the argument order matters in the last bit for
touching or reversed segments; :func:`tiou_matrix` keeps that order (``a`` is the first argument).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

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
    # times near the float range (1e308, finite) overflow to inf here: no warning, the cell is 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        inter = np.maximum(0.0, np.minimum(e1, e2) - np.maximum(s1, s2))
        union = np.minimum(np.maximum(e1, e2) - np.minimum(s1, s2), ((e1 - s1) + e2) - s2)
        m = inter / (union + eps)
    # union + eps == 0 only for degenerate reversed input (the references raise): define it as 0.
    return np.where(np.isfinite(m), m, 0.0)


def tiou(a: tuple[float, float], b: tuple[float, float], eps: float = TIOU_EPS) -> float:
    """The scalar reference tIoU (the obvious way; used by tests and small callers)."""
    (s1, e1), (s2, e2) = a, b
    inter = max(0.0, min(e1, e2) - max(s1, s2))
    union = min(max(e1, e2) - min(s1, s2), e1 - s1 + e2 - s2)
    return inter / (union + eps)


#: Cells of a tIoU matrix computed at once by :func:`tiou_blocks` (8 MiB per float64 temporary):
#: the memory of a video with thousands of segments stays bounded.
BLOCK_CELLS = 1 << 20


def row_blocks(n_rows: int, n_cols: int, cells: int = BLOCK_CELLS) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` row ranges of an ``n_rows x n_cols`` matrix, about ``cells`` cells each."""
    step = max(1, cells // max(n_cols, 1))
    for lo in range(0, n_rows, step):
        yield lo, min(lo + step, n_rows)


def tiou_blocks(
    a: Spans, b: Spans, *, rows: str = "a", eps: float = TIOU_EPS, cells: int = BLOCK_CELLS
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, block)``: the rows of ``tiou_matrix(a, b)`` (``rows="a"``) or of its
    transpose (``rows="b"``, one row per segment of ``b``) a block of rows at a time. Every cell is
    ``iou(a[i], b[j])`` with :func:`tiou_matrix`'s operations, so the blocks equal the whole
    matrix's rows bit for bit."""
    a, b = as_spans(a), as_spans(b)
    if rows == "a":
        for lo, hi in row_blocks(len(a), len(b), cells):
            yield lo, tiou_matrix(a[lo:hi], b, eps)
    elif rows == "b":
        for lo, hi in row_blocks(len(b), len(a), cells):
            yield lo, tiou_matrix(a, b[lo:hi], eps).T
    else:
        raise ValueError(f"rows must be 'a' or 'b', got {rows!r}")


@dataclass(frozen=True)
class SparseTiou:
    """The cells of a tIoU matrix above 0, row by row (CSR): row ``i`` holds columns
    ``cols[indptr[i]:indptr[i + 1]]`` (increasing) with values ``vals[...]``. A timeline's segments
    overlap only their neighbours, so this is what a video with thousands of segments keeps
    instead of the dense matrix (every metric built on tIoU reads only cells above 0)."""

    shape: tuple[int, int]
    indptr: np.ndarray
    cols: np.ndarray
    vals: np.ndarray

    @classmethod
    def from_blocks(
        cls, blocks: Iterable[tuple[int, np.ndarray]], shape: tuple[int, int]
    ) -> SparseTiou:
        """From ``(first row, dense block)`` in row order (:func:`tiou_blocks`)."""
        counts = np.zeros(shape[0], dtype=np.int64)
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for lo, block in blocks:
            r, c = np.nonzero(block > 0)
            counts[lo : lo + block.shape[0]] = np.bincount(r, minlength=block.shape[0])
            cols.append(c.astype(np.int32 if shape[1] < 2**31 else np.int64))
            vals.append(block[r, c])
        indptr = np.zeros(shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            shape,
            indptr,
            np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32),
            np.concatenate(vals) if vals else np.zeros(0),
        )

    @classmethod
    def from_dense(cls, m: np.ndarray) -> SparseTiou:
        m = np.asarray(m, dtype=np.float64)
        return cls.from_blocks([(0, m)], (m.shape[0], m.shape[1]))

    @classmethod
    def of(cls, a: Spans, b: Spans, *, rows: str = "a", eps: float = TIOU_EPS) -> SparseTiou:
        """The cells above 0 of ``tiou_matrix(a, b)`` (``rows="a"``) or of its transpose."""
        n_a, n_b = len(as_spans(a)), len(as_spans(b))
        shape = (n_a, n_b) if rows == "a" else (n_b, n_a)
        return cls.from_blocks(tiou_blocks(a, b, rows=rows, eps=eps), shape)

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of row ``i``'s cells above 0."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.cols[lo:hi], self.vals[lo:hi]

    def rows(self) -> np.ndarray:
        """The row of every stored cell (row-major order, as ``np.nonzero`` gives them); computed
        once."""
        if "_rows" not in self.__dict__:  # frozen: cached by hand, not through __setattr__
            dtype = np.int32 if self.shape[0] < 2**31 else np.int64
            rows = np.repeat(np.arange(self.shape[0], dtype=dtype), np.diff(self.indptr))
            object.__setattr__(self, "_rows", rows)
        return self.__dict__["_rows"]

    def __getitem__(self, cell: tuple[int, int]) -> float:
        cols, vals = self.row(int(cell[0]))
        k = int(np.searchsorted(cols, cell[1]))
        return float(vals[k]) if k < len(cols) and cols[k] == cell[1] else 0.0

    def dense(self) -> np.ndarray:
        """The matrix with every cell not above 0 set to 0 (small matrices, tests)."""
        out = np.zeros(self.shape)
        out[self.rows(), self.cols] = self.vals
        return out
