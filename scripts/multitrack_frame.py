"""Render one frame of a multi-track sequence (docs/multitrack_frame.png): the frame in the middle
of the first overlay, so two actions run on disjoint body parts.

    python -m scripts.multitrack_frame DATASET ID OUT.png [--width 360]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from compmo_gen.core.formats import load_annotations
from compmo_gen.core.tracks import concurrent_pairs
from compmo_gen.render.camera import RenderStyle
from compmo_gen.render.frames import FrameRenderer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("id")
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=360)
    args = ap.parse_args()
    gt = None
    for split in ("train", "val", "test"):
        anns = load_annotations(
            args.dataset / "annotations" / f"{split}.json", role="gt"
        ).annotations
        gt = anns.get(args.id, gt)
    if gt is None:
        raise SystemExit(f"{args.id}: not in {args.dataset}/annotations")
    joints = np.load(args.dataset / "motions" / f"{args.id}.npy", allow_pickle=False)
    i, j = concurrent_pairs(gt.segments)[0]
    a, b = gt.segments[i], gt.segments[j]
    t = (max(a.start, b.start) + min(a.end, b.end)) / 2
    r = FrameRenderer(
        joints, gt, style=RenderStyle(width=args.width, view_height=int(args.width * 0.8))
    )
    r.frame(min(int(t * r.fps), r.n_frames - 1)).save(args.out, optimize=True)
    print(f"wrote {args.out} (frame at {t:.2f} s)")


if __name__ == "__main__":
    main()
