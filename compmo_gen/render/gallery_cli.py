"""`compmo-gen gallery`: N sequences of a dataset as a static HTML page of animated GIFs with their
dense captions (``index.html`` + ``gifs/``), like the DEMO project page; bad items are skipped and
counted (``gallery.json``)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from compmo_gen.core.errors import UserError
from compmo_gen.core.options import seed as seed_type

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from compmo_gen.render.cli import add_style_args

    parser.add_argument("dataset", type=Path, help="dataset folder (motions/, annotations/)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (index.html, gifs/)")
    parser.add_argument(
        "--n", type=int, default=24, help="number of sequences (default %(default)s)"
    )
    parser.add_argument("--split", help="only this split (annotations/SPLIT.json); default all")
    parser.add_argument("--seed", type=seed_type, default=0, help="seed of the sequence sample")
    parser.add_argument("--ids", nargs="+", help="show these ids instead of a sample")
    parser.add_argument(
        "--pred", type=Path, help="predictions to list (and draw) beside the ground truth"
    )
    parser.add_argument("--stride", type=int, default=2, help="keep every k-th frame in the GIFs (default 2: 10 fps, same speed)")  # fmt: skip
    add_style_args(parser, width=360)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from compmo_gen.core.segments import DenseAnnotation
    from compmo_gen.render.cli import (
        dataset_durations,
        dataset_motion,
        load_ground_truth,
        load_predictions,
        style_from,
    )
    from compmo_gen.render.gallery import Card, gallery_html, gif_name, select_ids
    from compmo_gen.render.output import render_motion

    if args.n < 1 or args.stride < 1:
        raise UserError("--n and --stride must be at least 1")
    if not args.dataset.is_dir():
        raise UserError(f"{args.dataset}: not a dataset folder")
    gt = load_ground_truth(args.dataset, args.split)
    if args.ids:
        unknown = [i for i in args.ids if i not in gt]
        if unknown:
            raise UserError(f"{args.dataset}: id {unknown[0]!r} not in the annotations")
        ids = list(args.ids)
    else:
        ids = select_ids(list(gt), args.n, args.seed)
    preds: dict[str, DenseAnnotation] = {}
    if args.pred is not None:
        preds = load_predictions(args.pred, dataset_durations(args.dataset, None, 0))
        without = sum(1 for i in ids if i not in preds)
        if without:
            log.warning(
                "%s: no prediction for %d of %d shown ids (empty timelines)",
                args.pred,
                without,
                len(ids),
            )
    style = style_from(args)
    (args.out / "gifs").mkdir(parents=True, exist_ok=True)
    cards, skipped = [], []
    for k, vid in enumerate(tqdm(ids, desc="gallery", disable=args.quiet)):
        try:
            joints = dataset_motion(args.dataset, vid)
        except UserError as exc:
            log.warning("skipped %s", exc)
            skipped.append(str(exc))
            continue
        pred = preds.get(vid, DenseAnnotation(vid, gt[vid].duration, ())) if args.pred else None
        rel = f"gifs/{gif_name(k, vid)}"
        render_motion(joints, args.out / rel, gt[vid], pred, style, stride=args.stride)
        cards.append(Card(rel, gt[vid], pred, len(joints)))
    if not cards:
        raise UserError(f"{args.dataset}: no sequence could be rendered ({len(skipped)} skipped)")
    note = f"{len(cards)} sequences from {args.dataset.name}" + (
        f", split {args.split}" if args.split else ""
    )
    note += f"; {len(skipped)} skipped (see gallery.json)" if skipped else ""
    title = f"{args.dataset.name}: dense motion captions"
    (args.out / "index.html").write_text(gallery_html(title, cards, note), encoding="utf-8")
    manifest = {"items": [{"id": c.gt.id, "gif": c.gif} for c in cards], "skipped": skipped}
    (args.out / "gallery.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    log.info(
        "wrote %s (%d sequences, %d skipped)", args.out / "index.html", len(cards), len(skipped)
    )
    return 0
