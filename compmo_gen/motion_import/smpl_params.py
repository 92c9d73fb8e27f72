"""SMPL / SMPL-H / SMPL-X parameter files (``.npz``) to their first 22 joints, with the user's
body models (``--smpl-dir``, as ``compmo-gen smpl2joints``; nothing is downloaded).

Two layouts are read: AMASS's (``poses`` (T, 72 | 156 | 165), ``trans``, ``betas``,
``mocap_framerate`` or ``mocap_frame_rate``, ``gender``, ``surface_model_type``) and the split
one of SMPL-X fitting and video-based estimators (``global_orient`` (T, 3), ``body_pose``
(T, >= 63), ``transl`` or ``trans``, ``betas``, ``fps`` or ``--fps``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.motion_import.joint_sets import MotionImportError

#: Body-model family -> (joints of its kintree, file patterns under --smpl-dir).
FAMILIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "smpl": (24, ("SMPL_{G}.npz", "smpl/SMPL_{G}.npz", "smpl/{g}/model.npz")),
    "smplh": (52, ("smplh/{g}/model.npz", "{g}/model.npz", "SMPLH_{G}.npz", "smplh/SMPLH_{G}.npz")),
    "smplx": (55, ("SMPLX_{G}.npz", "smplx/SMPLX_{G}.npz", "smplx/{g}/model.npz")),
}
_POSE_WIDTH = {72: "smpl", 156: "smplh", 165: "smplx"}


def is_smpl_params(path: Path) -> bool:
    """Whether an ``.npz`` holds body-model parameters (rather than joint positions)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return "poses" in z.files or "body_pose" in z.files
    except (OSError, ValueError):
        return False


def _get(z: np.lib.npyio.NpzFile, names: tuple[str, ...]) -> np.ndarray | None:
    return next((np.asarray(z[n]) for n in names if n in z.files), None)


def read_params(path: Path, fps: float | None = None) -> dict:
    """``{poses (T, 66), trans (T, 3), betas (B,), fps, family, gender}`` from either layout."""
    try:
        with np.load(path, allow_pickle=False) as z:
            poses = _get(z, ("poses",))
            if poses is None:
                go, bp = (
                    _get(z, ("global_orient", "root_orient")),
                    _get(z, ("body_pose", "pose_body")),
                )
                if go is None or bp is None:
                    raise MotionImportError(f"{path}: field 'poses' (or 'global_orient' + 'body_pose'): missing")  # fmt: skip
                go, bp = go.reshape(len(go), -1), bp.reshape(len(bp), -1)
                if len(go) != len(bp) or go.shape[1] != 3 or bp.shape[1] < 3 * (NUM_JOINTS - 1):
                    raise MotionImportError(f"{path}: field 'body_pose': expected (T, >= 63) with global_orient (T, 3), got {bp.shape}, {go.shape}")  # fmt: skip
                family = {63: "smplx", 69: "smpl"}.get(bp.shape[1], "smplh")
                poses = np.concatenate([go, bp], 1)
            else:
                poses = poses.reshape(len(poses), -1) if poses.ndim >= 2 else poses
                family = _POSE_WIDTH.get(poses.shape[1] if poses.ndim == 2 else 0, "smplh")
            declared = _get(z, ("surface_model_type", "model_type"))
            if declared is not None:
                family = str(declared.astype(str)).strip().lower().replace("-", "").replace("+", "")
                family = {"smplh": "smplh", "smplx": "smplx", "smpl": "smpl"}.get(family, family)
            trans = _get(z, ("trans", "transl"))
            betas = _get(z, ("betas",))
            rate = _get(z, ("mocap_framerate", "mocap_frame_rate", "fps", "frame_rate"))
            gender = _get(z, ("gender",))
    except MotionImportError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise MotionImportError(f"{path}: unreadable ({str(exc).splitlines()[0]})") from None
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 2 or poses.shape[1] < 3 * NUM_JOINTS:
        raise MotionImportError(f"{path}: field 'poses': expected (T, >= {3 * NUM_JOINTS}), got {poses.shape}")  # fmt: skip
    if len(poses) == 0:
        raise MotionImportError(f"{path}: zero frames")
    t = len(poses)
    trans = np.zeros((t, 3)) if trans is None else np.asarray(trans, dtype=np.float64).reshape(-1, 3) if np.size(trans) == 3 * t else None  # fmt: skip
    if trans is None:
        raise MotionImportError(f"{path}: field 'trans': expected ({t}, 3)")
    betas = np.zeros(10) if betas is None else np.asarray(betas, dtype=np.float64)
    betas = betas[0] if betas.ndim == 2 else betas.reshape(-1)  # per-frame betas: the first
    for name, arr in (("poses", poses), ("trans", trans), ("betas", betas)):
        bad = ~np.isfinite(arr.reshape(len(arr), -1) if arr.ndim > 1 else arr[None])
        if bad.any():
            row = int(np.argmax(bad.any(axis=1))) if arr.ndim > 1 else 0
            raise MotionImportError(f"{path}: field {name!r}: NaN or inf (frame {row})")
    if family not in FAMILIES:
        raise MotionImportError(f"{path}: field 'surface_model_type': unknown body model {family!r}")  # fmt: skip
    if fps is None:
        if rate is None:
            raise MotionImportError(
                f"{path}: no frame rate field (mocap_framerate, fps); pass --fps"
            )
        fps = float(rate)
    g = None if gender is None else str(np.asarray(gender).astype(str)).strip().lower()
    return {"poses": poses[:, : 3 * NUM_JOINTS], "trans": trans, "betas": betas, "fps": float(fps), "family": family, "gender": g}  # fmt: skip


