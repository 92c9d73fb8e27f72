"""SMPL / SMPL-H parameters (AMASS-style ``.npz``) to HumanML3D-convention joints.

Pipeline (HumanML3D's ``raw_pose_processing`` + ``motion_representation``, in numpy):

1. body-model joints with smplx's own kinematics (``vertices2joints`` on the shaped template, then
   ``batch_rigid_transform``): only the first 22 joints, so no skinning of 6,890 vertices;
2. resampling to 20 fps (linear in time; an integer frame-rate ratio picks every k-th frame exactly
   as HumanML3D does);
3. AMASS z-up to HumanML3D y-up: ``(x, y, z) -> (-x, z, y)`` (HumanML3D's axis swap and x flip);
4. retarget onto the HumanML3D bone lengths (bone directions kept, root scaled by the leg-length
   ratio, as HumanML3D's ``uniform_skeleton``);
5. floor at y = 0, root xz at the origin at frame 0, facing +z at frame 0 (hips and shoulders).

Body-model files are read with ``np.load(allow_pickle=False)``: the ``.npz`` models (AMASS's
"Extended SMPL+H", or SMPL/SMPL-X ``.npz``); ``.pkl`` models (pickles) are refused. Nothing is
downloaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compmo_gen.composition.skeleton import (
    BONE_LENGTHS,
    PARENTS,
    bone_directions,
    forward_kinematics,
    heading_angles,
    rot_y,
)
from compmo_gen.core.constants import FPS, NUM_JOINTS
from compmo_gen.core.io import require_regular

log = logging.getLogger(__name__)

GENDERS = ("neutral", "male", "female")
#: Where a body model of gender ``g`` is looked for under ``--smpl-dir`` (first match wins).
MODEL_PATTERNS = (
    "smplh/{g}/model.npz",
    "{g}/model.npz",
    "SMPLH_{G}.npz",
    "smplh/SMPLH_{G}.npz",
    "SMPL_{G}.npz",
    "smpl/SMPL_{G}.npz",
    "SMPLX_{G}.npz",
    "smplx/SMPLX_{G}.npz",
)
MODEL_KEYS = ("v_template", "shapedirs", "J_regressor", "kintree_table")
#: HumanML3D's choice: the first 10 shape coefficients.
DEFAULT_BETAS = 10
#: Legs used for the root scale of the retargeting (right knee and ankle bones, as HumanML3D).
_LEG_BONES = (5, 8)


class SmplError(ValueError):
    """Bad motion or model file; the message names the file and the field."""


class NotAMotion(SmplError):
    """An npz without motion (AMASS ships ``shape.npz`` beside the motions): counted, not an error."""


@dataclass(frozen=True)
class BodyModel:
    """The parts of an SMPL-family model that the first 22 joints depend on."""

    path: Path
    v_template: np.ndarray  # (V, 3)
    shapedirs: np.ndarray  # (V, 3, B)
    j_regressor: np.ndarray  # (J, V)
    parents: np.ndarray  # (J,)


def model_candidates(smpl_dir: Path, gender: str) -> list[Path]:
    return [smpl_dir / p.format(g=gender, G=gender.upper()) for p in MODEL_PATTERNS]


def find_model(smpl_dir: Path, gender: str) -> Path | None:
    return next((p for p in model_candidates(smpl_dir, gender) if p.is_file()), None)


def missing_model_message(smpl_dir: Path | None, genders: list[str]) -> str:
    where = "no --smpl-dir given" if smpl_dir is None else f"{smpl_dir}: no body model"
    need = ", ".join(f"smplh/{g}/model.npz" for g in genders)
    return (
        f"{where} for gender {'/'.join(genders)}; put {need} (the 'Extended SMPL+H model' .npz files "
        f"from https://mano.is.tue.mpg.de that AMASS and HumanML3D use; SMPLH_<GENDER>.npz also "
        f"works) in a folder and pass it as --smpl-dir (nothing is downloaded)"
    )


def load_body_model(path: Path) -> BodyModel:
    """Read an ``.npz`` body model without pickles; SmplError naming the missing/bad field."""
    try:
        require_regular(path)
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in MODEL_KEYS if k not in z.files]
            if missing:
                raise SmplError(
                    f"{path}: field {missing[0]!r}: missing (not an SMPL-family .npz model)"
                )
            arrays = {k: np.asarray(z[k], dtype=np.float64) for k in MODEL_KEYS}
    except (OSError, ValueError) as exc:
        if isinstance(exc, SmplError):
            raise
        raise SmplError(f"{path}: cannot read body model ({exc})") from None
    v, s, j, k = (arrays[n] for n in MODEL_KEYS)
    n_v = v.shape[0]
    if v.shape != (n_v, 3) or s.ndim != 3 or s.shape[:2] != (n_v, 3) or j.shape[1:] != (n_v,):
        raise SmplError(
            f"{path}: field 'shapedirs'/'J_regressor': shapes do not match v_template {v.shape}"
        )
    parents = k[0].astype(np.int64)
    parents[0] = -1
    if (
        j.shape[0] < NUM_JOINTS
        or k.shape[1] != j.shape[0]
        or (parents[1:NUM_JOINTS] >= np.arange(1, NUM_JOINTS)).any()
    ):
        raise SmplError(
            f"{path}: field 'kintree_table': not an SMPL-family tree of >= {NUM_JOINTS} joints"
        )
    return BodyModel(path, v, s, j, parents)


def body_joints(
    model: BodyModel, poses: np.ndarray, trans: np.ndarray, betas: np.ndarray
) -> np.ndarray:
    """First 22 joints (T, 22, 3) in the model's world frame, with smplx's kinematics."""
    import torch
    from smplx.lbs import batch_rigid_transform, batch_rodrigues, vertices2joints

    nb = min(len(betas), model.shapedirs.shape[-1])
    shaped = model.v_template + model.shapedirs[..., :nb] @ betas[:nb]
    j_reg = torch.from_numpy(model.j_regressor[:NUM_JOINTS])
    rest = vertices2joints(j_reg, torch.from_numpy(shaped)[None])[0]  # (22, 3)
    t = len(poses)
    rot = batch_rodrigues(torch.from_numpy(poses[:, : 3 * NUM_JOINTS].reshape(-1, 3))).reshape(
        t, NUM_JOINTS, 3, 3
    )
    parents = torch.from_numpy(model.parents[:NUM_JOINTS])
    with torch.no_grad():
        posed, _ = batch_rigid_transform(rot, rest[None].expand(t, -1, -1).contiguous(), parents)
    return posed.numpy() + trans[:, None, :]


def resample(x: np.ndarray, src_fps: float, dst_fps: float = FPS) -> np.ndarray:
    """Linear resampling in time along axis 0 (exact frame picks when the ratio is an integer)."""
    ratio = src_fps / dst_fps
    if abs(ratio - round(ratio)) < 1e-6 and round(ratio) >= 1:
        return x[:: round(ratio)]
    n = int(np.floor((len(x) - 1) / ratio + 1e-9)) + 1
    pos = np.arange(n) * ratio
    i0 = np.minimum(np.floor(pos).astype(int), len(x) - 1)
    i1 = np.minimum(i0 + 1, len(x) - 1)
    w = (pos - i0).reshape(-1, *([1] * (x.ndim - 1)))
    return (1 - w) * x[i0] + w * x[i1]


def z_up_to_y_up(p: np.ndarray) -> np.ndarray:
    """AMASS world (z up) to HumanML3D (y up): ``(x, y, z) -> (-x, z, y)`` (a proper rotation)."""
    return np.stack([-p[..., 0], p[..., 2], p[..., 1]], -1)


def canonicalize(p: np.ndarray, retarget: bool = True) -> np.ndarray:
    """Retarget (optional), floor 0, root xz 0 and facing +z at frame 0, as HumanML3D."""
    p = np.asarray(p, dtype=np.float64)
    if retarget:
        src_leg = sum(np.linalg.norm(p[0, j] - p[0, PARENTS[j]]) for j in _LEG_BONES)
        scale = BONE_LENGTHS[list(_LEG_BONES)].sum() / max(float(src_leg), 1e-9)
        p = forward_kinematics(p[:, 0] * scale, bone_directions(p))
    p = p.copy()
    p[..., 1] -= p[..., 1].min()
    p -= p[0, 0] * np.array([1.0, 0.0, 1.0])
    psi = float(heading_angles(p[:1], sigma=0)[0])
    return p @ rot_y(-psi).T


def _field(z: np.lib.npyio.NpzFile, names: tuple[str, ...], path: Path) -> np.ndarray:
    for n in names:
        if n in z.files:
            return np.asarray(z[n])
    raise SmplError(f"{path}: field {names[0]!r}: missing")


def read_gender(path: Path) -> str | None:
    """The file's ``gender`` field (neutral/male/female) or None when absent or unreadable."""
    try:
        require_regular(path)
        with np.load(path, allow_pickle=False) as z:
            if "gender" not in z.files:
                return None
            g = str(np.asarray(z["gender"]).astype(str)).strip().lower()
    except (OSError, ValueError, TypeError):
        return None
    return g if g in GENDERS else None


