"""DEMO's released test predictions: compmo-eval --protocol demo reproduces DEMO's own scripts.

The targets are what DEMO's eval/cider.py -v, soda.py and overlap.py (float64 F1) print on
``shared/data/demo_release`` with the imputed durations (durations_imputed.json, as shipped beside it). One full run
(6,000 videos); skipped when the shared data or Java is absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evaluation.cli import main

RELEASE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "demo_release"

TARGETS = {
    "SODA_c": 17.89958236775056,
    "CIDEr": 134.6804157381805,
    "METEOR": 16.38297877588815,
    "ROUGE_L": 24.19879196373197,
    "Bleu_1": 24.027680507978197,
    "Bleu_4": 10.985057038131576,
    "Precision": 68.35109153577883,
    "Recall": 72.6287996031742,
    "F1": 59.245949072657496,
    "tIoU": 78.42829298912765,
}

pytestmark = pytest.mark.skipif(
    not (RELEASE / "result.json").is_file() or shutil.which("java") is None,
    reason="needs shared/data/demo_release and Java",
)


@pytest.fixture(scope="module")
def release_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "demo.json"
    args = [str(RELEASE / "result.json"), "--gt", str(RELEASE / "test.json")]
    args += ["--durations", str(RELEASE / "durations_imputed.json"), "--protocol", "demo"]
    assert main([*args, "--out", str(out), "-q"]) == 0
    return json.loads(out.read_text())


@pytest.mark.parametrize("metric", sorted(TARGETS))
def test_release_matches_demo_scripts(release_result, metric):
    assert release_result["metrics"][metric] == pytest.approx(TARGETS[metric], abs=1e-6)


def test_release_counts(release_result):
    counts = release_result["counts"]
    assert counts["gt_videos"] == counts["ok"] == 6000
    assert counts["gt_segments"] == 36014 and counts["pred_segments"] == 39489
    assert counts["missing"] == counts["empty"] == counts["unparseable"] == counts["unknown"] == 0
