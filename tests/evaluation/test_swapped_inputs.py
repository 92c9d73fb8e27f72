"""`compmo-eval score`/`paragraph` refuse swapped inputs (ground truth given as predictions and the
reverse, a result file given as either) with a one-line hint and exit code 2, over every format
(the per-format family is tests/compmo_gen/core/test_roles.py); the right order still scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.cli import main

from ..compmo_gen.core.test_roles import DURATIONS, FILES, _write

GT_FILES = sorted(n for n, (_, holds) in FILES.items() if holds == "gt")
PRED_FILES = sorted(n for n, (_, holds) in FILES.items() if holds == "pred")


def _score(tmp_path: Path, pred: Path, gt: Path, *extra: str) -> int:
    d = tmp_path / "d.json"
    d.write_text(json.dumps(DURATIONS))
    return main(["score", str(pred), "--gt", str(gt), "--durations", str(d), "-q", *extra])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("gt_name", GT_FILES)
def test_ground_truth_given_as_predictions(tmp_path, capsys, gt_name) -> None:
    gt = _write(tmp_path, gt_name)
    assert _score(tmp_path, gt, _write(tmp_path, "anet-gt")) == 2
    err = _one_line(capsys)
    assert f"{gt}: holds ground truth" in err and "swapped" in err


@pytest.mark.parametrize("pred_name", PRED_FILES)
def test_predictions_given_as_ground_truth(tmp_path, capsys, pred_name) -> None:
    pred = _write(tmp_path, pred_name)
    assert _score(tmp_path, _write(tmp_path, "anet-pred"), pred) == 2
    err = _one_line(capsys)
    assert f"{pred}: holds predictions" in err and "swapped" in err


def test_result_file_given_as_predictions_or_ground_truth(tmp_path, capsys) -> None:
    gt, pred = _write(tmp_path, "anet-gt"), _write(tmp_path, "demo-pred")
    res = tmp_path / "res.json"
    assert _score(tmp_path, pred, gt, "--out", str(res), "--jobs", "1") == 0
    capsys.readouterr()
    assert _score(tmp_path, res, gt) == 2
    assert "compmo-eval result file" in _one_line(capsys)
    assert _score(tmp_path, pred, res) == 2
    assert "compmo-eval result file" in _one_line(capsys)
    para = ["paragraph", str(res), "--gt", str(gt), "-q"]
    assert main(para) == 2
    assert "compmo-eval result file" in _one_line(capsys)


def test_an_explicit_format_scores_the_file_as_given(tmp_path, capsys) -> None:
    """`--fmt` names the format: a ground-truth-shaped file is then scored as predictions."""
    gt = _write(tmp_path, "anet-gt")
    assert _score(tmp_path, gt, gt, "--fmt", "anet-gt", "--jobs", "1") == 0
    assert "SODA_c     100.0000" in capsys.readouterr().out
