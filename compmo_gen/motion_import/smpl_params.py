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
from compmo_gen.motion_import.arrays import Npz, frame_rate
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
        with Npz(path) as z:
            return "poses" in z or "body_pose" in z
    except MotionImportError:  # the joint-array reader says what is wrong with it
        return False


def _get(z: Npz, names: tuple[str, ...]) -> np.ndarray | None:
    return next((z[n] for n in names if n in z), None)


def _read_fields(path: Path) -> dict[str, np.ndarray | None]:
    """The raw arrays of either layout (None when absent), without pickles."""
    names = {
        "poses": ("poses",),
        "global_orient": ("global_orient", "root_orient"),
        "body_pose": ("body_pose", "pose_body"),
        "declared": ("surface_model_type", "model_type"),
        "trans": ("trans", "transl"),
        "betas": ("betas",),
        "rate": ("mocap_framerate", "mocap_frame_rate", "fps", "frame_rate"),
        "gender": ("gender",),
    }
    with Npz(path) as z:
        return {key: _get(z, alts) for key, alts in names.items()}


def _numbers(path: Path, name: str, arr: np.ndarray) -> np.ndarray:
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise MotionImportError(f"{path}: field {name!r}: {arr.dtype} values, expected numbers")
    return np.asarray(arr, dtype=np.float64)


def _poses_and_family(path: Path, f: dict) -> tuple[np.ndarray, str]:
    for name in ("poses", "global_orient", "body_pose"):
        if f[name] is not None:
            f[name] = _numbers(path, name, f[name])
            if f[name].ndim == 0 or f[name].size == 0:
                raise MotionImportError(f"{path}: field {name!r}: no frames (shape {f[name].shape})")  # fmt: skip
    if f["poses"] is not None:
        poses = np.asarray(f["poses"], dtype=np.float64)
        poses = poses.reshape(len(poses), -1) if poses.ndim >= 2 else poses
        family = _POSE_WIDTH.get(poses.shape[1] if poses.ndim == 2 else 0, "smplh")
    elif f["global_orient"] is not None and f["body_pose"] is not None:
        go = np.asarray(f["global_orient"], dtype=np.float64).reshape(len(f["global_orient"]), -1)
        bp = np.asarray(f["body_pose"], dtype=np.float64).reshape(len(f["body_pose"]), -1)
        if len(go) != len(bp) or go.shape[1] != 3 or bp.shape[1] < 3 * (NUM_JOINTS - 1):
            raise MotionImportError(
                f"{path}: field 'body_pose': expected (T, >= 63) beside global_orient (T, 3), "
                f"got {bp.shape} and {go.shape}"
            )
        family = {63: "smplx", 69: "smpl"}.get(bp.shape[1], "smplh")
        poses = np.concatenate([go, bp], 1)
    else:
        raise MotionImportError(f"{path}: field 'poses' (or 'global_orient' + 'body_pose'): missing")  # fmt: skip
    if f["declared"] is not None:
        family = "".join(c for c in str(f["declared"].astype(str)).lower() if c.isalnum())
    if poses.ndim != 2 or poses.shape[1] < 3 * NUM_JOINTS:
        raise MotionImportError(f"{path}: field 'poses': expected (T, >= {3 * NUM_JOINTS}), got {poses.shape}")  # fmt: skip
    if len(poses) == 0:
        raise MotionImportError(f"{path}: zero frames")
    if family not in FAMILIES:
        raise MotionImportError(f"{path}: field 'surface_model_type': unknown body model {family!r}")  # fmt: skip
    return poses, family


def read_params(path: Path, fps: float | None = None) -> dict:
    """``{poses (T, 66), trans (T, 3), betas (B,), fps, family, gender}`` from either layout."""
    f = _read_fields(path)
    poses, family = _poses_and_family(path, f)
    t = len(poses)
    trans = np.zeros((t, 3)) if f["trans"] is None else _numbers(path, "trans", f["trans"])
    if trans.size != 3 * t:
        raise MotionImportError(f"{path}: field 'trans': expected ({t}, 3), got {trans.shape}")
    trans = trans.reshape(t, 3)
    betas = np.zeros(10) if f["betas"] is None else _numbers(path, "betas", f["betas"])
    betas = (
        betas[0] if betas.ndim == 2 and len(betas) else betas.reshape(-1)
    )  # per-frame: the first
    if betas.size == 0:
        raise MotionImportError(f"{path}: field 'betas': empty (drop the field for the mean body shape)")  # fmt: skip
    for name, arr in (("poses", poses), ("trans", trans), ("betas", betas[None])):
        bad = ~np.isfinite(arr).all(axis=1)
        if bad.any():
            raise MotionImportError(f"{path}: field {name!r}: NaN or inf (frame {int(np.argmax(bad))})")  # fmt: skip
    if fps is None:
        fps = None if f["rate"] is None else frame_rate(path, "mocap_framerate", f["rate"])
        if fps is None:
            raise MotionImportError(f"{path}: no frame rate field (mocap_framerate, fps); pass --fps")  # fmt: skip
    g = None if f["gender"] is None else str(np.asarray(f["gender"]).astype(str)).strip().lower()
    return {"poses": poses[:, : 3 * NUM_JOINTS], "trans": trans, "betas": betas, "fps": fps, "family": family, "gender": g}  # fmt: skip


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
    from compmo_gen.sources import smpl

    try:
        prm = read_params(path, fps)
    except MotionImportError:
        raise
    except (ValueError, TypeError) as exc:  # e.g. text where numbers belong
        raise MotionImportError(f"{path}: unusable parameters ({str(exc).splitlines()[0]})") from None  # fmt: skip
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
