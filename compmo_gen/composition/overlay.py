"""Spatial composition: play a clip's body parts on top of another motion (STMC's body parts).

A part's joints are taken relative to the body frame of the joint it attaches to, in the source
clip, and re-attached to the same frame of the base motion:

- arms (collar, shoulder, elbow, wrist) and the head (neck, head) hang from the **chest frame**
  (origin spine3; x from the right to the left collar; y from spine3 to the neck; z = x cross y);
- the spine (spine1-3) hangs from the **pelvis frame** (x from the right to the left hip, y up);
  moving it carries the chest and everything on it rigidly.

Each bone's unit direction is expressed in that frame (source and base), the two are slerped with
the overlay weight ``w(t)`` (0 outside the overlay, a smootherstep fade at its edges, 1 inside),
and the chain is rebuilt by forward kinematics with the base's own bone lengths: bone lengths are
kept exactly, and the pelvis, the legs and the feet are never touched (no foot skating can be
introduced). :func:`overlay_checks` measures all three properties.
"""

from __future__ import annotations

import numpy as np

from compmo_gen.composition.kinematics import slerp
from compmo_gen.composition.skeleton import FOOT_JOINTS, PARENTS

#: Joints of each STMC body part, parents before children.
PART_JOINTS: dict[str, tuple[int, ...]] = {
    "left arm": (13, 16, 18, 20),
    "right arm": (14, 17, 19, 21),
    "head": (12, 15),
    "spine": (3, 6, 9),
    "legs": (1, 2, 4, 5, 7, 8, 10, 11),
}
#: Parts that can be overlaid (the legs carry the body and stay with the base motion).
OVERLAY_PARTS: tuple[str, ...] = ("head", "left arm", "right arm", "spine")
#: Joints rigidly attached to the chest (moved with it when the spine is overlaid).
CHEST_JOINTS: tuple[int, ...] = tuple(range(12, 22))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _frame(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations whose columns are x, y (orthogonalised) and z = x cross y."""
    x = _unit(x)
    y = _unit(y - (y * x).sum(-1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def chest_frame(p: np.ndarray) -> np.ndarray:
    return _frame(p[:, 13] - p[:, 14], p[:, 12] - p[:, 9])


def pelvis_frame(p: np.ndarray) -> np.ndarray:
    up = np.zeros_like(p[:, 0])
    up[:, 1] = 1.0
    return _frame(p[:, 1] - p[:, 2], up)


def _in(frame: np.ndarray, v: np.ndarray) -> np.ndarray:
    """World vectors (T, 3) in the frame's coordinates (frame^T v)."""
    return np.einsum("tji,tj->ti", frame, v)


def _out(frame: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("tij,tj->ti", frame, v)


def _rot_slerp(ra: np.ndarray, rb: np.ndarray, w: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    a, b = Rotation.from_matrix(ra), Rotation.from_matrix(rb)
    rel = (a.inv() * b).as_rotvec()
    return (a * Rotation.from_rotvec(rel * w[:, None])).as_matrix()


def bone_lengths(p: np.ndarray) -> np.ndarray:
    """(T, 22) length of each joint's bone to its parent (0 for the root)."""
    out = np.zeros(p.shape[:2])
    for j in range(1, p.shape[1]):
        out[:, j] = np.linalg.norm(p[:, j] - p[:, PARENTS[j]], axis=-1)
    return out


def fade_weights(n: int, fade: int) -> np.ndarray:
    """Overlay weights over ``n`` frames: smootherstep up over ``fade`` frames, 1, then down."""
    w = np.ones(n)
    k = max(1, min(fade, n // 2))
    x = (np.arange(k) + 0.5) / k
    ramp = x * x * x * (x * (6 * x - 15) + 10)
    w[:k] = ramp
    w[n - k :] = np.minimum(w[n - k :], ramp[::-1])
    return w


def overlay(base: np.ndarray, src: np.ndarray, parts: tuple[str, ...], w: np.ndarray) -> np.ndarray:
    """``base`` (T, 22, 3) with ``parts`` of ``src`` (same T) blended in with weights ``w`` (T,).

    Raises ``ValueError`` for a part that cannot be overlaid (see :data:`OVERLAY_PARTS`).
    """
    bad = [q for q in parts if q not in OVERLAY_PARTS]
    if bad:
        raise ValueError(f"cannot overlay {bad} (overlay parts: {', '.join(OVERLAY_PARTS)})")
    base = np.asarray(base, dtype=np.float64)
    src = np.asarray(src, dtype=np.float64)
    out = base.copy()
    length = bone_lengths(base)
    ca, cb = chest_frame(base), chest_frame(src)
    cn = ca
    ww = w[:, None]
    if "spine" in parts:
        pa, pb = pelvis_frame(base), pelvis_frame(src)
        for j in PART_JOINTS["spine"]:
            par = PARENTS[j]
            ua = _in(pa, _unit(base[:, j] - base[:, par]))
            ub = _in(pb, _unit(src[:, j] - src[:, par]))
            out[:, j] = out[:, par] + length[:, j, None] * _out(pa, slerp(ua, ub, ww))
        rel = _rot_slerp(np.einsum("tji,tjk->tik", pa, ca), np.einsum("tji,tjk->tik", pb, cb), w)
        cn = np.einsum("tij,tjk->tik", pa, rel)
        for j in CHEST_JOINTS:  # carried rigidly by the chest
            out[:, j] = out[:, 9] + _out(cn, _in(ca, base[:, j] - base[:, 9]))
    for part in ("left arm", "right arm", "head"):
        if part not in parts:
            continue
        for j in PART_JOINTS[part]:
            par = PARENTS[j]
            ua = _in(ca, _unit(base[:, j] - base[:, par]))
            ub = _in(cb, _unit(src[:, j] - src[:, par]))
            out[:, j] = out[:, par] + length[:, j, None] * _out(cn, slerp(ua, ub, ww))
    return out


def resample_joints(p: np.ndarray, n: int) -> np.ndarray:
    """Joints stretched or compressed in time to ``n`` frames (linear; only directions are used)."""
    t = len(p)
    if n == t:
        return np.asarray(p, dtype=np.float64)
    x = np.linspace(0.0, t - 1.0, n)
    i = np.minimum(np.floor(x).astype(int), t - 2)
    f = (x - i)[:, None, None]
    return p[i] * (1 - f) + p[i + 1] * f


def _speed(p: np.ndarray, joints: list[int], fps: float) -> np.ndarray:
    """(T-1,) largest speed (m/s) of ``joints`` between consecutive frames."""
    if len(p) < 2:
        return np.zeros(0)
    return np.linalg.norm(np.diff(p[:, joints], axis=0), axis=-1).max(axis=1) * fps


def overlay_checks(
    base: np.ndarray,
    out: np.ndarray,
    src: np.ndarray,
    parts: tuple[str, ...],
    span: tuple[int, int],
    fade: int,
    fps: float,
) -> dict[str, float]:
    """Quality figures of one overlay on ``base`` giving ``out`` (whole sequences), with ``src``
    the (resampled) source over ``span`` = [start, stop) frames.

    ``bone_error``: largest change of a bone length (m); ``skate_added``: foot speed during
    contact, after minus before (m/s, the feet are never moved so this is 0); ``seam_speed_ratio``:
    the moving joints' largest speed within ``fade`` frames of the overlay's edges, over the
    largest of their 99th-percentile speeds in the base span and in the source.
    """
    from compmo_gen.composition.quality import foot_skate

    lo, hi = span
    joints = sorted(
        {j for q in parts for j in PART_JOINTS[q]}
        | (set(CHEST_JOINTS) if "spine" in parts else set())
    )
    bone = float(np.abs(bone_lengths(out) - bone_lengths(base)).max())
    skate = foot_skate(out) - foot_skate(base)
    speed = _speed(out, joints, fps)
    edges = [
        speed[max(e - fade, 0) : min(e + fade, len(speed))] for e in (lo, hi - 1) if len(speed)
    ]
    seam = max((float(x.max()) for x in edges if len(x)), default=0.0)
    ref_base = _speed(base[lo:hi], joints, fps)
    ref_src = _speed(src, joints, fps)
    ref = max(
        [float(np.percentile(x, 99)) for x in (ref_base, ref_src) if len(x)] + [0.5]
    )  # 0.5 m/s floor: a still pose is no reference for a seam
    return {
        "bone_error": bone,
        "skate_added": float(skate),
        "feet_moved": float(np.abs(out[:, FOOT_JOINTS] - base[:, FOOT_JOINTS]).max()),
        "seam_speed_ratio": seam / ref,
    }
