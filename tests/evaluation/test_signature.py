"""Result signatures show thresholds without float noise yet keep results that ran different floats
apart; older files (noisy values, no ``threshold_floats``) stay comparable."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.protocol import OVERLAP_THRESHOLDS, TIOUS, clean_float
from evaluation.report import threshold_signature
from evaluation.resultfiles import differences, load_result


def test_default_thresholds_are_shown_clean_and_named() -> None:
    sig = threshold_signature(TIOUS, OVERLAP_THRESHOLDS)
    assert sig["tious"] == [0.3, 0.5, 0.7, 0.9]
    assert sig["overlap_thresholds"] == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    assert "np.arange" in sig["threshold_floats"]
    assert "0000000" not in json.dumps(sig)
    typed = threshold_signature((0.3, 0.5), (0.5, 0.6))
    assert typed["threshold_floats"] == "as listed"
    odd = threshold_signature((0.1 + 0.2,), (0.5,))
    assert odd["tious"] == [0.3] and "0.30000000000000004" in odd["threshold_floats"]
    assert clean_float(0.6000000000000001) == 0.6 and clean_float(1 / 3) == 0.333333333333


def _result(tmp_path: Path, name: str, **sig: object) -> Path:
    path = tmp_path / f"{name}.json"
    doc = {"signature": {"protocol": "strict", **sig}, "metrics": {"SODA_c": 1.0}, "counts": {}}
    path.write_text(json.dumps(doc))
    return path


def test_old_noisy_and_new_clean_signatures_are_comparable(tmp_path: Path) -> None:
    old = _result(tmp_path, "old", overlap_thresholds=list(OVERLAP_THRESHOLDS))
    new = _result(tmp_path, "new", **threshold_signature(TIOUS, OVERLAP_THRESHOLDS))
    assert differences([load_result(old), load_result(new)]) == []


def test_results_that_ran_other_floats_differ(tmp_path: Path) -> None:
    ref = _result(tmp_path, "ref", **threshold_signature(TIOUS, OVERLAP_THRESHOLDS))
    typed = [clean_float(t) for t in OVERLAP_THRESHOLDS]  # --overlap-thresholds 0.5,0.55,...
    mine = _result(tmp_path, "mine", **threshold_signature(TIOUS, typed))
    diff = differences([load_result(ref), load_result(mine)])
    assert len(diff) == 1 and "threshold_floats" in diff[0]
