"""The streamed tIoU work (cells above 0, a DP row at a time) gives the dense implementations'
numbers bit for bit: localisation metrics, the ActivityNet pairs, SODA's bounded DP and SODA(B)'s,
on random timelines (touching, nested, reversed and zero-length segments) and tiny blocks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compmo_gen.core import tiou as tiou_mod
from compmo_gen.core.tiou import SparseTiou, tiou_matrix
from evaluation.localization import densevid_precision_recall, greedy_mean_tiou, overlap_prf
from evaluation.plan import anet_groups
from evaluation.protocol import OVERLAP_THRESHOLDS, TIOUS
from evaluation.soda import RunTable, soda_bounded, soda_cells, soda_dp, soda_path, soda_table

# --------------------------------------------------------------- the dense versions (the oracle)


def dense_precision_recall(iou, tious):
    n_g, n_p = iou.shape
    out = np.zeros((len(tious), 2))
    if n_p == 0 or n_g == 0:
        return out
    hit = iou[None] > np.asarray(tious, dtype=np.float64)[:, None, None]
    out[:, 0] = hit.any(axis=1).sum(axis=1) / n_p
    out[:, 1] = hit.any(axis=2).sum(axis=1) / n_g
    return out


def dense_overlap(iou, thresholds):
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


def dense_greedy(iou):
    rows, cols = np.nonzero(iou > 0)
    if rows.size == 0:
        return 0.0
    vals = iou[rows, cols]
    used_r, used_c, matched = set(), set(), []
    for k in np.argsort(-vals, kind="stable"):
        r, c = int(rows[k]), int(cols[k])
        if r not in used_r and c not in used_c:
            used_r.add(r)
            used_c.add(c)
            matched.append(vals[k])
    return float(np.mean(matched))


def dense_anet(iou, n, tious):
    out = []
    for t in tious:
        hit = (iou >= t).T.tolist()
        out.append([(j, i) for j in range(n) for i, h in enumerate(hit[j]) if h] or None)
    return out


# --------------------------------------------------------------------------------- timelines

times = st.one_of(st.integers(0, 20).map(float), st.floats(0, 30, allow_nan=False, width=64))
spans = st.lists(st.tuples(times, times), min_size=0, max_size=14)


def _bits(x) -> bytes:
    return np.asarray(x, dtype=np.float64).tobytes()


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch):
    """Blocks of a few cells, so every test crosses block boundaries."""
    monkeypatch.setattr(tiou_mod, "BLOCK_CELLS", 7)
    monkeypatch.setattr(
        tiou_mod.tiou_blocks, "__kwdefaults__", {**tiou_mod.tiou_blocks.__kwdefaults__, "cells": 7}
    )


@settings(max_examples=200, deadline=None)
@given(spans, spans, st.integers(0, 14))
def test_localisation_metrics_equal_the_dense_ones(gt, pred, kept):
    iou = tiou_matrix(gt, pred)
    sp = SparseTiou.of(gt, pred)
    kept = min(kept, len(pred))
    assert _bits(overlap_prf(sp, OVERLAP_THRESHOLDS)) == _bits(
        dense_overlap(iou, OVERLAP_THRESHOLDS)
    )
    assert greedy_mean_tiou(sp) == dense_greedy(iou)
    half = len(gt) // 2
    for lo, hi in ((0, len(gt)), (0, half), (half, len(gt))):
        got = densevid_precision_recall(sp, TIOUS + (0.0,), (lo, hi), kept)
        want = dense_precision_recall(iou[lo:hi, :kept], TIOUS + (0.0,))
        assert _bits(got) == _bits(want)


@settings(max_examples=100, deadline=None)
@given(spans, spans)
def test_activitynet_pairs_equal_the_dense_ones(gt, pred):
    iou = tiou_matrix(gt, pred)
    toks = [f"p{j}" for j in range(len(pred))]
    groups = anet_groups(SparseTiou.of(gt, pred), toks, [f"g{i}" for i in range(len(gt))],
                         [f"x{j}" for j in range(len(pred))], TIOUS)  # fmt: skip
    dense = anet_groups(iou, toks, [f"g{i}" for i in range(len(gt))],
                        [f"x{j}" for j in range(len(pred))], TIOUS)  # fmt: skip
    assert groups == dense
    want = dense_anet(iou, len(pred), TIOUS)
    for g, w in zip(groups, want, strict=True):
        assert [(h, r) for h, r in g if r.startswith("g")] == [
            (f"p{j}", f"g{i}") for j, i in (w or [])
        ]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_soda_dp_a_row_at_a_time_equals_the_table(m, n, seed):
    rng = np.random.default_rng(seed)
    iou = np.round(rng.random((m, n)), 2) * (rng.random((m, n)) < 0.5)
    s = np.round(rng.random((m, n)), int(rng.integers(1, 3)))  # ties on purpose
    table = soda_table(iou * s)
    runs = RunTable(n)
    for row in table:
        runs.append(row)
    assert all(runs[i, j] == table[i, j] for i in range(m) for j in range(n))
    assert soda_path(runs) == soda_path(table)
    cells = {c: s[c] for c in zip(*np.nonzero(iou > 0), strict=True)}
    want = soda_dp(iou * s)
    assert soda_bounded(iou, cells)[0] == want
    p, r, f = soda_cells(SparseTiou.from_dense(iou), cells)
    assert p * n == pytest.approx(want) or want == 0
    known: dict = {}
    while True:  # the bounded rounds end on the exact value
        value, missing = soda_bounded(SparseTiou.from_dense(iou), known)
        if value is not None:
            break
        known.update({c: s[c] for c in missing})
    assert value == want


def test_a_long_timeline_keeps_its_overlaps_only():
    """2,000 contiguous GT segments against 2,000 shifted predictions: two cells above 0 per
    row are kept, and the bounded DP's value is the dense DP's."""
    n = 2000
    gt = [(float(i), float(i + 1)) for i in range(n)]
    pred = [(i + 0.5, i + 1.5) for i in range(n)]
    sp = SparseTiou.of(pred, gt, rows="b")
    assert sp.nnz <= 2 * n
    value, _ = soda_bounded(sp, {c: 0.5 for c in zip(sp.rows().tolist(), sp.cols.tolist())})
    dense = sp.dense()
    assert value == soda_dp(dense * 0.5)


@settings(max_examples=60, deadline=None)
@given(spans, spans, st.integers(1, 14), st.sampled_from([TIOUS, (0.0, 0.5), (0.0,)]))
def test_plan_video_equals_the_dense_work(gt, pred, max_proposals, tious):
    """plan_video (cells above 0; a tIoU threshold of 0 reads the dense kept columns) against
    the dense functions on the whole matrix, a threshold of 0 and max_proposals included."""
    from evaluation.plan import VideoInput, plan_video

    gt_a, pred_a = np.array(gt).reshape(-1, 2), np.array(pred).reshape(-1, 2)
    g_tok = tuple(f"g{i}" for i in range(len(gt)))
    p_tok = tuple(f"p{j}" for j in range(len(pred)))
    x_tok = tuple(f"x{j}" for j in range(len(pred)))
    plan = plan_video(VideoInput("v", "ok", gt_a, g_tok, pred_a, p_tok, x_tok, True), tious,
                      OVERLAP_THRESHOLDS, max_proposals)  # fmt: skip
    iou = tiou_matrix(gt_a, pred_a)
    kept = min(len(pred), max_proposals)
    assert plan.anet_groups == anet_groups(iou[:, :kept], p_tok[:kept], g_tok, x_tok[:kept], tious)
    assert _bits(plan.precision_recall) == _bits(dense_precision_recall(iou[:, :kept], tious))
    assert _bits(plan.overlap) == _bits(dense_overlap(iou, OVERLAP_THRESHOLDS))
    assert plan.mean_tiou == dense_greedy(iou)
