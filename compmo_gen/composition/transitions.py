"""Joining two feature streams: hard concat, 10-frame slerp, crossfade, inertialization.

Each join takes the previous piece ``a`` and the next piece ``b`` (both :class:`Features`, owned by
the caller and modified in place), and returns the new ``b`` (possibly trimmed), the ground-truth
boundary as an offset from the start of ``b`` (negative: inside ``a``) and the seam window
``(lo, hi)`` in the same offsets.
"""

from __future__ import annotations

import math

import numpy as np

from compmo_gen.composition.kinematics import Features, slerp, sliced

MODES = ("concat", "slerp10", "crossfade", "inertial")
CHANNELS = ("height", "omega", "vel", "minfoot")


def _blend_into(dst: Features, idx: slice, a: Features, ia, b: Features, ib, w: np.ndarray) -> None:
    """dst[idx] = blend(a[ia], b[ib], w): slerp for bone directions, lerp for the rest."""
    dst.dirs[idx] = slerp(a.dirs[ia], b.dirs[ib], w[:, None, None])
    for name in CHANNELS:
        x, y = getattr(a, name)[ia], getattr(b, name)[ib]
        ww = w.reshape((-1,) + (1,) * (x.ndim - 1))
        getattr(dst, name)[idx] = x * (1 - ww) + y * ww


def join_concat(a: Features, b: Features) -> tuple[Features, float, tuple[int, int]]:
    """The paper's "concat GT": a hard cut."""
    return b, 0.0, (-1, 1)


def join_slerp(a: Features, b: Features, half: int = 5) -> tuple[Features, float, tuple[int, int]]:
    """The paper's "smooth GT": the last ``half`` frames of ``a`` and the first ``half`` of ``b``
    become a 2*half-frame interpolation from ``a`` (held at its end) to ``b`` (held at its start)."""
    n = 2 * half
    ta = len(a)
    i = np.arange(n)
    w = (i + 0.5) / n
    ia = np.minimum(ta - half + i, ta - 1)
    ib = np.maximum(i - half, 0)
    src_a = Features(*(np.array(x[ia]) for x in (a.dirs, a.height, a.omega, a.vel, a.minfoot)))
    src_b = Features(*(np.array(x[ib]) for x in (b.dirs, b.height, b.omega, b.vel, b.minfoot)))
    blended = Features(
        np.empty_like(src_a.dirs),
        *(np.empty_like(x) for x in (src_a.height, src_a.omega, src_a.vel, src_a.minfoot)),
    )
    _blend_into(blended, slice(None), src_a, slice(None), src_b, slice(None), w)
    for name in ("dirs",) + CHANNELS:
        getattr(a, name)[ta - half :] = getattr(blended, name)[:half]
        getattr(b, name)[:half] = getattr(blended, name)[half:]
    return b, 0.0, (-half, half)


def smootherstep(x: np.ndarray) -> np.ndarray:
    return x * x * x * (x * (6 * x - 15) + 10)


def join_crossfade(
    a: Features, b: Features, window: int = 10
) -> tuple[Features, float, tuple[int, int]]:
    """STMC-like: ``b`` starts ``window`` frames before ``a`` ends; boundary = window centre."""
    ta = len(a)
    w = smootherstep((np.arange(window) + 0.5) / window)
    _blend_into(a, slice(ta - window, ta), a, slice(ta - window, ta), b, slice(0, window), w)
    return sliced(b, window, len(b)), -window / 2, (-window, 0)


def inertial_offset(x0: np.ndarray, v0: np.ndarray, n: int, half_life: float) -> np.ndarray:
    """Critically damped decaying offset ``(x0 + (v0 + lam x0) t) exp(-lam t)`` for t = 0..n-1."""
    lam = 2 * math.log(2) / half_life
    t = np.arange(n, dtype=np.float64).reshape((-1,) + (1,) * x0.ndim)
    return (x0 + (v0 + lam * x0) * t) * np.exp(-lam * t)


def join_inertial(
    a: Features, b: Features, half_life: float = 4.0
) -> tuple[Features, float, tuple[int, int]]:
    """Inertialization: ``b`` plays in full from the switch frame with a decaying offset that
    continues ``a``'s value and velocity; bone directions are renormalised. Boundary = switch."""
    n = min(len(b), int(math.ceil(6 * half_life)))
    for name in ("dirs",) + CHANNELS:
        xa, xb = getattr(a, name), getattr(b, name)
        x0 = (2 * xa[-1] - xa[-2]) - xb[0]
        v0 = (xa[-1] - xa[-2]) - (xb[1] - xb[0])
        xb[:n] += inertial_offset(x0, v0, n, half_life)
    d = b.dirs[:n, 1:]
    d /= np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-12)
    return b, 0.0, (0, int(round(4 * half_life)))


def join(
    mode: str, a: Features, b: Features, *, window: int = 10, half_life: float = 4.0
) -> tuple[Features, float, tuple[int, int]]:
    """Join ``b`` after ``a`` with transition ``mode`` (one of :data:`MODES`)."""
    if mode == "concat":
        return join_concat(a, b)
    if mode == "slerp10":
        return join_slerp(a, b, half=window // 2)
    if mode == "crossfade":
        return join_crossfade(a, b, window)
    if mode == "inertial":
        return join_inertial(a, b, half_life)
    raise ValueError(f"unknown transition {mode!r} (one of {', '.join(MODES)})")
