"""`compmo-gen export-mesh`: a motion's skeleton as capsule meshes.

``.glb`` without ``--frame``/``--time``: the whole motion, animated (bones coloured by chain).
``.glb/.ply/.obj/.stl`` with ``--frame N`` or ``--time S`` (``.ply/.obj/.stl`` default to frame 0):
one pose, its bones in the colour of the segment active then (as in ``render``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from compmo_gen.core.errors import UserError

log = logging.getLogger(__name__)

FORMATS = (".glb", ".ply", ".obj", ".stl")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset", type=Path, help="dataset folder (motions/, annotations/) or a motion .npy"
    )
    parser.add_argument(
        "--id", dest="vid", metavar="ID", help="sequence id (required with a dataset folder)"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help=f"output file ({', '.join(FORMATS)})"
    )
    parser.add_argument("--split", help="look the id up only in annotations/SPLIT.json")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--frame", type=int, help="export this single frame (0-based)")
    when.add_argument("--time", type=float, help="export the frame at this time (seconds)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.constants import FPS
    from compmo_gen.render import mesh
    from compmo_gen.render.cli import load_item
    from compmo_gen.render.frames import JOINT_SIDES, active_index, segment_colors, shade

    suffix = args.out.suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"{args.out}: unknown mesh type (use {', '.join(FORMATS)})")
    joints, gt = load_item(args.dataset, args.vid, args.split)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame = args.frame if args.time is None else round(args.time * FPS)
    if frame is None and suffix == ".glb":
        mesh.write_animated_glb(joints, args.out)
        log.info("wrote %s (%d frames, animated)", args.out, len(joints))
        return 0
    frame = 0 if frame is None else frame
    if not 0 <= frame < len(joints):
        raise UserError(f"{args.dataset}: frame {frame} outside the motion (0..{len(joints) - 1})")
    colors = None
    if gt is not None and gt.segments:
        duration = gt.duration or len(joints) / FPS
        idx = active_index(gt.segments, frame / FPS, duration)
        if idx is not None:
            base = segment_colors(gt.segments)[idx]
            colors = [shade(base, s) for s in JOINT_SIDES]
    mesh.frame_mesh(joints[frame], colors).export(args.out)
    log.info("wrote %s (frame %d)", args.out, frame)
    return 0
