"""Bring your own motion: BVH files, SMPL / SMPL-H / SMPL-X parameters and joint arrays of other
skeletons, at any frame rate, to HumanML3D-layout joints (22 joints, 20 fps, y up, metres, floor
at 0, canonical start). :func:`import_motion` is the one entry point; bad input raises
:class:`MotionImportError` (one line naming the file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compmo_gen.motion_import.canonical import ImportOptions, ImportReport, to_humanml3d
from compmo_gen.motion_import.derive import take
from compmo_gen.motion_import.joint_sets import MotionImportError, array_mapping

__all__ = ["ImportOptions", "ImportReport", "MotionImportError", "SUFFIXES", "import_motion"]

SUFFIXES = (".bvh", ".npz", ".npy")
#: Keys of an ``.npz`` joint array and of its frame rate.
_JOINT_KEYS = ("joints", "positions", "keypoints_3d", "joints3d")
_FPS_KEYS = ("fps", "mocap_framerate", "mocap_frame_rate", "frame_rate")


def _read_array(path: Path, fps: float | None) -> tuple[np.ndarray, float | None]:
    from compmo_gen.motion_import.arrays import Npz, frame_rate, load_npy

    if path.suffix.lower() == ".npy":
        return load_npy(path), fps
    with Npz(path) as z:
        key = next((k for k in _JOINT_KEYS if k in z), None)
        if key is None:
            raise MotionImportError(
                f"{path}: no joints ({'/'.join(_JOINT_KEYS)}) and no SMPL parameters (poses, "
                f"body_pose) in the .npz (fields: {', '.join(f[:40] for f in z.files[:10])})"
            )
        rate = None
        for k in (k for k in _FPS_KEYS if k in z):
            rate = frame_rate(path, k, z[k])
            break
        return z[key], fps if fps is not None else rate


def import_motion(
    path: str | Path,
    opts: ImportOptions | None = None,
    *,
    smpl_dir: Path | None = None,
    gender: str = "auto",
) -> tuple[np.ndarray, ImportReport]:
    """HumanML3D joints (T, 22, 3) float32 at 20 fps and what was detected, from any supported file."""
    from compmo_gen.motion_import.smpl_params import is_smpl_params, smpl_joints

    opts = opts or ImportOptions()
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise MotionImportError(f"{path}: no such file")
    if not path.is_file():  # a FIFO would block the reader
        raise MotionImportError(f"{path}: not a regular file (a folder, FIFO or device?)")
    if suffix not in SUFFIXES:
        raise MotionImportError(f"{path}: unknown motion file type (use {', '.join(SUFFIXES)})")
    if suffix == ".bvh":
        from compmo_gen.motion_import.bvh import read_bvh

        joints, fps, skeleton, missing = read_bvh(path, skeleton=opts.skeleton, joint_map=opts.joint_map, fps=opts.fps)  # fmt: skip
        fmt = "bvh"
    elif suffix == ".npz" and is_smpl_params(path):
        joints, fps, skeleton = smpl_joints(path, smpl_dir, gender=gender, fps=opts.fps)
        fmt, missing = f"{skeleton} parameters", ()
    else:
        arr, fps = _read_array(path, opts.fps)
        if arr.ndim >= 1 and arr.shape[0] == 0:
            raise MotionImportError(f"{path}: zero frames (array of shape {arr.shape})")
        if arr.ndim == 2 and arr.shape[1] % 3 == 0 and arr.shape[1] > 0:
            arr = arr.reshape(len(arr), -1, 3)  # (T, J*3) flattened
        if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[1] == 0:
            raise MotionImportError(f"{path}: expected a (T, J, 3) joint array, got {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise MotionImportError(f"{path}: joint array of dtype {arr.dtype}, not real numbers")
        skeleton, picks = array_mapping(arr.shape[1], opts.skeleton, opts.joint_map, str(path))
        if fps is None:
            raise MotionImportError(f"{path}: a joint array has no frame rate; pass --fps")
        joints, missing = take(arr, picks)
        fmt = "joint array"
    return to_humanml3d(joints, fps, source=str(path), fmt=fmt, skeleton=skeleton, opts=opts, missing=missing)  # fmt: skip
