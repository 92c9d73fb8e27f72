"""`compmo-eval score`: outputs, signature, counts, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import shutil

import pytest

from evaluation.cli import main

from .test_parity import make_fixture


def _write(tmp_path, gt, pred):
    g, p = tmp_path / "gt.json", tmp_path / "pred.json"
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps({"results": pred}))
    return str(g), str(p)


@pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")
def test_score_writes_results_signature_and_per_video(tmp_path, capsys):
    gt, pred = make_fixture(11, n_videos=4)
    del pred["v3"]
    pred["unknown"] = [{"timestamp": [0, 1], "sentence": "x"}]
    g, p = _write(tmp_path, gt, pred)
    out, pv = tmp_path / "res.json", tmp_path / "res.per_video.jsonl"
    rc = main([p, "--gt", g, "--out", str(out), "--per-video", str(pv), "-q", "--jobs", "1"])
    assert rc == 0
    table = capsys.readouterr().out
    assert "SODA_c" in table and "1 missing" in table and "1 unknown" in table
    doc = json.loads(out.read_text())
    sig = doc["signature"]
    assert sig["protocol"] == "strict" and sig["tious"] == [0.3, 0.5, 0.7, 0.9]
    assert sig["videos"] == 4 and sig["java"] and sig["scorers"].startswith("pycocoevalcap")
    assert len(sig["gt_sha256"]) == 64 and doc["per_video"] == "res.per_video.jsonl"
    assert doc["counts"]["missing"] == 1 and doc["counts"]["unknown"] == 1
    assert set(doc["per_tiou"]) == {"0.3", "0.5", "0.7", "0.9"}
    lines = [json.loads(x) for x in pv.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["v0", "v1", "v2", "v3"]
    assert lines[3]["status"] == "missing" and lines[3]["SODA_c"]["F"] == 0.0
    # the table's SODA_c is the mean of the per-video F (strict: all four videos)
    mean_f = sum(x["SODA_c"]["F"] for x in lines) / 4 * 100
    assert doc["metrics"]["SODA_c"] == pytest.approx(mean_f, abs=1e-9)


def test_missing_java_is_a_clear_error(tmp_path, monkeypatch, capsys):
    gt, pred = make_fixture(12, n_videos=2)
    g, p = _write(tmp_path, gt, pred)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main([p, "--gt", g, "--meteor", "java"]) == 2
    err = capsys.readouterr().err
    assert "java not found" in err and len(err.strip().splitlines()) == 1
    assert main([p, "--gt", g, "--tokenizer", "java"]) == 2
    assert "java not found" in capsys.readouterr().err


def test_malformed_prediction_names_file_record_field(tmp_path, capsys):
    if shutil.which("java") is None:
        pytest.skip("the Java check comes first")
    gt, pred = make_fixture(13, n_videos=2)
    pred["v1"][0]["timestamp"] = ["a", 3]
    g, p = _write(tmp_path, gt, pred)
    assert main([p, "--gt", g]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pred.json" in err and "v1" in err and "timestamp" in err


def test_bad_threshold_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["p.json", "--gt", "g.json", "--tious", "0.3,abc"])
    assert exc.value.code == 2


def test_lenient_skips_bad_records_and_counts_them(tmp_path, capsys):
    """Without --lenient a bad record stops the run (exit 2); with it the record is skipped,
    the prediction counts as missing (strict), and the skip is counted in the results."""
    import json

    from evaluation.cli import main

    gt = {
        "a": {"duration": 8.0, "timestamps": [[0, 4], [4, 8]], "sentences": ["walks", "jumps"]},
        "b": {"duration": 5.0, "timestamps": [[0, 5]], "sentences": ["waves"]},
    }
    pred = {
        "results": {
            "a": [{"sentence": "walks", "timestamp": [0, 4]}],
            "b": [{"sentence": "waves", "timestamp": [0, "five"]}],
        }
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    argv = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "record 'b'" in err and len(err.strip().splitlines()) == 1
    out = tmp_path / "r.json"
    assert main([*argv, "--lenient", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["counts"]["missing"] == 1
    assert doc["counts"]["extra"]["skipped_records"] == 1


def test_missing_predictions_file_is_a_one_line_error(tmp_path, capsys):
    """The size check that decides on starting METEOR workers early must not pre-empt the
    reader's one-line error."""
    gt, pred = make_fixture(12, n_videos=2)
    g, _ = _write(tmp_path, gt, pred)
    missing = tmp_path / "no_such_predictions.json"
    assert main([str(missing), "--gt", g, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_predictions.json" in err[0]


def test_predictions_the_protocol_passes_over_are_counted(tmp_path, caplog):
    """Segments after --max-proposals (never scored) and segments ending past the GT duration of
    a prediction file without durations were neither counted nor reported."""
    gt = {"v1": {"duration": 10, "timestamps": [[0, 5], [5, 10]], "sentences": ["a b", "c d"]}}
    segs = [{"sentence": "a b", "timestamp": [0, 5]}, {"sentence": "c d", "timestamp": [5, 500]}]
    pred = {"results": {"v1": segs + [{"sentence": "x", "timestamp": [0, 1]}] * 3}}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    out = tmp_path / "r.json"
    argv = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "--out", str(out)]
    assert main([*argv, "--max-proposals", "2", "--meteor", "native", "--tokenizer", "native"]) == 0
    extra = json.loads(out.read_text())["counts"]["extra"]
    assert extra == {"beyond_max_proposals": 3, "beyond_gt_duration": 1}
    assert "3 predicted segment(s) after the first 2" in caplog.text
