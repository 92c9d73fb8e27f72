"""compmo-eval against the reference evaluators on excerpts of the released files.

Goldens: ``scripts/reference_eval/real_goldens.py`` ran densevid_eval (``-r`` with one and two
files), fujiso/SODA (with and without ``--multi_reference``) and PDVC (``eval_dvc`` 2018,
``eval_soda``, ``eval_para``) on ``fixtures/`` (see fixtures/README.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evaluation.cli import main

FIX = Path(__file__).parent / "fixtures"
ANET, YC2 = FIX / "anet_val", FIX / "yc2_timechat"
CAPTION = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")
TOL = 1e-9

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")


def _goldens(folder: Path) -> dict:
    return json.loads((folder / "goldens.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Every compmo-eval run the tests compare (each starts its own METEOR backend)."""
    tmp = tmp_path_factory.mktemp("real")
    pred, v1, v2 = ANET / "predictions.json", ANET / "val_1.json", ANET / "val_2.json"
    cases = {
        "single": [pred, "--gt", v1],
        "densevid": [pred, "--gt", v1, v2],
        "soda-mr": [pred, "--gt", v1, v2, "--multi-ref", "soda-mr"],
        "pdvc": [pred, "--gt", v1, v2, "--multi-ref", "pdvc", "--garbage", "2018"],
        "yc2": [YC2 / "timechat_pred.json", "--gt", YC2 / "yc2_val.json"],
    }
    out = {}
    for name, argv in cases.items():
        path = tmp / f"{name}.json"
        assert main(["score", *map(str, argv), "--protocol", "demo", "--out", str(path), "-q"]) == 0
        out[name] = json.loads(path.read_text())
    para = tmp / "para.json"
    argv = ["paragraph", str(pred), "--gt", str(ANET / "para_val_1.json")]
    assert main([*argv, str(ANET / "para_val_2.json"), "--out", str(para), "-q"]) == 0
    out["paragraph"] = json.loads(para.read_text())
    return out


def _close(mine: dict, golden: dict, keys) -> None:
    for k in keys:
        assert mine[k] == pytest.approx(golden[k], abs=TOL, rel=0), k


def test_single_reference_matches_densevid_eval_and_soda(runs):
    g = _goldens(ANET)["single_val_1"]
    m = runs["single"]["metrics"]
    _close(m, g["densevid"], (*CAPTION, "Precision", "Recall"))
    assert m["SODA_c"] == pytest.approx(g["soda"]["f1_score"], abs=TOL, rel=0)
    # val_1.json as released: five segments end 0.01 s after `duration`; kept and counted
    assert runs["single"]["counts"]["extra"]["gt_end_past_duration"] == 5


def test_two_reference_sets_densevid_semantics(runs):
    """densevid_eval -r val_1 val_2 (pairs over both sets, P/R best set per video) and soda.py
    without --multi_reference (merged, start-sorted GT), METEOR included: the caption ending in
    "capital T." is tokenised as densevid's pair order makes the PTB tokenizer do it."""
    g = _goldens(ANET)["val_1+val_2"]
    m = runs["densevid"]["metrics"]
    _close(m, g["densevid"], (*CAPTION, "Precision", "Recall"))
    assert m["SODA_c"] == pytest.approx(g["soda"]["f1_score"], abs=TOL, rel=0)
    assert runs["densevid"]["counts"]["extra"]["gt_end_past_duration"] == 6
    assert runs["densevid"]["signature"]["multi_reference"] == "densevid"


def test_two_reference_sets_soda_multi_reference(runs):
    g = _goldens(ANET)["val_1+val_2"]["soda_multi_reference"]
    m = runs["soda-mr"]["metrics"]
    assert m["SODA_c"] == pytest.approx(g["f1_score"], abs=TOL, rel=0)
    assert m["SODA_c_precision"] == pytest.approx(g["precision"], abs=TOL, rel=0)
    assert m["SODA_c_recall"] == pytest.approx(g["recall"], abs=TOL, rel=0)
    # the caption metrics do not depend on the SODA semantics
    assert m["CIDEr"] == runs["densevid"]["metrics"]["CIDEr"]


def test_two_reference_sets_pdvc_average(runs):
    """PDVC: eval_dvc (evaluate2018: fixed garbage string, METEOR and P/R over both files) and
    eval_soda (single-file SODA per set, averaged)."""
    g = _goldens(ANET)["val_1+val_2"]["pdvc"]
    m = runs["pdvc"]["metrics"]
    assert m["SODA_c"] == pytest.approx(100 * g["soda_c"], abs=TOL, rel=0)
    for key in ("METEOR", "Precision", "Recall"):
        assert m[key] == pytest.approx(100 * g[f"dvc_{key}"], abs=TOL, rel=0), key


