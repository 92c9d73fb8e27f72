"""`compmo-eval convert`: the input's role follows from `--to` and from its records; `--role`
only overrides. Errors are one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compmo_gen.core.formats import format_demo_string
from compmo_gen.core.segments import Segment
from evaluation.cli import main

GT = {"a": [Segment(0.0, 4.0, "walks"), Segment(4.0, 9.5, "sits, then stands")],
      "b": [Segment(0.0, 2.25, "jumps"), Segment(2.25, 6.0, "waves")]}  # fmt: skip
PRED = {"a": [Segment(0.0, 5.0, "walks slowly")], "b": [Segment(0.0, 1.0, "hops"),
        Segment(1.0, 6.0, "waves 2 times")]}  # fmt: skip
DURATIONS = {"a": 9.5, "b": 6.0}


def _demo(tmp_path: Path, *, gt: bool, pred: bool) -> Path:
    recs = []
    for vid in GT:
        rec = {"id": vid}
        if gt:
            rec |= {"motion": f"{vid}.npy", "gt": format_demo_string(GT[vid])}
        if pred:
            rec["generated"] = format_demo_string(PRED[vid])
        recs.append(rec)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(recs))
    (tmp_path / "d.json").write_text(json.dumps(DURATIONS))
    return path


def _convert(tmp_path: Path, to: str, *extra: str, out: str = "out.json") -> int:
    args = ["convert", str(tmp_path / "in.json"), str(tmp_path / out), "--to", to]
    return main([*args, "--durations", str(tmp_path / "d.json"), "-q", *extra])


def _captions(path: Path) -> dict[str, list[str]]:
    doc = json.loads(path.read_text())
    if "results" in doc:
        return {v: [p["sentence"] for p in ps] for v, ps in doc["results"].items()}
    return {v: r["sentences"] for v, r in doc.items()}


def _want(which: dict[str, list[Segment]]) -> dict[str, list[str]]:
    return {v: [s.caption for s in segs] for v, segs in which.items()}


def test_demo_predictions_convert_to_a_submission_without_role(tmp_path: Path) -> None:
    _demo(tmp_path, gt=False, pred=True)
    assert _convert(tmp_path, "anet-pred") == 0
    assert _captions(tmp_path / "out.json") == _want(PRED)
    # to DEMO again: still predictions ('generated'), the same strings
    assert _convert(tmp_path, "demo", out="back.json") == 0
    back = json.loads((tmp_path / "back.json").read_text())
    assert back == json.loads((tmp_path / "in.json").read_text())


def test_demo_ground_truth_converts_to_either_format(tmp_path: Path) -> None:
    _demo(tmp_path, gt=True, pred=False)
    assert _convert(tmp_path, "anet-gt") == 0
    assert _captions(tmp_path / "out.json") == _want(GT)
    assert _convert(tmp_path, "anet-pred", out="sub.json") == 0
    assert _captions(tmp_path / "sub.json") == _want(GT)


@pytest.mark.parametrize(("to", "which"), [("anet-gt", GT), ("anet-pred", PRED)])
def test_records_with_both_strings_follow_the_output_format(tmp_path, to, which) -> None:
    _demo(tmp_path, gt=True, pred=True)
    assert _convert(tmp_path, to) == 0
    assert _captions(tmp_path / "out.json") == _want(which)


def test_role_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _demo(tmp_path, gt=True, pred=True)
    assert _convert(tmp_path, "anet-gt", "--role", "pred") == 0
    assert _captions(tmp_path / "out.json") == _want(PRED)
    _demo(tmp_path, gt=False, pred=True)
    assert _convert(tmp_path, "anet-pred", "--role", "gt") == 2
    err = capsys.readouterr().err
    assert "record 'a': field 'gt': missing" in err and len(err.strip().splitlines()) == 1


def test_predictions_are_not_written_as_ground_truth(tmp_path, capsys) -> None:
    _demo(tmp_path, gt=False, pred=True)
    assert _convert(tmp_path, "anet-gt") == 2
    err = capsys.readouterr().err
    assert "holds predictions" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.json").exists()


def test_a_result_file_is_not_converted(tmp_path, capsys) -> None:
    _demo(tmp_path, gt=True, pred=False)
    (tmp_path / "in.json").write_text(json.dumps({"signature": {}, "metrics": {"CIDEr": 1.0}}))
    assert _convert(tmp_path, "demo") == 2
    assert "result file" in capsys.readouterr().err


def test_released_demo_predictions_convert(tmp_path: Path, demo_release: Path) -> None:
    out = tmp_path / "sub.json"
    rc = main(["convert", str(demo_release / "result.json"), str(out), "--to", "anet-pred",
               "--durations", str(demo_release / "durations_imputed.json"), "-q"])  # fmt: skip
    assert rc == 0
    results = json.loads(out.read_text())["results"]
    released = json.loads((demo_release / "result.json").read_text())
    assert len(results) == len(released) == 6000
    first = released[0]
    assert results[first["id"]][0]["sentence"] in first["generated"]
