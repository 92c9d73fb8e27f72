"""`compmo-gen import-motion FILE... --out DIR`: BVH files, SMPL / SMPL-H / SMPL-X parameter files
and joint arrays of other skeletons, at any frame rate, into a HumanML3D-layout folder
(``new_joints/<id>.npy`` at 20 fps, ``all.txt``, ``index.csv``, ``import_report.json``).

Every file is converted in memory first: one bad file stops the command with one line (exit 2)
and nothing is written. A new folder is staged beside ``--out`` and renamed into place; an
existing non-empty folder is only ever added to with ``--merge`` (docs/import.md).
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
    from compmo_gen.motion_import.canonical import check_fps
    from compmo_gen.motion_import.joint_sets import read_joint_map

    if args.fps is not None:
        check_fps(args.fps, "--fps", "frame rate")
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


def _rows(items: list[tuple[str, np.ndarray, dict]]) -> list[str]:
    return [f"{r['source']},0,{len(j)},{vid}.npy" for vid, j, r in items]


def _npy(path: Path, joints: np.ndarray) -> None:
    import io

    from compmo_gen.core.io import write_atomic

    buf = io.BytesIO()
    np.save(buf, joints)
    write_atomic(path, buf.getvalue())


def write_folder(
    out: Path, items: list[tuple[str, np.ndarray, dict]], *, merge: bool = False
) -> int:
    """Write a new HumanML3D-layout folder whole or not at all (staged beside it as
    ``.<name>.<pid>.tmp``, then renamed), or with ``merge`` add the motions to an existing one.
    Never replaces a user's files; returns the number of stale staging entries removed."""
    from compmo_gen.core.io import atomic_dir, write_atomic
    from compmo_gen.core.staging import remove_dead_staging

    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder; use another --out")
    stale = remove_dead_staging(out.parent, out.name) if out.parent.is_dir() else []
    if out.is_dir() and any(out.iterdir()):
        if not merge:
            raise UserError(
                f"{out}: exists and is not empty ({', '.join(sorted(p.name for p in out.iterdir())[:3])}); "
                "use a new --out, or --merge to add these motions to that HumanML3D folder"
            )
        return len(stale) + merge_into(out, items)
    with atomic_dir(out) as tmp:
        (tmp / "new_joints").mkdir(parents=True)
        for vid, joints, _ in items:
            _npy(tmp / "new_joints" / f"{vid}.npy", joints)
        write_atomic(tmp / "all.txt", "".join(f"{vid}\n" for vid, _, _ in items))
        rows = ["source_path,start_frame,end_frame,new_name", *_rows(items)]
        write_atomic(tmp / "index.csv", "\n".join(rows) + "\n")
        report = {vid: r for vid, _, r in items}
        write_atomic(tmp / "import_report.json", json.dumps(report, indent=1) + "\n")
    return len(stale)


def merge_into(out: Path, items: list[tuple[str, np.ndarray, dict]]) -> int:
    """Add ``items`` to the HumanML3D folder ``out``: new ``new_joints/<id>.npy`` files, their ids
    appended to ``all.txt``, rows to ``index.csv``, entries to ``import_report.json`` (each file
    rewritten atomically, ``all.txt`` last). An id already listed or present is refused before
    anything is written. Returns the stale staging files of killed merges removed."""

    from compmo_gen.core.errors import AnnotationError
    from compmo_gen.core.io import load_json, read_text, write_atomic
    from compmo_gen.core.staging import remove_dead_staging

    joints_dir = out / "new_joints"
    if not joints_dir.is_dir() and not (out / "all.txt").is_file():
        raise UserError(
            f"{out}: not a HumanML3D folder (no new_joints/ or all.txt); cannot --merge"
        )
    stale = len(remove_dead_staging(joints_dir)) if joints_dir.is_dir() else 0
    stale += len(remove_dead_staging(out))
    try:
        listed = read_text(out / "all.txt").splitlines() if (out / "all.txt").exists() else []
        index = read_text(out / "index.csv").splitlines() if (out / "index.csv").exists() else []
        report = (
            load_json(out / "import_report.json") if (out / "import_report.json").exists() else {}
        )
    except AnnotationError as exc:
        raise UserError(f"--merge: {exc}") from None
    if not isinstance(report, dict):
        raise UserError(f"{out / 'import_report.json'}: not a JSON object; cannot --merge")
    ids = {x.strip() for x in listed if x.strip()}
    clash = [v for v, _, _ in items if v in ids or v in report or (joints_dir / f"{v}.npy").exists()]  # fmt: skip
    if clash:
        raise UserError(
            f"{out}: id {clash[0]!r} is already there ({len(clash)} of {len(items)} ids collide); "
            "rename the files or import into another --out"
        )
    joints_dir.mkdir(exist_ok=True)
    written: list[Path] = []
    try:
        for vid, joints, _ in items:
            _npy(joints_dir / f"{vid}.npy", joints)
            written.append(joints_dir / f"{vid}.npy")
        head = index[:1] or ["source_path,start_frame,end_frame,new_name"]
        write_atomic(
            out / "index.csv",
            "\n".join([*head, *index[1:], *_rows(items)]) + "\n",
            replaces_input=True,  # --merge: the import folder's own files, extended
        )
        report.update({vid: r for vid, _, r in items})
        write_atomic(
            out / "import_report.json", json.dumps(report, indent=1) + "\n", replaces_input=True
        )
        keep = "".join(f"{x}\n" for x in listed)
        write_atomic(
            out / "all.txt",
            keep + "".join(f"{vid}\n" for vid, _, _ in items),
            replaces_input=True,
        )
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return stale


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, help=".bvh, .npz (SMPL-family parameters or joints) or .npy (T, J, 3) joint arrays")  # fmt: skip
    parser.add_argument("--out", type=Path, required=True, help="output HumanML3D-layout folder (new or empty; an existing one only with --merge)")  # fmt: skip
    parser.add_argument("--merge", action="store_true", help="add the motions to the existing HumanML3D folder --out (ids appended to all.txt, index.csv, import_report.json; an id already there is an error)")  # fmt: skip
    add_import_args(parser)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not args.merge)):
        write_folder(out, [], merge=args.merge)  # the refusal, before any file is converted
    items = import_files(args, list(args.files))
    stale = write_folder(out, items, merge=args.merge)
    frames = sum(len(j) for _, j, _ in items)
    derived = sum(1 for _, _, r in items if r.get("derived"))
    print(
        f"{out}: {'added ' if args.merge else ''}{len(items)} motion(s), {frames} frames at 20 fps "
        f"(new_joints/, import_report.json)"
        + (f"; {derived} with derived joints (see import_report.json)" if derived else "")
        + (f"; removed {stale} leftover(s) of a killed run" if stale else "")
    )
    return 0