def test_paragraph_metrics_match_pdvc(runs):
    g = _goldens(ANET)["val_1+val_2"]["pdvc"]
    m = runs["paragraph"]["metrics"]
    for key in CAPTION:
        assert m[key] == pytest.approx(100 * g[f"para_{key}"], abs=TOL, rel=0), key
    assert runs["paragraph"]["videos"] == len(json.loads((ANET / "para_val_1.json").read_text()))


def test_timechat_predictions_read_as_released(runs):
    """`caption` for `sentence`, `x.mp4` for `v_x`, reversed segments: read, counted, scored as
    densevid_eval and soda.py score the same predictions converted by hand."""
    g = _goldens(YC2)["yc2_val"]
    m = runs["yc2"]["metrics"]
    _close(m, g["densevid"], (*CAPTION, "Precision", "Recall"))
    assert m["SODA_c"] == pytest.approx(g["soda"]["f1_score"], abs=TOL, rel=0)
    extra = runs["yc2"]["counts"]["extra"]
    pred = json.loads((YC2 / "timechat_pred.json").read_text())
    assert extra["caption_field"] == sum(len(v) for v in pred.values())
    assert extra["ids_extension_stripped"] == extra["ids_v_prefix_added"] == len(pred)
    assert extra["reversed_segments"] == sum(
        p["timestamp"][0] > p["timestamp"][1] for v in pred.values() for p in v
    )
    assert runs["yc2"]["counts"]["ok"] == len(pred)


def test_filtered_paraphrase_table_gives_the_full_tables_statistics():
    """METEOR with the paraphrase table cut to the input's words == METEOR with the whole table,
    on every caption pair the two-reference ActivityNet run scores."""
    import os

    from compmo_gen.core.formats.extra import load_any
    from evaluation.meteor_driver import MeteorServer, driver_classes
    from evaluation.plan import plan_video
    from evaluation.scorer import EvalConfig, build_inputs

    classes = driver_classes()
    if classes is None:
        pytest.skip("needs javac")
    cfg = EvalConfig()
    gts = [
        load_any(ANET / f, role="gt", past_duration="keep")[0] for f in ("val_1.json", "val_2.json")
    ]
    pred = load_any(ANET / "predictions.json", role="pred")[0]
    inputs, _ = build_inputs([g.annotations for g in gts], pred.annotations, [], cfg)
    pairs: dict = {}
    for v in inputs:
        plan = plan_video(v, cfg.tious, cfg.overlap_thresholds, cfg.max_proposals)
        pairs.update((p, None) for g in plan.anet_groups for p in g)
        pairs.update((p, None) for p in plan.soda_pairs.values())
    words = {t for p in pairs for t in p}
    stats = {}
    for mode in ("filtered", "full"):
        if mode == "full":
            os.environ["COMPMO_METEOR_FULL_TABLE"] = "1"
        try:
            with MeteorServer(classes, 2) as m:
                m.use_vocabulary(words)
                got = m.stats(list(pairs))
                stats[mode] = (got, m.evaluate([got]))
                m.stderr.seek(0)
                log = m.stderr.read().decode()
        finally:
            os.environ.pop("COMPMO_METEOR_FULL_TABLE", None)
        assert ("paraphrase table filtered" in log) == (mode == "filtered")
    assert len(pairs) > 300
    assert stats["filtered"] == stats["full"]


#: ActivityNet Captions val_1's longest caption (v_Q-879RNVOdg, 451 characters), as released.
LONGEST_ANET_CAPTION = (
    " Men and women in bikinis and trunks carrying wakeboards and walking towards the motorboat, a"
    " woman is riding a wakeboard and holding on to the harness that is attached to the boat, and"
    " wakeboarding on the water, while other men and women are relaxing in the boat, the men also"
    " ride the wakeboard, the boat stopped at the center of the lake, and the people jumped in the"
    " water, the men flipped over while wakeboarding, they surf and jump on the water."
)


def test_released_captions_are_not_cut(tmp_path):
    """Captions are scored whole: ActivityNet's longest (451 characters) among them (a limit of
    300 once cut 18 of them and moved every metric; tests/evaluation/test_long_captions.py goes
    to 20,000 characters)."""
    assert len(LONGEST_ANET_CAPTION) == 451
    gt = {"v1": {"duration": 10.0, "timestamps": [[0.0, 5.0]], "sentences": [LONGEST_ANET_CAPTION]}}
    pred = {"results": {"v1": [{"sentence": LONGEST_ANET_CAPTION, "timestamp": [0.0, 5.0]}]}}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    out = tmp_path / "res.json"
    argv = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q", "--out", str(out)]
    assert main([*argv, "--jobs", "1"]) == 0
    doc = json.loads(out.read_text())
    assert doc["counts"].get("captions_truncated", 0) == 0
    assert doc["counts"].get("gt_captions_truncated", 0) == 0
    assert doc["metrics"]["METEOR"] == 100.0  # the identical whole caption
