"""Captions of 1,000-20,000 characters: scored whole, natively and on the Java path, exactly as the
jars and the reference scripts score them (a handful of pairs: seconds)."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from evaluation.ptb import ptb_tokenize_native, tokenize_lines
from evaluation.report import summarize
from evaluation.scorer import EvalConfig, build_inputs, score_videos

from . import reference_impl as ref
from .long_captions import long_caption, vocabulary
from .test_native import _jar_lines
from .test_parity import to_annotations

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")

SIZES = (1000, 2618, 5000, 20000)


def _captions(seed: int, sizes=SIZES) -> list[str]:
    rng, vocab = random.Random(seed), vocabulary(seed)
    return [long_caption(rng, n, vocab) for n in sizes]


def test_long_captions_tokenize_as_the_jar():
    doc = _captions(1) + _captions(2)[::-1]
    assert min(map(len, doc)) >= 999 and max(map(len, doc)) >= 19_990
    native = [" ".join(t.lower() for t in toks) for toks in tokenize_lines(doc)]
    assert native == _jar_lines(doc)[: len(doc)]


SHORT = [("a person walks", "a man walks forward"), ("", "runs")]


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    a, b = _captions(3), _captions(4)
    toks = ptb_tokenize_native(a + b)
    t = [toks[c] for c in a], [toks[c] for c in b]
    # 1,000 with 1,000, 2,618 with 1,000, 5,000 with 5,000, 20,000 with 1,000 and 2,618
    return [(t[0][0], t[1][0]), (t[0][1], t[1][0]), (t[0][2], t[1][2]), (t[0][3], t[1][0]),
            (t[1][1], t[0][3])]  # fmt: skip


@pytest.fixture(scope="module")
def jar():
    from evaluation.meteor import MeteorPool

    with MeteorPool(1) as pool:
        yield pool


@pytest.fixture(scope="module")
def jar_stats(jar, pairs) -> list[str]:
    return jar.stats(SHORT + pairs)


def test_long_pairs_meteor_natively_equals_the_jar(pairs, jar, jar_stats):
    from evaluation.meteor_native import NativeMeteor

    want = jar_stats[len(SHORT) :]
    with NativeMeteor(1) as native:
        got = native.stats(pairs)
        assert [tuple(float(x) for x in s.split()) for s in want] == got
        assert native.evaluate([got])[0] == jar.evaluate([want])[0]


class _Unclosed:
    """The module's jar, not closed by the guard."""

    def __init__(self, jar) -> None:
        self.jar, self.description = jar, jar.description

    def stats(self, pairs, affinity=None):
        return self.jar.stats(pairs)

    def evaluate(self, groups):
        return self.jar.evaluate(groups)

    def close(self) -> None:
        pass


def test_java_path_sends_long_pairs_to_the_native_scorer(pairs, jar, jar_stats):
    """The guard routes by the words product; the jar reads the native statistics back to its
    own aggregate, so routing changes nothing."""
    from evaluation import limits

    assert not any(limits.endangers_jvm(h, r) for h, r in SHORT)
    assert limits.endangers_jvm(pairs[2][0], pairs[2][1])
    assert not limits.endangers_jvm(pairs[0][0], pairs[0][1])  # 1,000 x 1,000 characters
    assert limits.endangers_jvm("w " * 600, "x ||| " + "y " * 600)  # a paragraph request
    # one side alone: 5,000 x 20 and 50,000 x 1 words of one word ran the jar out of its 2 GB
    assert limits.endangers_jvm("a " * 1001, "a") and limits.endangers_jvm(
        "a", "x ||| " + "a " * 1001
    )
    assert not limits.endangers_jvm("a " * 1000, "a " * 250)  # 1,000 x 250: the jar passes
    want = jar_stats
    with limits.GuardedMeteor(_Unclosed(jar)) as guarded:
        got = guarded.stats(SHORT + pairs)
        assert guarded.routed == sum(limits.endangers_jvm(h, r) for h, r in pairs) >= 2
        assert got[:3] == want[:3]  # the jar's own strings
        assert [s.split() for s in got] == [s.split() for s in want]  # same numbers
        groups = [got, got[2:], [got[4], got[0]]]
        assert guarded.evaluate(groups) == jar.evaluate([want, want[2:], [want[4], want[0]]])


