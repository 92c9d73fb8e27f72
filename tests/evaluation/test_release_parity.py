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
from evaluation.published import RELEASE_TARGETS as TARGETS

RELEASE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "demo_release"


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
