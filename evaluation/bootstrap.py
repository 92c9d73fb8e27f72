"""Seeded bootstrap over videos: 95 % confidence intervals and a paired test between two systems.

Every reported metric is a mean of per-video values (the ActivityNet metrics average per-video
scores over all GT videos and then over tIoUs, which is the mean over videos of each video's
tIoU-average; SODA and the overlap metrics likewise). A value of NaN marks a video that does not
count for that metric (``--protocol demo`` leaves videos without predictions out of SODA and the
overlap metrics), so each replicate's metric is ``sum(w * x) / sum(w * counted)`` with ``w`` the
replicate's resampling counts.

Replicate ``b`` draws its videos from ``numpy.random.default_rng([seed, b])``: the same seed gives
the same intervals whatever the number of replicates computed at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Default number of bootstrap replicates and confidence level.
N_BOOT = 1000
#: Most replicates asked for (each costs a videos-long index row: 10**5 x 5,000 videos is 4 GB).
MAX_BOOT = 100_000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A metric's value on the full set and its bootstrap percentile interval (same units)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class PairedTest:
    """Paired bootstrap of ``A - B`` on the same videos: observed difference, interval, p-value."""

    metric: str
    a: float
    b: float
    delta: Interval
    p_value: float
    n_boot: int


def _weights(n: int, seed: int, b: int) -> np.ndarray:
    rng = np.random.default_rng([seed, b])
    return np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)


def _weighted_means(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-column ``sum(w x) / sum(w counted)`` over the rows that are not NaN (NaN if none)."""
    counted = ~np.isnan(values)
    return _ratio(w @ np.where(counted, values, 0.0), w @ counted.astype(np.float64))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def replicate_means(
    values: np.ndarray, n_boot: int = N_BOOT, seed: int = 0, *, batch: int = 64
) -> np.ndarray:
    """(n_boot, n_metrics) bootstrap means of ``values`` (n_videos, n_metrics), NaN = not counted."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    out = np.empty((n_boot, values.shape[1]))
    if n == 0:
        out.fill(np.nan)
        return out
    counted = ~np.isnan(values)
    filled = np.where(counted, values, 0.0)
    counted_f = counted.astype(np.float64)
    for start in range(0, n_boot, batch):
        stop = min(start + batch, n_boot)
        w = np.stack([_weights(n, seed, b) for b in range(start, stop)])
        out[start:stop] = _ratio(w @ filled, w @ counted_f)
    return out


def _percentiles(reps: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = 100.0 * (1.0 - confidence) / 2.0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN bounds
        lo = np.nanpercentile(reps, tail, axis=0) if reps.size else np.array([])
        hi = np.nanpercentile(reps, 100.0 - tail, axis=0) if reps.size else np.array([])
    return lo, hi


def confidence_intervals(
    values: np.ndarray,
    metrics: Sequence[str],
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    scale: float = 1.0,
) -> dict[str, Interval]:
    """Percentile bootstrap interval of every metric (column of ``values``), times ``scale``."""
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(metrics))
    full = _weighted_means(values, np.ones((1, values.shape[0])))[0]
    reps = replicate_means(values, n_boot, seed)
    lo, hi = _percentiles(reps, confidence)
    return {
        m: Interval(float(full[k]) * scale, float(lo[k]) * scale, float(hi[k]) * scale)
        for k, m in enumerate(metrics)
    }


def paired_test(
    a: np.ndarray,
    b: np.ndarray,
    metrics: Sequence[str],
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    scale: float = 1.0,
) -> list[PairedTest]:
    """Paired bootstrap: both systems resampled with the same videos in every replicate.

    The two-sided p-value is ``2 * min(P(delta* <= 0), P(delta* >= 0))`` over the replicates
    (with the usual +1 correction), i.e. how often resampling the videos reverses the sign.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, len(metrics))
    b = np.asarray(b, dtype=np.float64).reshape(-1, len(metrics))
    if a.shape != b.shape:
        raise ValueError(f"paired test needs the same videos: {a.shape[0]} vs {b.shape[0]}")
    both = np.concatenate([a, b], axis=1)
    ones = np.ones((1, a.shape[0]))
    full = _weighted_means(both, ones)[0]
    reps = replicate_means(both, n_boot, seed)
    k = len(metrics)
    deltas = reps[:, :k] - reps[:, k:]
    lo, hi = _percentiles(deltas, confidence)
    out = []
    for m, name in enumerate(metrics):
        d = deltas[:, m]
        d = d[~np.isnan(d)]
        if d.size:
            le = (np.count_nonzero(d <= 0) + 1) / (d.size + 1)
            ge = (np.count_nonzero(d >= 0) + 1) / (d.size + 1)
            p = min(1.0, 2.0 * min(le, ge))
        else:
            p = math.nan
        delta = Interval(
            float(full[m] - full[k + m]) * scale, float(lo[m]) * scale, float(hi[m]) * scale
        )
        out.append(
            PairedTest(name, float(full[m]) * scale, float(full[k + m]) * scale, delta, p, n_boot)
        )
    return out
