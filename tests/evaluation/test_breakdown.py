"""Breakdowns by number of actions and duration, checked against hand-computed means."""

from __future__ import annotations

import math

import numpy as np
import pytest

from compmo_gen.core.segments import DenseAnnotation, Segment
from evaluation import breakdown as bd

TIOUS = ("0.3", "0.5")


def _gt(vid: str, k: int, duration: float) -> DenseAnnotation:
    step = duration / k
    return DenseAnnotation(
        vid, duration, tuple(Segment(i * step, (i + 1) * step, f"a{i}") for i in range(k))
    )


def _rec(vid: str, soda: float, cider: float, evaluated: bool = True) -> dict:
    return {"id": vid, "evaluated": evaluated,
            "per_tiou": {t: {"CIDEr": cider + d, "METEOR": 0.1} for t, d in zip(TIOUS, (0.1, -0.1))},
            "SODA_c": {"P": 0, "R": 0, "F": soda}, "mean_tiou": 0.5, "overlap_f1": 0.25}  # fmt: skip


@pytest.fixture
def data():
    gt = {
        "a": _gt("a", 2, 10.0),
        "b": _gt("b", 2, 35.0),
        "c": _gt("c", 5, 39.9),
        "d": _gt("d", 10, 70),
    }
    recs = [
        _rec("a", 0.2, 1.0),
        _rec("b", 0.4, 2.0),
        _rec("c", 0.3, 0.5),
        _rec("d", 0.9, 3.0, False),
    ]
    return gt, recs


def test_by_actions(data):
    gt, recs = data
    b = bd.breakdown(recs, gt, "actions")
    assert b.labels == ["2", "5", "10"] and b.videos == [2, 1, 1]
    col = {h: c for c, (h, _) in enumerate(b.columns)}
    assert b.values[0, col["SODA"]] == pytest.approx(30.0)
    assert b.values[0, col["CIDEr"]] == pytest.approx(150.0)
    assert b.values[0, col["METEOR"]] == pytest.approx(10.0)
    assert math.isnan(b.values[2, col["SODA"]])  # d does not count for SODA (demo protocol)
    assert b.values[2, col["CIDEr"]] == pytest.approx(
        300.0
    )  # ActivityNet metrics count every video
    assert math.isnan(b.values[0, col["SODA(B)"]])
    md = bd.to_markdown(b)
    assert md.splitlines()[0].startswith("| actions | videos | SODA | CIDEr")
    assert "SODA(B)" not in md and "| 10 | 1 | - |" in md


def test_by_duration_bins(data):
    gt, recs = data
    assert bd.duration_label(20.0, bd.DURATION_EDGES) == (1, "20-30 s")
    assert bd.duration_label(75.0, bd.DURATION_EDGES) == (5, ">= 60 s")
    b = bd.breakdown(recs, gt, "duration", edges=(0, 20, 40))
    assert b.labels == ["0-20 s", "20-40 s", ">= 40 s"] and b.videos == [1, 2, 1]
    assert b.values[1, 0] == pytest.approx(35.0)
    with pytest.raises(ValueError):
        bd.group_of(gt, "colour")


def test_plot_is_a_deterministic_png(data, tmp_path):
    gt, recs = data
    parts = {"x": bd.breakdown(recs, gt, "actions"), "y": bd.breakdown(recs[:3], gt, "actions")}
    png = bd.plot_png(parts)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert bd.plot_png(parts) == png
    assert bd.plot(parts, tmp_path / "p" / "a.png").read_bytes() == png
    assert np.isfinite(parts["y"].values[:, 0]).all()
