"""The fast path against a plain re-statement of DEMO's scripts (real pycocoevalcap, real Java)."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest

from compmo_gen.core.segments import DenseAnnotation, Segment
from evaluation.protocol import OVERLAP_THRESHOLDS
from evaluation.report import summarize
from evaluation.scorer import EvalConfig, build_inputs, score_videos

from . import reference_impl as ref

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")

CAPTIONS = [
    "a person walks forward.",
    "A man jumps up and down, twice",
    "the person's left arm waves (slowly)",
    "someone crouches then stands",
    "walks in a circle counterclockwise",
    "a person walks forward",
    "kicks with the right foot!",
    "dances – happily – in place",  # non-ASCII dashes
    "sits down on a chair",
    "runs",
]


def make_fixture(seed: int, n_videos: int = 7) -> tuple[dict, dict]:
    rng = random.Random(seed)
    gt, pred = {}, {}
    for v in range(n_videos):
        n = rng.randint(2, 5)
        cuts = sorted(rng.uniform(0, 30) for _ in range(n - 1))
        bounds = [0.0, *cuts, 30.0 + rng.uniform(0, 5)]
        sents = [rng.choice(CAPTIONS) for _ in range(n)]
        gt[f"v{v}"] = {
            "timestamps": [[bounds[i], bounds[i + 1]] for i in range(n)],
            "sentences": sents,
        }
        preds = []
        for i in range(n + rng.randint(-1, 2)):
            k = min(i, n - 1)
            s = max(0.0, bounds[k] + rng.gauss(0, 2))
            e = s + max(0.0, (bounds[k + 1] - bounds[k]) + rng.gauss(0, 3))
            cap = sents[k] if rng.random() < 0.6 else rng.choice(CAPTIONS)
            preds.append({"timestamp": [s, e], "sentence": cap})
        if v == 0:  # far away from everything: garbage pairs at every tIoU
            preds.append({"timestamp": [100.0, 101.0], "sentence": "stands still"})
        if v == 1:  # exact copy of a GT segment, and a zero-length prediction
            preds.append({"timestamp": list(gt["v1"]["timestamps"][0]), "sentence": sents[0]})
            preds.append({"timestamp": [3.0, 3.0], "sentence": "jumps"})
        pred[f"v{v}"] = preds
    return gt, pred


def to_annotations(gt: dict, pred: dict) -> tuple[dict, dict]:
    g = {
        v: DenseAnnotation(
            v, None, tuple(Segment(a, b, s) for (a, b), s in zip(x["timestamps"], x["sentences"]))
        )
        for v, x in gt.items()
    }
    p = {
        v: DenseAnnotation(
            v, None, tuple(Segment(y["timestamp"][0], y["timestamp"][1], y["sentence"]) for y in x)
        )
        for v, x in pred.items()
    }
    return g, p


class _Shared:
    """One METEOR backend for the whole module (score_videos closes what it is given)."""

    backend = None

    def __getattr__(self, name):
        if _Shared.backend is None:
            from evaluation.meteor_driver import open_meteor

            _Shared.backend = open_meteor(2)
        return getattr(_Shared.backend, name)

    def close(self):
        pass


def fast(gt: dict, pred: dict, protocol: str = "demo", unparseable=()) -> dict:
    cfg = EvalConfig(protocol=protocol, jobs=2, chunk=3)
    g, p = to_annotations(gt, pred)
    inputs, counts = build_inputs(g, p, unparseable, cfg)
    return summarize(score_videos(inputs, cfg, _Shared()), cfg)


@pytest.fixture(scope="module", autouse=True)
def _close_shared_backend():
    yield
    if _Shared.backend is not None:
        _Shared.backend.close()
        _Shared.backend = None


@pytest.fixture(scope="module")
def meteor():
    from pycocoevalcap.meteor.meteor import Meteor

    m = Meteor()
    yield m
    del m


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_path_matches_plain_reference(meteor, seed):
    gt, pred = make_fixture(seed)
    got = fast(gt, pred)
    want = ref.densevid(gt, pred, meteor)
    for t, row in want.items():
        for name, value in row.items():
            assert got["per_tiou"][f"{t:g}"][name] == pytest.approx(value * 100, abs=1e-9), (
                t,
                name,
            )
    assert got["metrics"]["SODA_c"] == pytest.approx(ref.soda_c(gt, pred, meteor) * 100, abs=1e-9)
    tiou, f1 = ref.overlap(gt, pred, thresholds=OVERLAP_THRESHOLDS)
    assert got["metrics"]["tIoU"] == pytest.approx(tiou * 100, abs=1e-9)
    assert got["metrics"]["F1"] == pytest.approx(f1 * 100, abs=1e-9)


def test_missing_videos_demo_vs_strict(meteor):
    gt, pred = make_fixture(3, n_videos=5)
    del pred["v4"]
    demo, strict = fast(gt, pred, "demo"), fast(gt, pred, "strict")
    # densevid counts every GT video in both modes
    assert demo["per_tiou"] == strict["per_tiou"]
    # SODA and the overlap metrics: demo averages over the 4 predicted videos, strict over 5
    assert demo["metrics"]["SODA_c"] == pytest.approx(ref.soda_c(gt, pred, meteor) * 100, abs=1e-9)
    assert strict["metrics"]["SODA_c"] == pytest.approx(
        demo["metrics"]["SODA_c"] * 4 / 5, rel=1e-12
    )
    assert strict["metrics"]["tIoU"] == pytest.approx(demo["metrics"]["tIoU"] * 4 / 5, rel=1e-12)
    assert demo["videos_scored"] == {"activitynet": 5, "soda_and_overlap": 4}


def test_clean_input_modes_agree():
    gt, pred = make_fixture(4, n_videos=3)
    assert fast(gt, pred, "demo") == fast(gt, pred, "strict")


def test_empty_and_unparseable_predictions_score_zero():
    gt, pred = make_fixture(5, n_videos=3)
    pred["v1"] = []
    pred["v2"] = []
    strict = fast(gt, pred, "strict", unparseable={"v2"})
    demo = fast(gt, pred, "demo", unparseable={"v2"})
    only = fast({"v0": gt["v0"]}, {"v0": pred["v0"]}, "strict")
    for name, value in only["metrics"].items():
        assert strict["metrics"][name] == pytest.approx(value / 3, abs=1e-12), name
    # demo: the empty list counts (as 0), the unparseable one is dropped as DEMO's prepare.py does
    assert demo["videos_scored"]["soda_and_overlap"] == 2
    assert demo["metrics"]["SODA_c"] == pytest.approx(only["metrics"]["SODA_c"] / 2, abs=1e-12)
    assert np.isfinite(list(strict["metrics"].values())).all()


def test_threaded_driver_answers_exactly_as_the_plain_jar():
    from evaluation.meteor import MeteorPool
    from evaluation.meteor_driver import MeteorServer, open_meteor

    words = [c.lower().replace(",", "").replace(".", "") for c in CAPTIONS]
    pairs = [(a, b) for a in words[:6] for b in words[3:]] + [("", "runs"), ("a|||b  c", "a b c")]
    groups = [[0, 1, 2], [5], list(range(len(pairs))), [7, 7, 3]]
    with open_meteor(2) as fast_backend, MeteorPool(1) as plain:
        if not isinstance(fast_backend, MeteorServer):
            pytest.skip("no javac: compmo-eval uses the plain jar")
        got, want = fast_backend.stats(pairs), plain.stats(pairs)
        assert got == want
        assert fast_backend.evaluate([[got[i] for i in g] for g in groups]) == plain.evaluate(
            [[want[i] for i in g] for g in groups]
        )
