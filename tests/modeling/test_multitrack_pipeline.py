"""On a CPU: a few multi-track sequences -> stage JSON (multi-track answers) -> a tiny random
Llama trained briefly -> compmo-infer -> compmo-eval's multi-track scorer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compmo_gen.cli import main as gen_main
from compmo_gen.core.formats import load_annotations, read_generation
from compmo_gen.core.tracks import has_overlap
from compmo_gen.dataset.build import run_build
from compmo_gen.dataset.build_config import load_config
from evaluation.cli import main as eval_main
from modeling.cli import infer_main, train_main


@pytest.fixture(scope="module")
def mt_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mt") / "data"
    sets = ["num=12", "chunk=12", "library.per_kind=1", "ratios=[0.67,0,0.33]"]
    cfg = load_config("datasets/multitrack.yaml", sets=[*sets, "composition.max_actions=3"])
    assert run_build(cfg, out, progress=False).finalized
    for kind in ("stage1", "stage2", "test"):
        assert gen_main(["stage-json", kind, "--dataset", str(out), "-q"]) == 0
    return out


def test_stage_files_hold_the_multitrack_answer_form(mt_dataset: Path) -> None:
    gt = load_annotations(mt_dataset / "annotations" / "train.json", role="gt").annotations
    answers = {
        r["id"]: r["conversations"][-1]["value"]
        for r in json.loads((mt_dataset / "stage2.json").read_text())
    }
    multi = [v for v, a in gt.items() if has_overlap(a.segments)]
    assert multi, "the build should hold simultaneous segments"
    for vid in multi:
        assert "[" in answers[vid]  # ends and parts written
        back = read_generation(answers[vid], gt[vid].duration).segments
        assert sorted(
            (round(s.start, 3), round(s.end, 3), s.caption, s.parts) for s in back
        ) == sorted(
            (round(s.start, 3), round(s.end, 3), s.caption, s.parts) for s in gt[vid].segments
        )
    test = json.loads((mt_dataset / "test.json").read_text())
    assert test and all("gt" in r for r in test)


def test_tiny_model_trains_infers_and_is_scored(mt_dataset: Path, tmp_path: Path) -> None:
    from modeling.tiny import make_tiny_llm

    texts = [
        r["conversations"][-1]["value"]
        for r in json.loads((mt_dataset / "stage2.json").read_text())
    ]
    llm = make_tiny_llm(tmp_path / "llm", texts * 3)
    common = ["--model", str(llm), "--num-workers", "0", "--save-steps", "1000", "-q"]
    s1, s2, pred = tmp_path / "s1", tmp_path / "s2", tmp_path / "pred"
    assert train_main(["stage1", "--train-file", str(mt_dataset / "stage1.json"), "--output-dir", str(s1),
                       "--max-steps", "2", "--batch-size", "8", *common]) == 0  # fmt: skip
    assert train_main(["stage2", "--train-file", str(mt_dataset / "stage2.json"), "--output-dir", str(s2),
                       "--init-from", str(s1), "--max-steps", "4", "--batch-size", "4", "--lora-r", "8",
                       "--lora-alpha", "16", *common]) == 0  # fmt: skip
    assert infer_main(["--run", str(s2), "--data", str(mt_dataset / "test.json"), "--out", str(pred),
                       "--max-new-tokens", "40", "--batch-size", "4", "-q"]) == 0  # fmt: skip
    report = json.loads((pred / "infer_report.json").read_text())
    generated = json.loads((pred / "generated.json").read_text())
    assert len(generated) == len(json.loads((mt_dataset / "test.json").read_text()))
    res = tmp_path / "res.json"
    gt = mt_dataset / "annotations" / "test.json"
    assert eval_main([str(pred / "predictions.json"), "--gt", str(gt), "--multitrack", "on",
                      "--out", str(res), "-q"]) == 0  # fmt: skip
    mt = json.loads(res.read_text())["multitrack"]
    assert mt["videos"] == len(generated) and 0 <= mt["F1"] <= 100
    assert report["parser"] == "compmo"
