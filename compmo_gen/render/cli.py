"""`compmo-gen render`: one motion of a dataset folder to an animated GIF, an MP4 or a PNG sheet.

Also holds the small dataset-folder readers shared by ``gallery`` and ``export-mesh``: a dataset
folder has ``motions/<id>.npy`` and ``annotations/<split>.json`` (ActivityNet ground truth).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

from compmo_gen.core.errors import UserError
from compmo_gen.core.formats import load_annotations
from compmo_gen.core.io import check_writable, load_joints, read_text, resolve_under
from compmo_gen.core.options import finite_float, int_in
from compmo_gen.core.segments import DenseAnnotation

log = logging.getLogger(__name__)


def annotation_files(dataset: Path, split: str | None = None) -> list[Path]:
    """``annotations/<split>.json`` (one split) or every ``annotations/*.json`` in name order."""
    folder = dataset / "annotations"
    if split is not None:
        path = folder / f"{split}.json"
        if not path.is_file():
            raise UserError(f"{path}: no such annotation file (split {split!r})")
        return [path]
    files = sorted(folder.glob("*.json"))
    if not files:
        raise UserError(f"{folder}: no annotation files (*.json); is {dataset} a dataset folder?")
    return files


@lru_cache(maxsize=4)
def load_ground_truth(dataset: Path, split: str | None = None) -> dict[str, DenseAnnotation]:
    """All ground-truth annotations of the chosen split(s), in file order (cached: do not modify)."""
    out: dict[str, DenseAnnotation] = {}
    for path in annotation_files(dataset, split):
        out.update(load_annotations(path, role="gt").annotations)
    return out


def load_motion(path: Path) -> np.ndarray:
    """A (T, 22, 3) motion from ``.npy`` (no pickles); UserError naming the file otherwise."""
    from compmo_gen.render.frames import check_motion

    joints = load_joints(path)  # a MotionError (one line) for anything unusable
    try:
        return check_motion(joints, str(path))
    except ValueError as exc:
        raise UserError(str(exc)) from None


def dataset_motion(dataset: Path, vid: str) -> np.ndarray:
    root = dataset / "motions"
    path = resolve_under(root, f"{vid}.npy", file=str(root), record=vid, field="id")
    if not path.is_file():
        raise UserError(f"{path}: motion file missing for id {vid!r}")
    return load_motion(path)


def load_item(
    source: Path, vid: str | None, split: str | None = None
) -> tuple[np.ndarray, DenseAnnotation | None]:
    """(joints, ground truth) from a dataset folder and an id, or from a bare ``.npy`` motion
    (a HumanML3D-layout ``new_joints/<id>.npy`` shows its ``texts/<id>.txt`` captions)."""
    if source.suffix == ".npy" and source.is_file():
        joints = load_motion(source)
        return joints, humanml3d_captions(source, len(joints))
    if not source.is_dir():
        raise UserError(f"{source}: neither a dataset folder nor a .npy motion file")
    if vid is None:
        raise UserError(f"{source}: --id is required with a dataset folder")
    gt = load_ground_truth(source, split)
    if vid not in gt:
        raise UserError(
            f"{source}: id {vid!r} not in {', '.join(p.name for p in annotation_files(source, split))}"
        )
    return dataset_motion(source, vid), gt[vid]


def humanml3d_captions(motion: Path, n_frames: int) -> DenseAnnotation | None:
    """The first caption of each time crop in ``../texts/<id>.txt`` beside ``new_joints/<id>.npy``
    (HumanML3D layout, e.g. ``smpl2joints`` output), as segments; None when there is none."""
    import math

    from compmo_gen.core.constants import FPS
    from compmo_gen.core.segments import Segment

    text = motion.parent.parent / "texts" / f"{motion.stem}.txt"
    if motion.parent.name != "new_joints" or not text.is_file():
        return None
    try:
        from compmo_gen.sources.humanml3d import parse_caption_line
    except ImportError:  # the HumanML3D loader is optional here
        return None

    duration = n_frames / FPS
    crops: dict[tuple[float, float], str] = {}
    for line in read_text(text, errors="replace").splitlines():
        parsed = parse_caption_line(line) if line.strip() else None
        if parsed is not None:
            caption, _, start, end = parsed
            whole = math.isnan(start) or math.isnan(end) or (start == 0 and end == 0)
            crops.setdefault((0.0, duration) if whole else (start, min(end, duration)), caption)
    segments = tuple(Segment(a, b, c) for (a, b), c in sorted(crops.items()) if b > a)
    return DenseAnnotation(motion.stem, duration, segments) if segments else None


def load_predictions(path: Path, durations: Mapping[str, float]) -> dict[str, DenseAnnotation]:
    """Predictions in any supported format; ``durations`` (the GT's) close DEMO strings, and
    records that cannot be read are skipped and counted rather than fatal (one id is viewed)."""
    preds = load_annotations(path, role="pred", durations=durations, lenient=True)
    log.info("%s: %s", path, preds.report.summary())
    if preds.report.skipped:
        log.warning(
            "%s: %d prediction records skipped (%s, ...)",
            path,
            len(preds.report.skipped),
            preds.report.skipped[0],
        )
    return preds.annotations


def dataset_durations(source: Path, vid: str | None, n_frames: int) -> dict[str, float]:
    """Durations of every annotated sequence of a dataset folder (of ``vid`` alone for a file)."""
    from compmo_gen.core.constants import FPS

    if source.is_dir():
        return {i: a.duration for i, a in load_ground_truth(source).items() if a.duration}
    return {vid or source.stem: n_frames / FPS}


def elevation(text: str) -> float:
    """A camera elevation in degrees, -90 to 90."""
    value = finite_float(text)
    if not -90 <= value <= 90:
        raise argparse.ArgumentTypeError(f"expected degrees from -90 to 90, got {text!r}")
    return value


def add_style_args(parser: argparse.ArgumentParser, width: int = 480) -> None:
    g = parser.add_argument_group("view")
    g.add_argument(
        "--width", type=int, default=width, help="frame width in pixels (default %(default)s)"
    )
    g.add_argument(
        "--camera",
        choices=("follow", "fixed"),
        default="follow",
        help="follow the smoothed root (default) or frame the whole trajectory",
    )
    g.add_argument(
        "--azimuth",
        type=finite_float,
        default=35.0,
        help="camera azimuth in degrees from the front (+z), towards the left (+x)",
    )
    g.add_argument("--elevation", type=elevation, default=20.0, help="camera elevation in degrees, -90 to 90")  # fmt: skip


def style_from(args: argparse.Namespace):  # noqa: ANN201
    from compmo_gen.render.frames import RenderStyle

    if not 160 <= args.width <= 4096:
        raise UserError(f"--width {args.width}: use 160 to 4096 pixels")
    return RenderStyle(
        width=args.width,
        view_height=round(args.width * 0.625),
        camera=args.camera,
        azimuth_deg=args.azimuth,
        elevation_deg=args.elevation,
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset", type=Path, help="dataset folder (motions/, annotations/) or a motion .npy"
    )
    parser.add_argument(
        "--id", dest="vid", metavar="ID", help="sequence id (required with a dataset folder)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output .gif, .mp4 (ffmpeg from imageio-ffmpeg) or .png contact sheet",
    )
    parser.add_argument("--split", help="look the id up only in annotations/SPLIT.json")
    parser.add_argument(
        "--pred",
        type=Path,
        help="predictions (ActivityNet submission, DEMO json, ...) drawn as a second timeline",
    )
    parser.add_argument("--sheet-frames", type=int_in(1, 1000), help="PNG: this many evenly spaced frames (default: each GT segment's midpoint)")  # fmt: skip
    add_style_args(parser)


def run(args: argparse.Namespace) -> int:
    from compmo_gen.render.output import OUTPUT_KINDS, render_motion

    if args.out.suffix.lower() not in OUTPUT_KINDS:
        raise UserError(f"{args.out}: unknown output type (use .gif, .mp4 or .png)")
    check_writable(args.out)  # a folder, FIFO or input there: one line now, not a traceback later
    joints, gt = load_item(args.dataset, args.vid, args.split)
    pred = None
    if args.pred is not None:
        vid = args.vid or args.dataset.stem
        durations = dataset_durations(args.dataset, args.vid, len(joints))
        pred = load_predictions(args.pred, durations).get(vid)
        if pred is None:
            log.warning("%s: no prediction for id %r; drawing an empty timeline", args.pred, vid)
            pred = DenseAnnotation(vid, durations.get(vid), ())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    n = render_motion(joints, args.out, gt, pred, style_from(args), sheet_frames=args.sheet_frames)
    log.info(
        "wrote %s (%d %s, %.2f s)",
        args.out,
        n,
        "tiles" if args.out.suffix.lower() == ".png" else "frames",
        time.perf_counter() - t0,
    )
    return 0
