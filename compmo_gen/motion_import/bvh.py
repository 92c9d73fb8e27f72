"""BVH files through `pybvh <https://pypi.org/project/pybvh/>`_ (parsing and forward kinematics;
the choice is explained in the README's "Bring your own motion" section)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from compmo_gen.core.errors import PrerequisiteError
from compmo_gen.motion_import.canonical import check_fps
from compmo_gen.motion_import.derive import take
from compmo_gen.motion_import.joint_sets import MotionImportError, bvh_mapping

log = logging.getLogger(__name__)

#: Exceptions a malformed file makes the parser raise (it has no error type of its own).
_PARSE_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError, UnicodeDecodeError, OSError)  # fmt: skip


def _pybvh():  # noqa: ANN202 - module
    try:
        import pybvh
    except ImportError:
        raise PrerequisiteError(
            "reading BVH files needs pybvh: pip install 'compmo[motion]' (or pip install pybvh)"
        ) from None
    return pybvh


def _check_text(path: Path) -> None:
    import re

    from compmo_gen.core.io import read_bytes

    data = read_bytes(path)  # not a regular file (a FIFO would block): one line
    head = data[:4096].decode("utf-8", errors="replace")
    m = re.search(rb"\n\s*Frame\s+Time:\s*(\S*)", data)
    if m is not None:
        try:
            frame_time = float(m[1])
        except ValueError:
            frame_time = float("nan")
        if not (np.isfinite(frame_time) and frame_time > 0):  # the parser would crash on it
            raise MotionImportError(
                f"{path}: 'Frame Time' {m[1][:40].decode(errors='replace')!r} is not a positive "
                "number; fix the file (--fps cannot replace it)"
            )
    words = head.split()
    if not words or words[0].upper() != "HIERARCHY":
        raise MotionImportError(f"{path}: not a BVH file (does not start with HIERARCHY)")
    if "ROOT" not in (w.upper() for w in words[1:3]):
        raise MotionImportError(f"{path}: BVH without a ROOT joint after HIERARCHY")


def read_bvh(
    path: Path, *, skeleton: str = "auto", joint_map: dict | None = None, fps: float | None = None
) -> tuple[np.ndarray, float, str, tuple[int, ...]]:
    """(the 22 mapped joints (T, 22, 3) in the file's units and axes, NaN where the skeleton lacks
    one, frame rate, skeleton, the lacking joints: derived later)."""
    _check_text(path)
    pybvh = _pybvh()
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # its world-up guess: compmo detects and reports its own
            bvh = pybvh.read_bvh_file(path)
        names = list(bvh.joint_names)
        positions = np.asarray(bvh.joint_positions(), dtype=np.float64)
        frame_time = float(bvh.frame_time)
    except _PARSE_ERRORS as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MotionImportError(f"{path}: unreadable BVH ({msg})") from None
    if positions.ndim != 3 or positions.shape[0] == 0:
        raise MotionImportError(f"{path}: zero frames")
    name, picks = bvh_mapping(names, skeleton, joint_map, str(path))
    if fps is None:
        if not (np.isfinite(frame_time) and frame_time > 0):
            raise MotionImportError(
                f"{path}: 'Frame Time' {frame_time!r} is not a positive number; pass --fps"
            )
        fps = check_fps(1.0 / frame_time, str(path), f"'Frame Time' {frame_time!r} s, a rate of")
    log.debug("%s: %d joints, skeleton %s", path, len(names), name)
    joints, missing = take(positions, picks)
    return joints, float(fps), name, missing
