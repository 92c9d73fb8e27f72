"""tIoU a block of rows at a time and its cells above 0 (SparseTiou) equal the whole matrix bit
for bit, in both orientations and at any block size."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compmo_gen.core.tiou import SparseTiou, row_blocks, tiou_blocks, tiou_matrix

# times with ties, touching, zero-length and reversed segments
times = st.one_of(st.integers(0, 12).map(float), st.floats(0, 60, allow_nan=False, width=64))
spans = st.lists(st.tuples(times, times), min_size=0, max_size=12)


def _bits(m: np.ndarray) -> bytes:
    return np.ascontiguousarray(m, dtype=np.float64).tobytes()


@settings(max_examples=200, deadline=None)
@given(spans, spans, st.integers(1, 40))
def test_blocks_are_the_whole_matrix_bit_for_bit(a, b, cells):
    whole = tiou_matrix(a, b)
    got = np.zeros((len(a), len(b)))
    for lo, block in tiou_blocks(a, b, cells=cells):
        got[lo : lo + block.shape[0]] = block
    assert _bits(got) == _bits(whole)
    got_t = np.zeros((len(b), len(a)))
    for lo, block in tiou_blocks(a, b, rows="b", cells=cells):
        got_t[lo : lo + block.shape[0]] = block
    assert _bits(got_t) == _bits(whole.T)


@settings(max_examples=200, deadline=None)
@given(spans, spans, st.integers(1, 40))
def test_sparse_holds_exactly_the_cells_above_zero(a, b, cells):
    whole = tiou_matrix(a, b)
    sp = SparseTiou.from_blocks(tiou_blocks(a, b, cells=cells), whole.shape)
    r, c = np.nonzero(whole > 0)  # row-major, as the metrics walk them
    assert sp.rows().tolist() == r.tolist() and sp.cols.tolist() == c.tolist()
    assert _bits(sp.vals) == _bits(whole[r, c])
    assert _bits(sp.dense()) == _bits(np.where(whole > 0, whole, 0.0))
    for i in range(whole.shape[0]):
        for j in range(whole.shape[1]):
            assert sp[i, j] == (whole[i, j] if whole[i, j] > 0 else 0.0)
    assert _bits(SparseTiou.of(a, b, rows="b").dense()) == _bits(np.where(whole.T > 0, whole.T, 0))


def test_row_blocks_cover_every_row_once():
    for n_rows, n_cols, cells in ((0, 5, 3), (7, 0, 3), (10, 3, 7), (10, 3, 1000), (5, 100, 1)):
        got = [i for lo, hi in row_blocks(n_rows, n_cols, cells) for i in range(lo, hi)]
        assert got == list(range(n_rows))


def test_times_near_the_float_range_give_finite_cells_without_warnings() -> None:
    import warnings

    import numpy as np

    from compmo_gen.core.tiou import tiou_matrix

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow RuntimeWarning leaked to users before
        m = tiou_matrix([(-1e308, 1e308), (0.0, 5.0)], [(0.0, 5.0), (1e308, 1e308)])
    assert np.isfinite(m).all() and m[1, 0] > 0.99
