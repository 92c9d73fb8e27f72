"""Bootstrap intervals and the paired test against the obvious resampling loop."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import bootstrap as bt


def _plain_reps(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    n = len(values)
    reps = []
    for b in range(n_boot):
        idx = np.random.default_rng([seed, b]).integers(0, n, size=n)
        with np.errstate(invalid="ignore"):
            reps.append(np.nanmean(values[idx], axis=0))
    return np.array(reps)


def test_intervals_match_plain_resampling_with_nans():
    rng = np.random.default_rng(1)
    values = rng.uniform(0, 1, (57, 3))
    values[rng.uniform(size=57) < 0.3, 2] = np.nan  # a metric some videos do not count for
    ci = bt.confidence_intervals(values, ["a", "b", "c"], n_boot=300, seed=7, scale=100)
    reps = _plain_reps(values, 300, 7)
    for k, m in enumerate("abc"):
        assert ci[m].value == pytest.approx(100 * np.nanmean(values[:, k]), abs=1e-9)
        assert ci[m].low == pytest.approx(100 * np.percentile(reps[:, k], 2.5), abs=1e-9)
        assert ci[m].high == pytest.approx(100 * np.percentile(reps[:, k], 97.5), abs=1e-9)
        assert ci[m].low < ci[m].value < ci[m].high


def test_seeded_and_deterministic():
    values = np.random.default_rng(2).normal(size=(40, 2))
    one = bt.confidence_intervals(values, ["x", "y"], n_boot=200, seed=3)
    assert one == bt.confidence_intervals(values, ["x", "y"], n_boot=200, seed=3)
    assert one != bt.confidence_intervals(values, ["x", "y"], n_boot=200, seed=4)


def test_interval_width_matches_normal_theory():
    values = np.random.default_rng(5).normal(0.5, 0.2, (2000, 1))
    ci = bt.confidence_intervals(values, ["m"], n_boot=500, seed=0)["m"]
    expected = 2 * 1.96 * values.std() / np.sqrt(len(values))
    assert ci.high - ci.low == pytest.approx(expected, rel=0.15)


def test_paired_test_detects_shift_and_not_noise():
    rng = np.random.default_rng(6)
    base = rng.uniform(0, 1, (300, 2))
    shifted = base + np.array([0.01, 0.0])
    (d1, d2) = bt.paired_test(shifted, base, ["s", "same"], n_boot=400, seed=0, scale=100)
    assert d1.delta.value == pytest.approx(1.0) and d1.delta.low == pytest.approx(1.0)
    assert d1.p_value == pytest.approx(2 / 401)
    assert d2.delta.value == 0.0 and d2.p_value == 1.0
    noise = base + rng.normal(0, 0.05, base.shape)
    noise -= noise.mean(axis=0) - base.mean(axis=0)  # same means, different per-video values
    (n1, _) = bt.paired_test(noise, base, ["s", "same"], n_boot=400, seed=0)
    assert n1.p_value > 0.2
    with pytest.raises(ValueError, match="same videos"):
        bt.paired_test(base[:10], base[:11], ["s", "same"])


def test_empty_and_all_nan():
    ci = bt.confidence_intervals(np.zeros((0, 1)), ["m"], n_boot=10)
    assert np.isnan(ci["m"].value) and np.isnan(ci["m"].low)
    ci = bt.confidence_intervals(np.full((5, 1), np.nan), ["m"], n_boot=10)
    assert np.isnan(ci["m"].value)
