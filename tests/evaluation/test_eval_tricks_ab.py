"""scripts/eval_tricks_ab.py: its variants switch real thresholds, and a switched-off trick leaves
every number unchanged (the A/B's premise), checked here on a small run."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

from scripts.eval_tricks_ab import RUNNER, VARIANTS


def test_variants_name_real_thresholds() -> None:
    for specs in VARIANTS.values():
        for module, const in specs:
            assert isinstance(getattr(importlib.import_module(module), const), int)


def test_runner_switches_the_tricks_off_without_changing_scores(tmp_path: Path) -> None:
    gt = {
        f"v{i}": {"duration": 10.0, "timestamps": [[0, 4], [4, 10]],
                  "sentences": ["a person walks forward", "the person sits down"]}
        for i in range(3)
    }  # fmt: skip
    pred = {"results": {
        f"v{i}": [{"timestamp": [0, 5], "sentence": "a person walks"},
                  {"timestamp": [5, 10], "sentence": "someone sits down on a chair"}]
        for i in range(3)
    }}  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))
    results = []
    on = (
        "evaluation.ptb:PARALLEL_LINES=2,evaluation.scorer:CAPTION_POOL_MIN_VIDEOS=1"  # tricks used
    )
    off = "evaluation.ptb:PARALLEL_LINES,evaluation.scorer:CAPTION_POOL_MIN_VIDEOS"  # out of reach
    for specs in (on, off):
        out = tmp_path / f"r{len(results)}.json"
        argv = ["score", str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"),
                "--jobs", "2", "--out", str(out), "-q"]  # fmt: skip
        subprocess.run([sys.executable, "-c", RUNNER, specs, *argv], check=True)
        results.append(json.loads(out.read_text())["metrics"])
    assert results[0] == results[1] and results[0]["F1"] > 0
