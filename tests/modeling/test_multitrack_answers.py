"""compmo-infer's parser on the multi-track answer form, and the GPU script's pieces."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from compmo_gen.core.formats import load_annotations
from modeling.infer import write_generation_files

TEXT = (
    "00:00:00-00:06:00 [legs] - a person walks forward, "
    "00:01:500-00:04:00 [right arm] - waves the right hand, 00:06:00 - sits down"
)


def test_infer_writes_parts_and_ends_from_multitrack_generations(tmp_path: Path) -> None:
    report = write_generation_files(tmp_path, [("a", 9.0, TEXT), ("b", 5.0, "00:00:00 - jumps")])
    assert report["unparseable"] == 0
    sub = json.loads((tmp_path / "predictions.json").read_text())
    assert sub["results"]["a"] == [
        {"sentence": "a person walks forward", "timestamp": [0.0, 6.0], "parts": ["legs"]},
        {"sentence": "waves the right hand", "timestamp": [1.5, 4.0], "parts": ["right arm"]},
        {"sentence": "sits down", "timestamp": [6.0, 9.0]},
    ]
    assert sub["results"]["b"] == [{"sentence": "jumps", "timestamp": [0.0, 5.0]}]  # classic
    back = load_annotations(tmp_path / "predictions.json", role="pred").annotations["a"]
    assert back.segments[1].parts == ("right arm",)


def test_gpu_script_parses_and_table_reads_results(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    assert (
        subprocess.run(["bash", "-n", str(root / "scripts/gpu_multitrack_run.sh")]).returncode == 0
    )
    res = {
        "metrics": {"SODA_c": 1.5, "F1": 2.0},
        "multitrack": {"F1": 3.0, "concurrency_recall": None},
    }
    (tmp_path / "multitrack.results.json").write_text(json.dumps(res))
    out = subprocess.run(
        ["python", str(root / "scripts/multitrack_table.py"), str(tmp_path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    row = "| multitrack | model | 1.50 | n/a | n/a | n/a | 2.00 | 3.00 | n/a | n/a | n/a | n/a | n/a | n/a |"
    assert row in out.splitlines()
