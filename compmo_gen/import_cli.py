"""`compmo-gen import-motion FILE... --out DIR`: BVH files, SMPL / SMPL-H / SMPL-X parameter files
and joint arrays of other skeletons, at any frame rate, into a HumanML3D-layout folder
(``new_joints/<id>.npy`` at 20 fps, ``all.txt``, ``index.csv``, ``import_report.json``).

Every file is converted in memory first: one bad file stops the command with one line (exit 2)
and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path

import numpy as np

from compmo_gen.core.errors import UserError

log = logging.getLogger(__name__)


def add_import_args(parser: argparse.ArgumentParser) -> None:
    """The import options (shared with ``compmo-infer --motion``)."""
    from compmo_gen.motion_import.canonical import UNITS, UP_AXES
    from compmo_gen.motion_import.joint_sets import SKELETONS

    g = parser.add_argument_group("motion import")
    g.add_argument("--skeleton", choices=SKELETONS, default="auto", help="source skeleton (default: detected from BVH joint names or the array's joint count)")  # fmt: skip
    g.add_argument("--joint-map", type=Path, help="JSON {HumanML3D joint name: BVH joint name or array index} for all 22 joints")  # fmt: skip
    g.add_argument("--fps", type=float, help="source frame rate (needed for .npy arrays; overrides the file's)")  # fmt: skip
    g.add_argument("--up", choices=("auto", *UP_AXES), default="auto", help="source up axis (default: detected from the body)")  # fmt: skip
    g.add_argument("--units", choices=("auto", *UNITS), default="auto", help="source length unit (default: detected from the leg length)")  # fmt: skip
    g.add_argument("--smpl-dir", type=Path, help="body models for SMPL-family parameter files (SMPL_<G>.npz, smplh/<g>/model.npz, SMPLX_<G>.npz)")  # fmt: skip
    g.add_argument("--gender", choices=("auto", "neutral", "male", "female"), default="auto", help="body model gender (auto: the file's own, else neutral)")  # fmt: skip
    g.add_argument("--no-retarget", action="store_true", help="keep the source bone lengths (default: HumanML3D's)")  # fmt: skip


def import_files(args: argparse.Namespace, files: list[Path]) -> list[tuple[str, np.ndarray, dict]]:
    """(id, joints, report) per file, in order; ids are file stems made unique."""
    from tqdm import tqdm

    from compmo_gen.motion_import import ImportOptions, import_motion
    from compmo_gen.motion_import.joint_sets import read_joint_map

    if args.fps is not None and not 0 < args.fps <= 1000:
        raise UserError(f"--fps {args.fps}: use a frame rate in (0, 1000]")
    opts = ImportOptions(
        skeleton=args.skeleton,
        joint_map=read_joint_map(args.joint_map) if args.joint_map else None,
        fps=args.fps,
        up=args.up,
        units=args.units,
        retarget=not args.no_retarget,
    )
    out, seen = [], set()
    for f in tqdm(files, desc="import", unit="file", disable=args.quiet or len(files) < 3):
        joints, report = import_motion(f, opts, smpl_dir=args.smpl_dir, gender=args.gender)
        base = re.sub(r"[^A-Za-z0-9_-]", "_", f.stem)[:60] or "motion"
        vid, k = base, 1
        while vid in seen:
            k += 1
            vid = f"{base}_{k}"
        seen.add(vid)
        log.info("%s", report.line())
        out.append((vid, joints, report.as_dict()))
    return out


def write_folder(out: Path, items: list[tuple[str, np.ndarray, dict]]) -> None:
    """Write a HumanML3D-layout folder (each file atomically)."""
    import io

    from compmo_gen.core.io import write_atomic

    (out / "new_joints").mkdir(parents=True, exist_ok=True)
    for vid, joints, _ in items:
        buf = io.BytesIO()
        np.save(buf, joints)
        write_atomic(out / "new_joints" / f"{vid}.npy", buf.getvalue())
    write_atomic(out / "all.txt", "".join(f"{vid}\n" for vid, _, _ in items))
    rows = ["source_path,start_frame,end_frame,new_name"]
    rows += [f"{r['source']},0,{len(j)},{vid}.npy" for vid, j, r in items]
    write_atomic(out / "index.csv", "\n".join(rows) + "\n")
    report = {vid: r for vid, _, r in items}
    write_atomic(out / "import_report.json", json.dumps(report, indent=1) + "\n")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, help=".bvh, .npz (SMPL-family parameters or joints) or .npy (T, J, 3) joint arrays")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="output HumanML3D-layout folder")
    add_import_args(parser)


def run(args: argparse.Namespace) -> int:
    items = import_files(args, list(args.files))
    write_folder(args.out, items)
    frames = sum(len(j) for _, j, _ in items)
    print(f"{args.out}: {len(items)} motion(s), {frames} frames at 20 fps (new_joints/, import_report.json)")  # fmt: skip
    return 0