def _fixture(seed: int) -> tuple[dict, dict]:
    """Two videos: GT captions of 1,000-1,500 characters, predictions of 1,000-2,618."""
    rng, vocab = random.Random(seed), vocabulary(seed)
    gt = {
        "v0": {"timestamps": [[0.0, 4.0], [3.0, 9.0]],
               "sentences": [long_caption(rng, 1000, vocab), long_caption(rng, 1500, vocab)]},
        "v1": {"timestamps": [[0.0, 5.0]], "sentences": [long_caption(rng, 1000, vocab)]},
    }  # fmt: skip
    same = gt["v0"]["sentences"][1][:1000] + " " + long_caption(rng, 1000, vocab)
    pred = {
        "v0": [{"timestamp": [0.5, 4.0], "sentence": long_caption(rng, 2618, vocab)},
               {"timestamp": [3.0, 8.0], "sentence": same}],
        "v1": [{"timestamp": [0.0, 4.5], "sentence": long_caption(rng, 1000, vocab)},
               {"timestamp": [20.0, 21.0], "sentence": "stands still"}],
    }  # fmt: skip
    return gt, pred


def test_long_captions_score_as_the_reference_scripts():
    """compmo-eval (native) equals densevid_eval and SODA_c on captions of 1,000-2,618
    characters (no cut; the Java path equals native on them: the test above)."""
    from pycocoevalcap.meteor.meteor import Meteor

    gt, pred = _fixture(5)
    cfg = EvalConfig(protocol="demo", jobs=1, chunk=1)
    g, p = to_annotations(gt, pred)
    inputs, _ = build_inputs(g, p, (), cfg)
    got = summarize(score_videos(inputs, cfg), cfg)
    meteor = Meteor()
    try:
        want = ref.densevid(gt, pred, meteor)
        soda = ref.soda_c(gt, pred, meteor)
    finally:
        del meteor
    for t, row in want.items():
        for name, value in row.items():
            assert got["per_tiou"][f"{t:g}"][name] == pytest.approx(value * 100, abs=1e-9), name
    assert got["metrics"]["SODA_c"] == pytest.approx(soda * 100, abs=1e-9)


def test_cli_keeps_long_captions_whole(tmp_path):
    """No cut and no truncation count: a 5,000-character caption against itself is METEOR 100,
    and a prediction that differs from its reference only after character 1,000 is not."""
    from evaluation.cli import main

    (cap,) = _captions(6, (5000,))
    other = cap[:1500] + " " + _captions(7, (3000,))[0]
    gt = {"v1": {"duration": 10.0, "timestamps": [[0.0, 5.0]], "sentences": [cap]},
          "v2": {"duration": 10.0, "timestamps": [[0.0, 5.0]], "sentences": [cap]}}  # fmt: skip
    pred = {"results": {"v1": [{"sentence": cap, "timestamp": [0.0, 5.0]}],
                        "v2": [{"sentence": other, "timestamp": [0.0, 5.0]}]}}  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    out = tmp_path / "res.json"
    argv = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q", "--out", str(out)]
    assert main([*argv, "--jobs", "1"]) == 0
    doc = json.loads(out.read_text())
    assert not any("truncated" in k for k in doc["counts"])
    per_video = doc.get("per_video") or {}
    assert 0 < doc["metrics"]["METEOR"] < 100.0
    if per_video:
        assert per_video["v1"]["METEOR"] == 100.0


def test_long_paragraphs_through_the_guard_equal_the_jar(jar, monkeypatch):
    """compmo-eval paragraph's METEOR (multi-reference SCORE lines): the guard's native scores
    of long paragraphs equal the jar's, reference sets of two."""
    from evaluation import limits
    from evaluation.paragraph import paragraph_scores

    rng, vocab = random.Random(8), vocabulary(8)
    refs = [{f"v_{k}": long_caption(rng, 1500 + 300 * k, vocab) for k in range(3)}
            for _ in range(2)]  # fmt: skip
    preds = {f"v_{k}": [long_caption(rng, 600, vocab) for _ in range(3)] for k in range(3)}
    preds["v_1"].append(refs[1]["v_1"][:900])
    want = paragraph_scores(refs, preds, _Unclosed(jar))
    monkeypatch.setattr(limits, "JVM_MAX_WORD_PRODUCT", 1000)  # every paragraph goes native
    guarded = limits.GuardedMeteor(_Unclosed(jar))
    try:
        got = paragraph_scores(refs, preds, guarded)
    finally:
        guarded.close()
    assert guarded.routed == 3
    assert got == want
