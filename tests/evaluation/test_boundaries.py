"""evaluation/boundaries.py and scripts/error_analysis.py on hand-made predictions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compmo_gen.core.segments import DenseAnnotation, Segment
from evaluation.boundaries import analyse, markdown

ROOT = Path(__file__).resolve().parents[2]


def _ann(vid: str, starts: list[float], duration: float) -> DenseAnnotation:
    ends = starts[1:] + [duration]
    return DenseAnnotation(
        vid, duration, tuple(Segment(s, e, f"c{i}") for i, (s, e) in enumerate(zip(starts, ends)))
    )


GT = {
    "a": _ann("a", [0.0, 3.0, 7.0], 10.0),
    "b": _ann("b", [0.0, 4.0], 8.0),
    "c": _ann("c", [0.0, 2.5, 5.0, 7.5], 10.0),
}


def test_analysis_counts_errors_and_first_boundaries() -> None:
    pred = {
        "a": _ann("a", [0.0, 3.5, 7.0], 10.0),  # right count; errors 0.5, 0.0
        "b": _ann("b", [0.0, 3.5, 6.0], 8.0),  # one too many; nearest to 4.0 is 3.5: 0.5
        # "c" missing: no segment, so no boundary and the wrong count
    }
    r = analyse(pred, GT)
    assert r["sequences"] == 3 and r["missing_predictions"] == 1
    assert r["count_right"] == 1 and r["count_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["count_difference"] == {"-4": 1, "0": 1, "1": 1}
    assert r["boundary_error_s"]["n"] == 3
    assert r["boundary_error_s"]["median"] == 0.5
    assert r["boundary_error_s"]["mean"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["no_predicted_boundary"] == 1
    assert r["aligned_start_error_s"]["n"] == 2  # sequence a's two boundaries
    assert r["first_boundary_pred_top"] == [[3.5, 2]]
    assert r["top_first_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["gt_top_first_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert "gt_top_first_share_grid" not in r
    on_grid = analyse(pred, GT, grid=2.0)  # true first boundaries 3.0, 4.0, 2.5 -> 4, 4, 2
    assert on_grid["gt_top_first_share_grid"] == pytest.approx(2 / 3, abs=1e-4)
    text = markdown(r, "t")
    assert "1 / 3" in text and "66.7 %" in text


def test_script_reads_files_and_fails_cleanly(tmp_path: Path) -> None:
    gt = {
        k: {
            "duration": a.duration,
            "timestamps": [[s.start, s.end] for s in a.segments],
            "sentences": [s.caption for s in a.segments],
        }
        for k, a in GT.items()
    }
    pred = {
        "results": {
            k: [{"timestamp": [s.start, s.end], "sentence": s.caption} for s in a.segments]
            for k, a in GT.items()
        }
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    out = tmp_path / "r.json"
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "error_analysis.py"),
        str(tmp_path / "pred.json"),
        str(tmp_path / "gt.json"),
        "--json",
        str(out),
        "--snap",
        "0.4",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    r = json.loads(out.read_text())
    assert r["count_right"] == 3
    # snapped to 0.4 s (halves up): 3.0 -> 3.2, 7.0 -> 7.2, 4.0, 2.5 -> 2.4, 5.0 -> 5.2, 7.5 -> 7.6
    assert r["boundary_error_s"]["median"] == pytest.approx(0.15)
    assert r["boundary_error_s"]["mean"] == pytest.approx(0.8 / 6, abs=1e-4)
    (tmp_path / "bad.json").write_text("{not json")
    bad = subprocess.run(
        [*cmd[:2], str(tmp_path / "bad.json"), str(tmp_path / "gt.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        bad.returncode == 2
        and len(bad.stderr.strip().splitlines()) == 1
        and "Traceback" not in bad.stderr
    )


def test_script_reads_a_demo_string_gt_with_durations(tmp_path: Path) -> None:
    """stage-json test's test.json (DEMO strings) needs durations, as compmo-eval does."""
    from compmo_gen.core.formats.demo import to_demo_records

    (tmp_path / "test.json").write_text(json.dumps(to_demo_records(GT.values(), role="gt")))
    pred = {
        "results": {
            k: [{"timestamp": [s.start, s.end], "sentence": s.caption} for s in a.segments]
            for k, a in GT.items()
        }
    }
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    cmd = [sys.executable, str(ROOT / "scripts" / "error_analysis.py")]
    cmd += [str(tmp_path / "pred.json"), str(tmp_path / "test.json")]
    without = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert without.returncode == 2 and "--durations or --motion-root" in without.stderr
    assert without.stderr.count("\n") == 1
    (tmp_path / "d.json").write_text(json.dumps({k: a.duration for k, a in GT.items()}))
    out = tmp_path / "r.json"
    cmd += ["--durations", str(tmp_path / "d.json"), "--json", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    r = json.loads(out.read_text())
    assert r["count_right"] == 3 and r["boundary_error_s"]["median"] == 0.0
