"""Pose a HumanML3D skeleton from a motion plan: two-bone IK for legs and arms, FK for the rest.

A :class:`Plan` says where the feet are (world), where the body goes (root xz, yaw), how the torso
and head rotate and where the wrists are (chest frame, relative to the shoulder). :func:`assemble`
turns it into joint positions with the exact HumanML3D bone lengths; the pelvis is lowered
wherever a planted foot would be out of reach, so stance feet never slide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter1d, minimum_filter1d

from compmo_gen.composition.skeleton import BONE_LENGTHS, PARENTS, REST_DIRS, REST_POSE

L, R = 0, 1  # side index: 0 = left, 1 = right
HIP = (1, 2)
KNEE = (4, 5)
ANKLE = (7, 8)
TOE = (10, 11)
COLLAR = (13, 14)
SHOULDER = (16, 17)
ELBOW = (18, 19)
WRIST = (20, 21)
PELVIS_H = float(REST_POSE[0, 1])
#: Rest ankle offsets from the pelvis on the floor plane (x, z), per side.
STANCE = tuple(REST_POSE[ANKLE[s], [0, 2]] - REST_POSE[0, [0, 2]] for s in (L, R))
ANKLE_H = tuple(float(REST_POSE[ANKLE[s], 1]) for s in (L, R))
#: Rest wrist position relative to the shoulder (chest frame).
REST_WRIST = tuple(REST_POSE[WRIST[s]] - REST_POSE[SHOULDER[s]] for s in (L, R))
LEG = tuple((BONE_LENGTHS[KNEE[s]], BONE_LENGTHS[ANKLE[s]]) for s in (L, R))
ARM = tuple((BONE_LENGTHS[ELBOW[s]], BONE_LENGTHS[WRIST[s]]) for s in (L, R))


@dataclass
class Plan:
    """Per-frame targets for T frames (world frame unless said otherwise)."""

    xz: np.ndarray  # (T, 2) body position on the floor
    yaw: np.ndarray  # (T,) body heading
    ankles: list[np.ndarray]  # per side (T, 3) ankle targets
    foot_yaw: list[np.ndarray]  # per side (T,) foot heading
    height: np.ndarray  # (T,) wanted pelvis height (lowered further where feet are out of reach)
    torso: np.ndarray  # (T, 3) pitch (forward +), roll (to the left +), twist (to the left +), rad
    head: np.ndarray  # (T, 2) pitch (down +), yaw (to the left +)
    wrists: list[np.ndarray] = field(
        default_factory=list
    )  # per side (T, 3) rel. shoulder, chest frame
    poles: list[np.ndarray] = field(default_factory=list)  # per side (T, 3) elbow hint, chest frame
    shift: np.ndarray | None = None  # (T, 3) pelvis offset in the heading frame (e.g. squat back)


def standing(n: int) -> Plan:
    """A plan that stands still at the origin facing +z for ``n`` frames."""
    ones = np.ones(n)
    return Plan(
        xz=np.zeros((n, 2)),
        yaw=np.zeros(n),
        ankles=[np.tile([STANCE[s][0], ANKLE_H[s], STANCE[s][1]], (n, 1)) for s in (L, R)],
        foot_yaw=[np.zeros(n), np.zeros(n)],
        height=PELVIS_H * ones,
        torso=np.zeros((n, 3)),
        head=np.zeros((n, 2)),
        wrists=[np.tile(REST_WRIST[s], (n, 1)) for s in (L, R)],
        poles=[np.tile([0.4 if s == L else -0.4, -0.3, -1.0], (n, 1)) for s in (L, R)],
    )


def _rot(axis: int, a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    out = np.zeros(np.shape(a) + (3, 3))  # filled in place (np.stack of 9 arrays was slow)
    out[..., axis, axis] = 1.0
    if axis == 0:  # about x: positive pitches +z down (bend forward)
        out[..., 1, 1], out[..., 1, 2], out[..., 2, 1], out[..., 2, 2] = c, -s, s, c
    elif axis == 1:  # about y: positive turns +z towards +x (to the left)
        out[..., 0, 0], out[..., 0, 2], out[..., 2, 0], out[..., 2, 2] = c, s, -s, c
    else:  # about z: positive tilts +y towards +x (to the left)
        out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = c, s, -s, c
    return out


def torso_rotation(angles: np.ndarray) -> np.ndarray:
    """(T, 3, 3) chest rotation from (pitch, roll, twist)."""
    return _rot(1, angles[:, 2]) @ _rot(2, angles[:, 1]) @ _rot(0, angles[:, 0])


def two_bone_ik(
    a: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mid and end joint positions (T, 3) reaching from ``a`` towards ``target``."""
    d = target - a
    dist = np.linalg.norm(d, axis=-1, keepdims=True)
    dhat = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(l1 - l2) + 1e-4, (l1 + l2) * (1 - 1e-6))
    perp = pole - (pole * dhat).sum(-1, keepdims=True) * dhat
    perp = perp / np.maximum(np.linalg.norm(perp, axis=-1, keepdims=True), 1e-9)
    cos = np.clip((l1**2 + dist**2 - l2**2) / (2 * l1 * dist), -1, 1)
    mid = a + l1 * (cos * dhat + np.sqrt(1 - cos**2) * perp)
    end = a + dhat * dist
    return mid, end