def read_amass(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(poses (T, >=66), trans (T, 3), betas (B,), frame rate) from an AMASS-style npz.

    Raises :class:`NotAMotion` for an npz without ``poses`` (AMASS's ``shape.npz``)."""
    try:
        require_regular(path)
        with np.load(path, allow_pickle=False) as z:
            if "poses" not in z.files:
                raise NotAMotion(f"{path}: field 'poses': missing (not a motion file)")
            poses = _field(z, ("poses",), path).astype(np.float64)
            trans = _field(z, ("trans",), path).astype(np.float64)
            betas = _field(z, ("betas",), path).astype(np.float64).reshape(-1)
            fps = float(_field(z, ("mocap_framerate", "mocap_frame_rate"), path))
    except SmplError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise SmplError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    if poses.ndim != 2 or poses.shape[1] < 3 * NUM_JOINTS or len(poses) == 0:
        raise SmplError(
            f"{path}: field 'poses': expected (T>0, >= {3 * NUM_JOINTS}), got {poses.shape}"
        )
    if trans.shape != (len(poses), 3):
        raise SmplError(f"{path}: field 'trans': expected ({len(poses)}, 3), got {trans.shape}")
    for name, arr in (("poses", poses), ("trans", trans), ("betas", betas)):
        if not np.isfinite(arr).all():
            raise SmplError(f"{path}: field {name!r}: NaN or inf")
    if not 1 <= fps <= 1000:
        raise SmplError(f"{path}: field 'mocap_framerate': {fps} is not a frame rate")
    return poses, trans, betas, fps


def amass_to_humanml3d(
    model: BodyModel,
    poses: np.ndarray,
    trans: np.ndarray,
    betas: np.ndarray,
    fps: float,
    *,
    num_betas: int = DEFAULT_BETAS,
    retarget: bool = True,
) -> np.ndarray:
    """HumanML3D-convention joints (T', 22, 3) float32 at 20 fps from SMPL-family parameters."""
    keep = resample(np.arange(len(poses), dtype=np.float64), fps) if fps != FPS else None
    if keep is not None and np.allclose(keep, np.round(keep)):
        idx = np.round(keep).astype(int)  # integer ratio: only the kept frames are posed
        joints = body_joints(model, poses[idx], trans[idx], betas[:num_betas])
    else:
        joints = body_joints(model, poses, trans, betas[:num_betas])
        joints = resample(joints, fps) if keep is not None else joints
    return canonicalize(z_up_to_y_up(joints), retarget=retarget).astype(np.float32)
