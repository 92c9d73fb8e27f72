"""Decompose joint positions into local feature streams and recompose them (STMC-style).

A clip becomes per-frame channels: bone directions in the heading frame, pelvis height, yaw rate,
root velocity in the heading frame and the lowest foot height. Concatenating the channels of several
clips and integrating once chains them (each starts where the previous ended, in position and
heading); forward kinematics keeps every bone at its HumanML3D length. A single clip round-trips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compmo_gen.composition.skeleton import (
    FOOT_JOINTS,
    bone_directions,
    forward_kinematics,
    heading_angles,
)


@dataclass(frozen=True)
class Features:
    """Per-frame channels of a motion (T frames). ``omega``/``vel`` go from frame t to t+1; the
    last entry repeats the previous one so every channel has T rows."""

    dirs: np.ndarray  # (T, 22, 3) unit bone directions in the heading frame (row 0 unused)
    height: np.ndarray  # (T,) pelvis height
    omega: np.ndarray  # (T,) yaw change to the next frame (rad)
    vel: np.ndarray  # (T, 2) root xz displacement to the next frame, heading frame (x, z)
    minfoot: np.ndarray  # (T,) lowest foot-joint height of the source pose

    def __len__(self) -> int:
        return len(self.height)


def _to_local_xz(dx: np.ndarray, dz: np.ndarray, psi: np.ndarray) -> np.ndarray:
    c, s = np.cos(psi), np.sin(psi)
    return np.stack([c * dx - s * dz, s * dx + c * dz], -1)


def _to_world_xz(v: np.ndarray, psi: np.ndarray) -> np.ndarray:
    c, s = np.cos(psi), np.sin(psi)
    return np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]], -1)


def _with_last(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, x[-1:]]) if len(x) else np.zeros((1,) + x.shape[1:])


def decompose(p: np.ndarray) -> tuple[Features, float, np.ndarray]:
    """Features of positions ``p`` (T, 22, 3), plus the first heading and root xz (to recompose)."""
    p = np.asarray(p, dtype=np.float64)
    psi = heading_angles(p)
    xz = p[:, 0, [0, 2]]
    rel = p.copy()
    rel[..., 0] -= xz[:, None, 0]
    rel[..., 2] -= xz[:, None, 1]
    c, s = np.cos(psi)[:, None], np.sin(psi)[:, None]
    local = np.empty_like(rel)
    local[..., 0] = c * rel[..., 0] - s * rel[..., 2]
    local[..., 1] = rel[..., 1]
    local[..., 2] = s * rel[..., 0] + c * rel[..., 2]
    d = np.diff(xz, axis=0)
    vel = _with_last(_to_local_xz(d[:, 0], d[:, 1], psi[:-1]))
    feats = Features(
        dirs=bone_directions(local),
        height=p[:, 0, 1].copy(),
        omega=_with_last(np.diff(psi)),
        vel=vel,
        minfoot=p[:, FOOT_JOINTS, 1].min(axis=1),
    )
    return feats, float(psi[0]), xz[0].copy()


def integrate(
    f: Features, psi0: float = 0.0, xz0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Heading (T,) and root xz (T, 2) from the yaw-rate and velocity channels."""
    psi = psi0 + np.concatenate([[0.0], np.cumsum(f.omega[:-1])])
    step = _to_world_xz(f.vel[:-1], psi[:-1])
    xz = np.concatenate([np.zeros((1, 2)), np.cumsum(step, axis=0)])
    if xz0 is not None:
        xz = xz + xz0
    return psi, xz


def recompose(f: Features, psi0: float = 0.0, xz0: np.ndarray | None = None) -> np.ndarray:
    """Joint positions (T, 22, 3) with exact HumanML3D bone lengths."""
    psi, xz = integrate(f, psi0, xz0)
    root = np.zeros((len(f), 3))
    root[:, 1] = f.height
    local = forward_kinematics(root, f.dirs)
    c, s = np.cos(psi)[:, None], np.sin(psi)[:, None]
    out = np.empty_like(local)
    out[..., 0] = c * local[..., 0] + s * local[..., 2] + xz[:, None, 0]
    out[..., 1] = local[..., 1]
    out[..., 2] = -s * local[..., 0] + c * local[..., 2] + xz[:, None, 1]
    return out


def slerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation of unit vectors (..., 3) with weights broadcast to (..., 1)."""
    dot = np.clip((a * b).sum(-1, keepdims=True), -1.0, 1.0)
    theta = np.arccos(dot)
    sin = np.sin(theta)
    small = sin < 1e-6
    safe = np.where(small, 1.0, sin)
    wa = np.where(small, 1.0 - w, np.sin((1.0 - w) * theta) / safe)
    wb = np.where(small, w, np.sin(w * theta) / safe)
    out = wa * a + wb * b
    return out / np.maximum(np.linalg.norm(out, axis=-1, keepdims=True), 1e-12)


def resample(f: Features, n: int) -> Features:
    """Stretch or compress to ``n`` frames: linear for scalars and the integrated root path,
    (normalised-lerp) slerp for bone directions. Returns ``f`` itself when ``n`` equals its length."""
    t = len(f)
    if n == t:
        return f
    u = np.linspace(0.0, t - 1, n)
    i0 = np.minimum(np.floor(u).astype(int), t - 1)
    i1 = np.minimum(i0 + 1, t - 1)
    w = u - i0

    def lerp(x: np.ndarray) -> np.ndarray:
        ww = w.reshape((-1,) + (1,) * (x.ndim - 1))
        return x[i0] * (1 - ww) + x[i1] * ww

    psi, xz = integrate(f)
    psi_n, xz_n = lerp(psi), lerp(xz)
    d = np.diff(xz_n, axis=0)
    # Neighbouring frames differ by a few degrees: normalised lerp equals slerp to within 0.01 deg
    # there, at a fraction of the cost.
    dirs = lerp(f.dirs)
    dirs /= np.maximum(np.sqrt(np.einsum("...i,...i->...", dirs, dirs)), 1e-12)[..., None]
    return Features(
        dirs=dirs,
        height=lerp(f.height),
        omega=_with_last(np.diff(psi_n)),
        vel=_with_last(_to_local_xz(d[:, 0], d[:, 1], psi_n[:-1])),
        minfoot=lerp(f.minfoot),
    )


def concat(parts: list[Features]) -> Features:
    """Channel-wise concatenation (a hard cut between parts)."""
    return Features(
        dirs=np.concatenate([p.dirs for p in parts]),
        height=np.concatenate([p.height for p in parts]),
        omega=np.concatenate([p.omega for p in parts]),
        vel=np.concatenate([p.vel for p in parts]),
        minfoot=np.concatenate([p.minfoot for p in parts]),
    )


def sliced(f: Features, start: int, stop: int) -> Features:
    """Frames [start, stop) of every channel."""
    return Features(
        f.dirs[start:stop], f.height[start:stop], f.omega[start:stop], f.vel[start:stop],
        f.minfoot[start:stop],
    )  # fmt: skip
