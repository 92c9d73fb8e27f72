"""`compmo-gen babel`: the H3D+BABEL dataset (BABEL frame labels on real HumanML3D motions).

compmo-gen babel --babel BABEL_DIR --humanml3d H3D_DIR --out OUT [--preset demo-like] [options]
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from compmo_gen.babel.config import PRESETS, BabelConfig
    from compmo_gen.core.config_cli import add_options, flag_dest, keys_help

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
    parser.add_argument("--config", help="YAML file of policy options (applied over --preset)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any policy option, e.g. min_frames=20 (repeatable)")  # fmt: skip
    opt = parser.add_argument_group("policy options (override the preset, --config and --set)")
    add_options(opt, BabelConfig)
    opt.add_argument("--no-mirrors", dest=flag_dest("mirrors"), action="store_const", const=False,
                     default=argparse.SUPPRESS, help="skip M-prefixed clips (--mirrors false)")  # fmt: skip
    parser.add_argument(
        "--no-card", action="store_true", help="do not print the dataset card at the end"
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "policy options (--config YAML / --set KEY=VALUE):\n" + keys_help(BabelConfig)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compmo_gen.babel.config import BabelConfig, load_config
    from compmo_gen.babel.dataset import build_babel
    from compmo_gen.core.config_cli import options_given
    from compmo_gen.core.errors import UserError
    from compmo_gen.dataset.stats import render_card

    cfg = load_config(
        args.preset, args.config, sets=args.set, values=options_given(args, BabelConfig)
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
