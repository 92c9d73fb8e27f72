"""compmo-infer's two output files score the same under both protocols (regression: SODA_c 50 from
predictions.json vs 100 from generated.json), and the wrong ground truth is an error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compmo_gen.core.formats import load_annotations
from evaluation.cli import main as eval_main
from modeling.infer import write_generation_files

GT = [
    {"id": "a", "motion": "motions/a.npy", "gt": "00:00:00 - walks forward, 00:02:00 - sits down"},
    {"id": "b", "motion": "motions/b.npy", "gt": "00:00:00 - jumps, 00:03:00 - waves the hand"},
]
ITEMS = [
    ("a", 4.0, "00:00:00 - walks forward, 00:02:00 - sits down"),
    ("b", 5.0, "I am sorry, I cannot describe this motion."),
]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "gt.json").write_text(json.dumps(GT))
    (tmp_path / "durations.json").write_text(json.dumps({"a": 4.0, "b": 5.0}))
    report = write_generation_files(tmp_path, ITEMS)
    assert report["unparseable_ids"] == ["b"] and report["parser"] == "compmo"
    return tmp_path


def test_predictions_json_restores_unparseable_ids(files: Path) -> None:
    for name in ("generated.json", "predictions.json"):
        got = load_annotations(
            files / name, role="pred", durations={"a": 4.0, "b": 5.0}, dialect="demo"
        )
        assert got.report.unparseable == ["b"], name
        assert len(got.annotations["a"].segments) == 2


@pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")
@pytest.mark.parametrize("protocol", ["demo", "strict"])
def test_both_files_score_the_same(files: Path, protocol: str) -> None:
    soda = {}
    for name in ("generated.json", "predictions.json"):
        out = files / f"{name}.{protocol}.results.json"
        args = [str(files / name), "--gt", str(files / "gt.json"), "--protocol", protocol]
        args += ["--durations", str(files / "durations.json"), "--out", str(out), "-q"]
        assert eval_main(args) == 0
        soda[name] = json.loads(out.read_text())["metrics"]["SODA_c"]
    assert soda["generated.json"] == soda["predictions.json"]
    assert soda["predictions.json"] == pytest.approx(100.0 if protocol == "demo" else 50.0)


def test_wrong_ground_truth_is_one_line_exit_2(files: Path, capsys: pytest.CaptureFixture) -> None:
    other = files / "other_gt.json"
    other.write_text(json.dumps({"x": {"duration": 4, "timestamps": [[0, 4]], "sentences": ["s"]}}))
    rc = eval_main([str(files / "predictions.json"), "--gt", str(other), "-q"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "none of its 2 ids is in the ground truth" in err and "wrong --gt?" in err
