"""Building blocks for procedural plans: keyframe tracks, smooth noise, footsteps and jumps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d

from compmo_gen.procedural.rig import ANKLE_H, PELVIS_H, STANCE, L, Plan, R, standing


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Quintic ease ``6x^5 - 15x^4 + 10x^3`` on [0, 1] (zero velocity and acceleration at the ends)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (x * (6 * x - 15) + 10)


def keys(n: int, times: Sequence[float], values: Sequence) -> np.ndarray:
    """A track of ``n`` frames through keyframes (frame, value), eased between keys, held outside."""
    vals = [np.asarray(v, dtype=np.float64) for v in values]
    out = np.empty((n,) + vals[0].shape)
    t = np.arange(n, dtype=np.float64)
    out[:] = vals[0]
    for (t0, v0), (t1, v1) in zip(zip(times, vals), zip(times[1:], vals[1:]), strict=False):
        u = smoothstep((t - t0) / max(t1 - t0, 1e-9))
        m = t >= t0
        shape = (-1,) + (1,) * v0.ndim
        out[m] = v0 + (v1 - v0) * u[m].reshape(shape)
    return out


def cycles(n: int, start: float, period: float, count: int) -> np.ndarray:
    """0 outside [start, start + count*period), else 0.5 - 0.5 cos(2 pi phase): ``count`` bumps."""
    t = (np.arange(n) - start) / period
    inside = (t >= 0) & (t < count)
    return np.where(inside, 0.5 - 0.5 * np.cos(2 * np.pi * t), 0.0)


def noise(
    rng: np.random.Generator, n: int, dims: int, amp: float, sigma: float = 8.0
) -> np.ndarray:
    """Low-frequency noise (n, dims) of roughly ``amp`` amplitude: natural variation."""
    x = gaussian_filter1d(rng.standard_normal((n + 40, dims)), sigma, axis=0, mode="wrap")[20:-20]
    return amp * x / max(float(np.abs(x).max()), 1e-9)


def add_variation(plan: Plan, rng: np.random.Generator, scale: float = 1.0) -> Plan:
    """Small smooth sway of torso, head and hands (never enough to change the caption)."""
    n = len(plan.yaw)
    plan.torso = plan.torso + noise(rng, n, 3, 0.04 * scale)
    plan.head = plan.head + noise(rng, n, 2, 0.06 * scale)
    plan.wrists = [w + noise(rng, n, 3, 0.025 * scale) for w in plan.wrists]
    return plan


def _rot_xz(v: np.ndarray, yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([c * v[0] + s * v[1], -s * v[0] + c * v[1]])


def footsteps(
    n: int, steps: Sequence[tuple[int, float, float, np.ndarray, float, float]], lean: float = 0.0
) -> Plan:
    """A plan from footsteps ``(side, start_frame, end_frame, target_xz, target_yaw, lift_m)``.

    Feet start in the rest stance at the origin; a foot is planted except during its own steps, so
    stance feet do not slide. The body follows the centre implied by the two feet.
    """
    plan = standing(n)
    t = np.arange(n, dtype=np.float64)
    pos = [np.array(STANCE[s], dtype=np.float64) for s in (L, R)]
    yaw = [0.0, 0.0]
    xz = [np.tile(pos[s], (n, 1)) for s in (L, R)]
    fy = [np.zeros(n), np.zeros(n)]
    hy = [np.full(n, ANKLE_H[s]) for s in (L, R)]
    for side, t0, t1, target, tyaw, lift in steps:
        u = (t - t0) / max(t1 - t0, 1e-9)
        m = t >= t0
        e = smoothstep(u[m])[:, None]
        xz[side][m] = pos[side] + (np.asarray(target) - pos[side]) * e
        fy[side][m] = yaw[side] + (tyaw - yaw[side]) * e[:, 0]
        inside = (u > 0) & (u < 1)
        hy[side][inside] += lift * np.sin(np.pi * u[inside])
        pos[side], yaw[side] = np.asarray(target, dtype=np.float64), tyaw
    plan.ankles = [np.stack([xz[s][:, 0], hy[s], xz[s][:, 1]], -1) for s in (L, R)]
    plan.foot_yaw = fy
    body_yaw = gaussian_filter1d(0.5 * (fy[0] + fy[1]), 2.0, mode="nearest")
    centre = []
    for s in (L, R):
        c, si = np.cos(body_yaw), np.sin(body_yaw)
        off = np.stack(
            [c * STANCE[s][0] + si * STANCE[s][1], -si * STANCE[s][0] + c * STANCE[s][1]], -1
        )
        centre.append(xz[s] - off)
    plan.xz = gaussian_filter1d(0.5 * (centre[0] + centre[1]), 2.5, axis=0, mode="nearest")
    plan.yaw = body_yaw
    plan.torso[:, 0] += lean
    return plan


def walk_steps(
    count: int,
    step: float,
    duration: float,
    start: float,
    *,
    lateral: float = 0.0,
    turn: float = 0.0,
    backward: bool = False,
    first: int = L,
    lift: float = 0.1,
    swing: float = 0.8,
) -> tuple[list, float]:
    """Footsteps of ``count`` alternating steps along a path (the last one closes the stance).

    ``step`` metres per step along the body's forward axis (``lateral`` sideways), ``turn`` radians
    of heading change per step, ``duration`` frames per step. Returns the steps and the end frame.
    """
    centre, yaw, out = np.zeros(2), 0.0, []
    side, t = first, start
    sign = -1.0 if backward else 1.0
    for k in range(count):
        closing = k == count - 1 and count > 1
        if not closing:
            yaw_next = yaw + turn
            centre = centre + _rot_xz(np.array([lateral, sign * step]), yaw_next * 0.5 + yaw * 0.5)
            yaw = yaw_next
        target = centre + _rot_xz(np.asarray(STANCE[side]), yaw)
        out.append((side, t, t + swing * duration, target, yaw, lift))
        t += duration
        side = 1 - side
    return out, t


def jump_plan(
    n: int,
    takeoffs: Sequence[float],
    flight: float,
    height: float,
    moves: Sequence[np.ndarray],
    crouch: float = 0.12,
    spread: Sequence[float] | None = None,
    feet: Sequence[int] = (L, R),
) -> Plan:
    """Jumps (both feet, or the ``feet`` given) leaving at ``takeoffs`` frames for ``flight`` frames,
    apex ``height`` m, landing moved by ``moves[i]`` (xz); ``spread`` widens the stance (m/side)."""
    steps, body = [], np.zeros(2)
    widths = spread if spread is not None else [0.0] * len(takeoffs)
    for t0, mv, w in zip(takeoffs, moves, widths, strict=True):
        body = body + np.asarray(mv, dtype=np.float64)
        for s in feet:
            out = np.array([w if s == L else -w, 0.0])
            steps.append((s, t0, t0 + flight, body + STANCE[s] + out, 0.0, height))
    steps.sort(key=lambda st: st[1])
    plan = footsteps(n, steps)
    t = np.arange(n, dtype=np.float64)
    h = np.full(n, PELVIS_H)
    for t0 in takeoffs:
        dip = np.exp(-0.5 * ((t - (t0 - 3)) / 2.5) ** 2) + np.exp(
            -0.5 * ((t - (t0 + flight + 3)) / 2.5) ** 2
        )
        u = (t - t0) / flight
        air = np.where((u > 0) & (u < 1), np.sin(np.pi * np.clip(u, 0, 1)), 0.0)
        h += -crouch * dip + height * air
    plan.height = h
    return plan
