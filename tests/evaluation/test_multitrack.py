"""Multi-track scoring (evaluation/multitrack.py): hand-worked overlap cases and order invariance."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.multitrack import Seg, score_all, score_video
from evaluation.soda import soda_dp


def exact(pairs):
    """Caption score: 1 for the same sentence, else 0 (a real, simple scorer for hand values)."""
    return [1.0 if a == b else 0.0 for a, b in pairs]


WALK = Seg(0.0, 8.0, "walk", ("legs",))
WAVE = Seg(2.0, 5.0, "wave", ("right arm",))


def run(gt, pred, **kw):
    return score_all([("v", gt, pred)], exact, **kw)


def test_gt_as_prediction_scores_100_whatever_the_order():
    for pred in ([WALK, WAVE], [WAVE, WALK]):
        r = run([WALK, WAVE], pred)
        for key in ("F1", "Precision", "Recall", "tIoU", "SODA_c", "SODA_c_track_mean"):
            assert r[key] == pytest.approx(100, abs=1e-5), key
        assert r["concurrency_recall"] == pytest.approx(100)
        assert r["concurrent_gt_seconds"] == pytest.approx(3.0)  # [2, 5]


def test_dropping_a_simultaneous_segment():
    r = run([WALK, WAVE], [WALK])
    # one of two GT matched by the only prediction: P = 1, R = 1/2, F = 2/3 at every threshold
    assert r["F1"] == pytest.approx(200 / 3, abs=1e-5)
    assert r["SODA_c"] == pytest.approx(200 / 3, abs=1e-5)  # W = IoU(8/8) * 1
    # GT time with two actions: [2, 5]; the prediction runs one action there: 0 of 3 s covered
    assert r["concurrency_recall"] == 0
    # tracks: legs 1 (walk matched), right arm 0 (nothing predicted on it): mean 50
    assert r["SODA_c_tracks"] == pytest.approx({"legs": 100.0, "right arm": 0.0}, abs=1e-5)
    assert r["SODA_c_track_mean"] == pytest.approx(50, abs=1e-5)


def test_duplicates_are_not_rewarded():
    r = run([WALK], [WALK, WALK])
    # one-to-one: one pair; P = 1/2, R = 1 (densevid would give P = 1)
    assert r["Precision"] == pytest.approx(50)
    assert r["Recall"] == pytest.approx(100)
    assert r["F1"] == pytest.approx(200 / 3, abs=1e-5)


def test_swapped_starts_order_free_vs_soda():
    gt = [Seg(0.0, 6.0, "walk", ("legs",)), Seg(0.5, 3.0, "wave", ("right arm",))]
    pred = [Seg(0.4, 3.0, "wave", ("right arm",)), Seg(0.6, 6.0, "walk", ("legs",))]
    iou_walk, iou_wave = 5.4 / (6 + 1e-8), 2.5 / (2.6 + 1e-8)  # 0.9 and 0.9615
    r = run(gt, pred)
    # Hungarian matches both crossing pairs: P = R = (0.9 + 0.9615) / 2
    both = (iou_walk + iou_wave) / 2
    assert r["SODA_c"] == pytest.approx(100 * both, abs=1e-6)
    # SODA's order-preserving DP (both sides sorted by start) keeps only one of them
    w = [[0.0, iou_walk], [iou_wave, 0.0]]  # GT (walk, wave) x predictions sorted (wave, walk)
    assert soda_dp(w) == pytest.approx(iou_wave)
    # F1: walk's IoU 0.8999999985 passes t <= 0.85 (8 thresholds, F = 1), fails 0.9 and 0.95
    # (F = 0.5 with one pair of two): (8 + 2 * 0.5) / 10
    assert r["F1"] == pytest.approx(90.0)
    # P/R at 0.3/0.5/0.7/0.9 (strict >): 2, 2, 2, 1 pairs of 2 -> (1 + 1 + 1 + 0.5) / 4
    assert r["Precision"] == pytest.approx(87.5) and r["Recall"] == pytest.approx(87.5)
    assert r["tIoU"] == pytest.approx(100 * both, abs=1e-6)
    # concurrency: GT runs two actions over [0.5, 3] (2.5 s); the prediction does over [0.6, 3]
    assert r["concurrency_recall"] == pytest.approx(100 * 2.4 / 2.5)


def test_part_aware_matching_needs_shared_parts():
    pred = [WALK, Seg(2.0, 5.0, "wave", ("left arm",))]
    assert run([WALK, WAVE], pred)["F1"] == pytest.approx(100, abs=1e-5)
    aware = run([WALK, WAVE], pred, part_aware=True)
    # only the walk may match: 1 pair of 2 predictions and 2 GT, P = R = F = 1/2
    assert aware["F1"] == pytest.approx(50, abs=1e-5)
    assert aware["concurrency_recall"] == 0  # the wave has no partner


def test_no_prediction_and_no_concurrency():
    r = score_all([("a", [WALK], None), ("b", [WALK], [WALK])], exact)
    assert r["F1"] == pytest.approx(50, abs=1e-5)  # 0 and 100
    assert r["concurrency_recall"] is None  # no GT time with two actions


_seg = st.builds(
    lambda s, d, c, p: Seg(s, s + d, c, p),
    st.floats(0, 20, allow_nan=False).map(lambda x: round(x, 2)),
    st.floats(0.5, 8).map(lambda x: round(x, 2)),
    st.sampled_from(["walk", "wave", "nod", "squat"]),
    st.sampled_from([("legs",), ("right arm",), ("head",), ("left arm", "spine"), ()]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_seg, min_size=1, max_size=6), st.lists(_seg, max_size=6), st.randoms())
def test_permuting_segments_never_changes_a_score(gt, pred, rnd):
    a = score_video(gt, pred, exact)
    g2, p2 = list(gt), list(pred)
    rnd.shuffle(g2)
    rnd.shuffle(p2)
    b = score_video(g2, p2, exact)
    for x, y in ((a.f1, b.f1), (a.p, b.p), (a.r, b.r)):
        assert x == y
    assert a.tiou == b.tiou and a.soda == b.soda and a.conc == b.conc
    assert a.soda_tracks == b.soda_tracks
    assert all(0 <= v <= 1 + 1e-12 for v in (*a.f1, *a.soda)) and not math.isnan(a.tiou)


def test_auto_runs_on_multi_track_gt_only():
    """`--multitrack auto` switches on for segments overlapping on disjoint body parts, not for
    ActivityNet-style overlapping GT without parts (scored classically, as the references do)."""
    from compmo_gen.core.segments import DenseAnnotation, Segment
    from evaluation.multitrack_run import wanted

    anet = {"v": DenseAnnotation("v", 10.0, (Segment(0, 6, "a"), Segment(4, 9, "b")))}
    parts = {"v": DenseAnnotation("v", 10.0, (Segment(0, 8, "walks", ("legs",)),
                                              Segment(2, 5, "waves", ("right arm",))))}  # fmt: skip
    sequential = {"v": DenseAnnotation("v", 10.0, (Segment(0, 5, "a"), Segment(5, 9, "b")))}
    assert not wanted("auto", anet) and not wanted("auto", sequential)
    assert wanted("auto", parts)
    assert wanted("on", anet) and not wanted("off", parts)
