"""`compmo-gen babel`: the H3D+BABEL dataset (BABEL frame labels on real HumanML3D motions).

compmo-gen babel --babel BABEL_DIR --humanml3d H3D_DIR --out OUT [--preset demo-like] [options]
"""

from __future__ import annotations

import argparse
import logging

from compmo_gen.core.options import seed as seed_type

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from compmo_gen.babel.config import (
        ANNOTATORS,
        GAPS,
        LABEL_TEXTS,
        OVERLAPS,
        PRESETS,
        SPLIT_BY,
        TRANSITIONS,
        BabelConfig,
    )

    d = BabelConfig()
    parser.add_argument(
        "--babel", required=True, help="BABEL folder: train.json val.json [test.json extra_*.json]"
    )
    parser.add_argument(
        "--humanml3d",
        required=True,
        help="HumanML3D folder: new_joints/, index.csv, train.txt val.txt test.txt",
    )
    parser.add_argument(
        "--index",
        help="HumanML3D's index.csv (default: in --humanml3d, else in its parent folder)",
    )
    parser.add_argument("--out", required=True, help="output folder (new or empty)")
    parser.add_argument(
        "--unimotion", help="folder with UniMotion's train_ft.txt val_ft.txt test_ft.txt"
    )
    parser.add_argument(
        "--preset",
        default="demo-like",
        choices=tuple(PRESETS),
        help="policy preset (default %(default)s)",
    )
    opt = parser.add_argument_group("policy options (override the preset)")
    opt.add_argument(
        "--label-text", choices=LABEL_TEXTS, help=f"caption text (default {d.label_text})"
    )
    opt.add_argument(
        "--transitions",
        choices=TRANSITIONS,
        help=f"BABEL 'transition' labels (default {d.transitions})",
    )
    opt.add_argument(
        "--overlap",
        choices=OVERLAPS,
        help=f"overlapping labels: one per frame (longest/first wins), joined, or kept (default {d.overlap})",
    )
    opt.add_argument("--gaps", choices=GAPS, help=f"unlabeled spans (default {d.gaps})")
    opt.add_argument(
        "--annotators",
        choices=ANNOTATORS,
        help=f"which annotators' labels (default {d.annotators})",
    )
    opt.add_argument(
        "--no-mirrors",
        dest="mirrors",
        action="store_false",
        default=None,
        help="skip M-prefixed clips",
    )
    opt.add_argument(
        "--min-frames", type=int, help=f"length filter: keep >= N frames (default {d.min_frames})"
    )
    opt.add_argument(
        "--max-frames",
        type=int,
        help=f"length filter: keep < N frames, 0 = no limit (default {d.max_frames}, UniMotion's)",
    )
    opt.add_argument("--split-by", choices=SPLIT_BY, help=f"splits (default {d.split_by})")
    opt.add_argument(
        "--ratios", help="train,val,test ratios for --split-by source (default 0.8,0.1,0.1)"
    )
    opt.add_argument("--seed", type=seed_type, help="seed of --split-by source (default 0)")
    parser.add_argument(
        "--no-card", action="store_true", help="do not print the dataset card at the end"
    )


def _ratios(text: str | None) -> tuple[float, float, float] | None:
    from compmo_gen.core.errors import UserError

    if text is None:
        return None
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise UserError(f"--ratios {text!r}: expected three numbers, e.g. 0.8,0.1,0.1") from None
    if len(values) != 3:
        raise UserError(f"--ratios {text!r}: expected three numbers, e.g. 0.8,0.1,0.1")
    return values  # type: ignore[return-value]


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compmo_gen.babel.config import make_config
    from compmo_gen.babel.dataset import build_babel
    from compmo_gen.core.errors import UserError
    from compmo_gen.stats import render_card

    cfg = make_config(
        args.preset,
        label_text=args.label_text,
        transitions=args.transitions,
        overlap=args.overlap,
        gaps=args.gaps,
        annotators=args.annotators,
        mirrors=args.mirrors,
        min_frames=args.min_frames,
        max_frames=args.max_frames,
        split_by=args.split_by,
        ratios=_ratios(args.ratios),
        seed=args.seed,
    )
    for flag in ("babel", "humanml3d"):
        if not Path(getattr(args, flag)).is_dir():
            raise UserError(f"--{flag} {getattr(args, flag)}: not a folder")
    try:
        manifest = build_babel(
            args.babel,
            args.humanml3d,
            args.out,
            cfg,
            unimotion=args.unimotion,
            index=args.index,
            progress=not args.quiet,
        )
    except OSError as exc:
        raise UserError(f"{exc.filename or args.out}: {exc.strerror or exc}") from None
    counts = ", ".join(f"{k} {v}" for k, v in manifest["counts"].items())
    log.info("wrote %s (%s)", args.out, counts)
    if not args.no_card and not args.quiet:
        from compmo_gen.core.io import load_json

        card = load_json(Path(args.out) / "stats.json")
        print(render_card(card), end="")
    return 0
