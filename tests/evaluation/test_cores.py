"""Pure cores against the references' scalar code: tIoU, SODA DP, localisation metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluation.localization import densevid_precision_recall, greedy_mean_tiou, overlap_prf
from evaluation.soda import soda_bounded, soda_dp, soda_path, soda_table

from . import reference_impl as ref

times = st.floats(min_value=0, max_value=60, allow_nan=False, width=64)
spans = st.lists(st.tuples(times, times), min_size=0, max_size=8)


@settings(max_examples=200, deadline=None)
@given(spans, spans)
def test_tiou_matrix_is_the_reference_formula_bit_for_bit(a, b):
    from compmo_gen.core.tiou import tiou_matrix

    m = tiou_matrix(a, b)
    assert m.shape == (len(a), len(b))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            try:
                want = ref.iou(x, y)
            except ZeroDivisionError:  # union == -eps (reversed input): the references crash
                want = 0.0
            assert m[i, j] == want or (m[i, j] == 0 and want == 0)


def test_tiou_eps_quirk():
    from compmo_gen.core.tiou import tiou_matrix

    assert tiou_matrix([(0, 5)], [(0, 10)])[0, 0] < 0.5  # exactly 0.5 in exact arithmetic
    assert tiou_matrix([(0, 10)], [(0, 10)])[0, 0] < 1.0
    assert tiou_matrix([(3, 3)], [(3, 3)])[0, 0] == 0.0  # zero-length never matches
    assert tiou_matrix([(5, 2)], [(0, 10)])[0, 0] <= 0.0  # reversed


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(0, 2**32 - 1),
)
def test_iterative_dp_equals_recursive_reference(m, n, seed):
    rng = np.random.default_rng(seed)
    w = rng.random((m, n)) * (rng.random((m, n)) < 0.5)
    assert soda_dp(w) == ref._dp(w)


def test_dp_has_no_depth_limit():
    w = np.eye(1500) * 0.5
    assert soda_dp(w) == pytest.approx(750.0)
    assert soda_dp(np.zeros((0, 3))) == 0.0


@pytest.mark.parametrize("seed", range(40))
def test_bounded_dp_is_exact_and_scores_fewer_cells(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 10, 2)
    iou = rng.random((m, n)) * (rng.random((m, n)) < 0.4)
    s = np.round(rng.random((m, n)) * 0.99, int(rng.integers(1, 4)))  # ties on purpose
    known: dict = {}
    while True:
        value, cells = soda_bounded(iou, known)
        if value is not None:
            break
        assert cells and all(c not in known and iou[c] > 0 for c in cells)
        known.update({c: s[c] for c in cells})
    assert value == soda_dp(iou * s)
    assert len(known) <= int((iou > 0).sum())


def test_path_cells_sum_to_the_dp_value():
    rng = np.random.default_rng(7)
    w = rng.random((6, 8)) * (rng.random((6, 8)) < 0.6)
    dp = soda_table(w)
    cells = soda_path(dp)
    assert sorted(cells) == sorted(set(cells))
    assert sum(w[c] for c in reversed(cells)) == pytest.approx(dp[-1, -1], abs=1e-15)
    rows, cols = zip(*sorted(cells), strict=True)
    assert list(rows) == sorted(set(rows)) and list(cols) == sorted(set(cols))  # order-preserving


def _overlap_ref(refs, preds, thresholds):
    gt = {"v": {"timestamps": refs}}
    pred = {"v": [{"timestamp": p} for p in preds]}
    return ref.overlap(gt, pred, thresholds)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(times, times), min_size=1, max_size=6), spans)
def test_overlap_metrics_match_reference(refs, preds):
    from compmo_gen.core.tiou import tiou_matrix

    thresholds = tuple(np.arange(0.5, 0.95 + 0.05, 0.05))
    iou = tiou_matrix(refs, preds)
    try:
        tiou, f1 = _overlap_ref(refs, preds, thresholds)
    except ZeroDivisionError:  # union == -eps (reversed input): overlap.py crashes, we give 0
        assume(False)
    assert greedy_mean_tiou(iou) == pytest.approx(tiou, abs=1e-12)
    assert overlap_prf(iou, thresholds)[:, 2].mean() == pytest.approx(f1, abs=1e-12)


def test_densevid_precision_recall_strict_threshold():
    from compmo_gen.core.tiou import tiou_matrix

    gt = [(0, 10), (10, 20)]
    iou = tiou_matrix(gt, [(0, 10), (10, 14), (10, 14)])
    pr = densevid_precision_recall(iou, (0.3, 0.5, 1.0))
    assert pr[0].tolist() == pytest.approx([1.0, 1.0])  # duplicates are not penalised
    assert pr[1].tolist() == pytest.approx([1 / 3, 1 / 2])
    assert pr[2].tolist() == [0.0, 0.0]  # identical segments score 1 - 1e-9, never 1
    assert densevid_precision_recall(tiou_matrix(gt, []), (0.5,)).tolist() == [[0.0, 0.0]]


WORDS = "a the person man walks runs forward left right arm jumps slowly in circle".split()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), min_size=0, max_size=9),
            st.lists(st.sampled_from(WORDS), min_size=0, max_size=9),
        ),
        min_size=1,
        max_size=7,
    )
)
def test_ciderd_equals_pycocoevalcap_bit_for_bit(raw):
    from pycocoevalcap.cider.cider import Cider

    from evaluation.ciderd import CiderD

    pairs = [(" ".join(h), " ".join(r)) for h, r in raw]
    if not any(r for _, r in raw):  # pycocoevalcap raises (max of no document frequencies)
        assert CiderD().score(pairs) == 0.0
        return
    want, want_each = Cider().compute_score(
        {i: [r] for i, (_, r) in enumerate(pairs)}, {i: [h] for i, (h, _) in enumerate(pairs)}
    )
    for ciderd in (CiderD(compiled=False), CiderD()):  # Python; the C kernel where built
        assert ciderd.score(pairs) == float(want)
        assert ciderd.scores(pairs).tolist() == [float(x) for x in want_each]


def test_caption_scorer_equals_plain_pycocoevalcap():
    from evaluation.captions import CaptionScorer, score_plain

    groups = [
        [("a man walks forward", "a person walks forward"), ("jumps", "qwertyuiopasdf")],
        [("a man walks forward", "a person walks forward")],
        [("runs in a circle", "runs in a circle"), ("runs", "walks slowly"), ("", "left arm")],
    ]
    for scorer in (CaptionScorer(compiled=False), CaptionScorer()):
        for g in groups * 2:  # second pass hits the caches
            assert scorer.score(g) == score_plain(g)


def test_caption_work_in_worker_processes_gives_the_same_scores():
    """BLEU/ROUGE-L/CIDEr-D computed in two worker processes == in this process, by group."""
    import random

    from evaluation.caption_pool import CaptionWork
    from evaluation.captions import CaptionScorer

    rng = random.Random(3)
    sentence = lambda: " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9)))  # noqa: E731
    groups = [tuple((sentence(), sentence()) for _ in range(rng.randint(1, 6))) for _ in range(40)]
    work = CaptionWork(2, parallel=True)
    try:
        got = work.submit(groups)()
    finally:
        work.close()
    local = CaptionScorer()
    assert got == {g: local.score(g) for g in groups}
