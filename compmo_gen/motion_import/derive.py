"""Joints a source skeleton lacks, derived from their neighbours (any humanoid imports without a
hand-written map; every derived joint is named in the import report):

* spine1/spine2/spine3/neck: on the pelvis-to-head line through the spine joints the source has,
  spaced by HumanML3D's bone lengths (a skeleton without ``lowerback``, ``spine1`` or ``neck1``);
* collars: between spine3 and the shoulder, at HumanML3D's collar-to-shoulder proportion;
* toes: the ankle plus HumanML3D's rest ankle-to-toe offset turned to the body's heading (from the
  hips), once the motion is in metres with y up (the foot stays flat: toes carry no pitch).
"""

from __future__ import annotations

import numpy as np

from compmo_gen.composition.skeleton import BONE_LENGTHS, JOINT_NAMES, REST_POSE

_SPINE = (0, 3, 6, 9, 12, 15)  # pelvis ... head
_COLLARS = ((13, 16), (14, 17))  # collar, its shoulder (parent spine3)
_TOES = ((10, 7), (11, 8))  # toe, its ankle
TOES = frozenset(t for t, _ in _TOES)


def take(arr: np.ndarray, picks: list[int | None]) -> tuple[np.ndarray, tuple[int, ...]]:
    """(T, 22, 3) joints from the source columns ``picks`` (NaN where None), and the missing ones."""
    missing = tuple(k for k, p in enumerate(picks) if p is None)
    out = np.full((arr.shape[0], len(picks), 3), np.nan, dtype=np.float64)
    have = [k for k, p in enumerate(picks) if p is not None]
    out[:, have] = arr[:, [picks[k] for k in have]]
    return out, missing


def names(missing: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(JOINT_NAMES[k] for k in missing)


def derive_inner(j: np.ndarray, missing: tuple[int, ...]) -> np.ndarray:
    """Fill the missing spine, neck and collar joints of ``j`` (any units and axes)."""
    if not set(missing) - TOES:
        return j
    j = j.copy()
    along = np.cumsum([0.0] + [float(BONE_LENGTHS[k]) for k in _SPINE[1:]])  # distance from pelvis
    present = [i for i, k in enumerate(_SPINE) if k not in missing]
    for i, k in enumerate(_SPINE):
        if k not in missing:
            continue
        a = max(p for p in present if p < i)  # pelvis and head are always present
        b = min(p for p in present if p > i)
        t = (along[i] - along[a]) / (along[b] - along[a])
        j[:, k] = (1 - t) * j[:, _SPINE[a]] + t * j[:, _SPINE[b]]
    for collar, shoulder in _COLLARS:
        if collar in missing:
            t = float(BONE_LENGTHS[collar] / (BONE_LENGTHS[collar] + BONE_LENGTHS[shoulder]))
            j[:, collar] = (1 - t) * j[:, 9] + t * j[:, shoulder]
    return j


def derive_toes(p: np.ndarray, missing: tuple[int, ...]) -> np.ndarray:
    """Fill the missing toes of ``p`` (metres, y up): each ankle plus the rest ankle-to-toe
    offset turned about y to the heading the hips give (left-to-right across, y up)."""
    todo = [(t, a) for t, a in _TOES if t in missing]
    if not todo:
        return p
    p = p.copy()
    across = p[:, 1, [0, 2]] - p[:, 2, [0, 2]]  # right hip -> left hip, horizontal (x, z)
    fwd = np.stack([-across[:, 1], across[:, 0]], -1)
    norm = np.linalg.norm(fwd, axis=-1, keepdims=True)
    fwd = np.where(norm > 1e-9, fwd / np.maximum(norm, 1e-12), np.array([0.0, 1.0]))
    fx, fz = fwd[:, 0:1], fwd[:, 1:2]
    for toe, ankle in todo:
        off = REST_POSE[toe] - REST_POSE[ankle]  # facing +z at rest
        p[:, toe, 0] = p[:, ankle, 0] + (off[0] * fz + off[2] * fx)[:, 0]
        p[:, toe, 1] = p[:, ankle, 1] + off[1]
        p[:, toe, 2] = p[:, ankle, 2] + (-off[0] * fx + off[2] * fz)[:, 0]
    return p