def find_family_model(smpl_dir: Path | None, family: str, gender: str, file: str) -> Path:
    """The body model of ``family`` and ``gender`` (neutral as a fallback) under ``smpl_dir``."""
    pats = FAMILIES[family][1]
    if smpl_dir is None:
        raise MotionImportError(
            f"{file}: {family.upper()} parameters need a body model: pass --smpl-dir with "
            f"{pats[0].format(g=gender, G=gender.upper())} (nothing is downloaded)"
        )
    for g in dict.fromkeys((gender, "neutral")):
        for pat in pats:
            p = smpl_dir / pat.format(g=g, G=g.upper())
            if p.is_file():
                return p
    raise MotionImportError(
        f"{file}: wrong or missing body model: {family.upper()} parameters need "
        f"{pats[0].format(g=gender, G=gender.upper())} under {smpl_dir} (.npz, no pickles)"
    )


def smpl_joints(
    path: Path, smpl_dir: Path | None, *, gender: str = "auto", fps: float | None = None
) -> tuple[np.ndarray, float, str]:
    """(first 22 joints (T, 22, 3) in the file's world frame, frame rate, family) of a params file."""
    from compmo_gen import smpl

    prm = read_params(path, fps)
    g = prm["gender"] if gender == "auto" else gender
    g = g if g in smpl.GENDERS else "neutral"
    model_path = find_family_model(smpl_dir, prm["family"], g, str(path))
    try:
        model = smpl.load_body_model(model_path)
    except smpl.SmplError as exc:
        raise MotionImportError(str(exc)) from None
    want = FAMILIES[prm["family"]][0]
    if model.j_regressor.shape[0] != want:
        raise MotionImportError(
            f"{path}: wrong body model: {prm['family'].upper()} parameters, but {model_path} has "
            f"{model.j_regressor.shape[0]} joints (an {prm['family'].upper()} model has {want})"
        )
    joints = smpl.body_joints(model, prm["poses"], prm["trans"], prm["betas"][: smpl.DEFAULT_BETAS])
    return joints, prm["fps"], prm["family"]