def _world_to_local(v: np.ndarray, xz: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    x, z = v[:, 0] - xz[:, 0], v[:, 2] - xz[:, 1]
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([c * x - s * z, v[:, 1], s * x + c * z], -1)


def _pelvis_height(
    plan: Plan, hips_local: list[np.ndarray], ankles_local: list[np.ndarray]
) -> np.ndarray:
    h = plan.height.copy()
    for s in (L, R):
        reach = 0.985 * sum(LEG[s])
        off = hips_local[s] - np.array([0.0, PELVIS_H, 0.0])  # hip relative to pelvis
        horiz = np.hypot(ankles_local[s][:, 0] - off[:, 0], ankles_local[s][:, 2] - off[:, 2])
        limit = ankles_local[s][:, 1] + np.sqrt(np.maximum(reach**2 - horiz**2, 0.0)) - off[:, 1]
        h = np.minimum(h, limit)
    if len(h) > 4:  # smooth without rising above the limit: erode, then blur a little
        h = gaussian_filter1d(minimum_filter1d(h, 7, mode="nearest"), 1.5, mode="nearest")
    return h


def assemble(plan: Plan) -> np.ndarray:
    """Joint positions (T, 22, 3) of a plan, on the exact HumanML3D bone lengths."""
    n = len(plan.yaw)
    shift = np.zeros((n, 3)) if plan.shift is None else plan.shift
    ankles = [
        _world_to_local(plan.ankles[s], plan.xz, plan.yaw) - shift * [1, 0, 1] for s in (L, R)
    ]
    rest_hips = [REST_POSE[HIP[s]] - REST_POSE[0] + [0, PELVIS_H, 0] for s in (L, R)]
    hips0 = [np.tile(rest_hips[s], (n, 1)) for s in (L, R)]
    height = _pelvis_height(plan, hips0, ankles) + shift[:, 1]
    dirs = np.tile(REST_DIRS, (n, 1, 1))
    chest = torso_rotation(plan.torso)
    # Spine bends progressively; collars, neck and arms follow the chest.
    for j, frac in ((3, 1 / 3), (6, 2 / 3)):
        dirs[:, j] = np.einsum("tij,j->ti", torso_rotation(plan.torso * frac), REST_DIRS[j])
    for j in (9, 12, 13, 14, 16, 17):
        dirs[:, j] = np.einsum("tij,j->ti", chest, REST_DIRS[j])
    head_rot = chest @ _rot(1, plan.head[:, 1]) @ _rot(0, plan.head[:, 0])
    dirs[:, 15] = np.einsum("tij,j->ti", head_rot, REST_DIRS[15])
    p = np.zeros((n, 22, 3))
    p[:, 0, 1] = height
    for j in range(1, 22):
        if j in KNEE + ANKLE + TOE + ELBOW + WRIST:
            continue
        p[:, j] = p[:, PARENTS[j]] + BONE_LENGTHS[j] * dirs[:, j]
    for s in (L, R):
        rel_yaw = plan.foot_yaw[s] - plan.yaw
        pole = np.stack([np.sin(rel_yaw), np.zeros(n), np.cos(rel_yaw)], -1)
        pole[:, 0] += 0.15 if s == L else -0.15
        knee, ankle = two_bone_ik(p[:, HIP[s]], ankles[s], *LEG[s], pole)
        p[:, KNEE[s]], p[:, ANKLE[s]] = knee, ankle
        toe_dir = np.einsum("tij,j->ti", _rot(1, rel_yaw), REST_DIRS[TOE[s]])
        p[:, TOE[s]] = ankle + BONE_LENGTHS[TOE[s]] * toe_dir
        wrist = p[:, SHOULDER[s]] + np.einsum("tij,tj->ti", chest, plan.wrists[s])
        pole_w = np.einsum("tij,tj->ti", chest, plan.poles[s])
        elbow, wr = two_bone_ik(p[:, SHOULDER[s]], wrist, *ARM[s], pole_w)
        p[:, ELBOW[s]], p[:, WRIST[s]] = elbow, wr
    p[..., 0] += shift[:, None, 0]
    p[..., 2] += shift[:, None, 2]
    c, s_ = np.cos(plan.yaw)[:, None], np.sin(plan.yaw)[:, None]
    out = np.empty_like(p)
    out[..., 0] = c * p[..., 0] + s_ * p[..., 2] + plan.xz[:, None, 0]
    out[..., 1] = p[..., 1]
    out[..., 2] = -s_ * p[..., 0] + c * p[..., 2] + plan.xz[:, None, 1]
    return out


def canonicalize(p: np.ndarray) -> np.ndarray:
    """HumanML3D canonical frame: root xz at the origin and facing +z at frame 0, floor at y = 0."""
    across = (p[0, 2] - p[0, 1]) + (p[0, 17] - p[0, 16])
    yaw0 = np.arctan2(across[2], -across[0])
    c, s = np.cos(-yaw0), np.sin(-yaw0)
    q = p - np.array([p[0, 0, 0], 0.0, p[0, 0, 2]])
    out = q.copy()
    out[..., 0] = c * q[..., 0] + s * q[..., 2]
    out[..., 2] = -s * q[..., 0] + c * q[..., 2]
    out[..., 1] -= out[..., 1].min()
    return out
