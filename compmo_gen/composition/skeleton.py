"""The HumanML3D skeleton (Guo et al. 2022, its released paramUtil): joint order, kinematic tree, bone lengths, FK.

Conventions: metres, y up, x = the person's left, z = forward; yaw ``psi`` about +y, ``psi = 0``
faces +z, ``R_y(psi) = [[cos, 0, sin], [0, 1, 0], [-sin, 0, cos]]``.
"""

from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
)  # fmt: skip
PARENTS: tuple[int, ...] = (
    -1,
    0,
    0,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    9,
    9,
    12,
    13,
    14,
    16,
    17,
    18,
    19,
)
#: Right leg, left leg, spine to head, right arm, left arm.
CHAINS: tuple[tuple[int, ...], ...] = (
    (0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15), (9, 14, 17, 19, 21), (9, 13, 16, 18, 20),
)  # fmt: skip
FOOT_JOINTS: tuple[int, ...] = (7, 8, 10, 11)
#: Left/right joint swap used by mirroring.
MIRROR_JOINTS: tuple[int, ...] = (0, 2, 1, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12, 14, 13, 15, 17, 16, 19, 18, 21, 20)  # fmt: skip

#: Bone length from the parent (m), measured on real HumanML3D new_joints (equal to 4e-7 m there).
BONE_LENGTHS: np.ndarray = np.array(
    [0.0, 0.103074, 0.109883, 0.131568, 0.393623, 0.390188, 0.14319, 0.432433, 0.425643, 0.057365,
     0.143382, 0.149419, 0.21936, 0.137487, 0.143383, 0.103039, 0.131614, 0.122984, 0.25684,
     0.263092, 0.266012, 0.269876],
)  # fmt: skip

_REST_TABLE = np.array(
    [[0, .9574, 0], [.0577, .8726, -.0105], [-.0609, .8661, -.0049], [.005, 1.0791, -.0497],
     [.1005, .4814, -.0004], [-.1009, .4788, -.0314], [.0095, 1.2196, -.0224],
     [.0722, .0573, -.0796], [-.0567, .0584, -.0806], [.0075, 1.2768, -.0186],
     [.1088, .0015, .0474], [-.1037, 0, .0486], [.0045, 1.4954, -.0367], [.0843, 1.3906, -.0265],
     [-.0698, 1.3963, -.0357], [.0304, 1.5642, .0355], [.2138, 1.3744, -.0431],
     [-.1921, 1.3943, -.0486], [.2254, 1.1195, -.0728], [-.2247, 1.1374, -.0955],
     [.2431, .8677, .0109], [-.2863, .8875, -.0143]],
)  # fmt: skip

_PARENT_ARR = np.array(PARENTS[1:])


def _levels() -> list[tuple[np.ndarray, np.ndarray]]:
    depth = [0] * 22
    for j in range(1, 22):
        depth[j] = depth[PARENTS[j]] + 1
    return [
        (
            np.array([j for j in range(22) if depth[j] == d]),
            np.array([PARENTS[j] for j in range(22) if depth[j] == d]),
        )
        for d in range(1, max(depth) + 1)
    ]


_LEVELS = _levels()


def rot_y(psi: np.ndarray | float) -> np.ndarray:
    """Rotation matrices about +y, shape ``psi.shape + (3, 3)``."""
    psi = np.asarray(psi, dtype=np.float64)
    c, s = np.cos(psi), np.sin(psi)
    z, o = np.zeros_like(psi), np.ones_like(psi)
    return np.stack(
        [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2
    )


def bone_directions(p: np.ndarray) -> np.ndarray:
    """Unit direction of each bone (joint minus parent), shape (..., 22, 3); row 0 is zero."""
    d = np.zeros_like(p, dtype=np.float64)
    v = p[..., 1:, :] - p[..., _PARENT_ARR, :]
    d[..., 1:, :] = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    return d


def forward_kinematics(root: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Joint positions from root positions (..., 3) and bone directions (..., 22, 3).

    Bone lengths are the fixed HumanML3D ones whatever the norm of ``dirs`` (they are normalised).
    """
    norm = np.sqrt(np.einsum("...i,...i->...", dirs, dirs))[..., None]
    bones = dirs * (BONE_LENGTHS[:, None] / np.maximum(norm, 1e-12))
    p = np.empty(dirs.shape, dtype=np.float64)
    p[..., 0, :] = root
    for joints, parents in _LEVELS:  # one vectorised step per tree depth
        p[..., joints, :] = p[..., parents, :] + bones[..., joints, :]
    return p


def bone_error(p: np.ndarray) -> float:
    """Largest deviation of any bone length from the HumanML3D one (m)."""
    v = p[..., 1:, :] - p[..., _PARENT_ARR, :]
    return float(np.abs(np.sqrt(np.einsum("...i,...i->...", v, v)) - BONE_LENGTHS[1:]).max())


def _rest_pose() -> np.ndarray:
    p = forward_kinematics(_REST_TABLE[0], bone_directions(_REST_TABLE))
    p[:, 1] -= p[:, 1].min()
    return p


#: Canonical standing rest pose on the exact bone lengths (root xz 0, facing +z, floor 0).
REST_POSE: np.ndarray = _rest_pose()
#: Unit bone directions of the rest pose.
REST_DIRS: np.ndarray = bone_directions(REST_POSE)


def heading_angles(p: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    """Facing yaw per frame from hips and shoulders, Gaussian-smoothed and unwrapped, shape (T,)."""
    across = (p[:, 2] - p[:, 1]) + (p[:, 17] - p[:, 16])
    fwd_x, fwd_z = across[:, 2], -across[:, 0]
    psi = np.unwrap(np.arctan2(fwd_x, fwd_z))
    if sigma > 0 and len(psi) > 1:
        from scipy.ndimage import gaussian_filter1d

        psi = gaussian_filter1d(psi, sigma, mode="nearest")
    return psi


def mirror(p: np.ndarray) -> np.ndarray:
    """Left/right mirror image (x negated, joints swapped). HumanML3D's own mirrored clips use this;
    bone lengths then follow the other side's, so it is not used for the procedural library."""
    out = p[..., MIRROR_JOINTS, :].copy()
    out[..., 0] *= -1
    return out
