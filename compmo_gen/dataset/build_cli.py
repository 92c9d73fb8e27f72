"""`compmo-gen build`: build a CompMo-style dataset (embedded clip library or HumanML3D)."""

from __future__ import annotations

import argparse
import logging
import os
import time

from compmo_gen.core.errors import UserError

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", help="YAML preset (e.g. datasets/default.yaml); defaults otherwise"
    )
    parser.add_argument(
        "--out", required=True, help="output folder (created; an existing build resumes)"
    )
    from compmo_gen.core.config_cli import add_options, keys_help
    from compmo_gen.dataset.build_config import BuildConfig

    keys = ["source", "num", "seed", "split_by", "composition.transition"]
    add_options(parser, BuildConfig, keys, flags={"composition.transition": "--transition"})
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any preset key, e.g. composition.max_actions=6 (repeatable; "
                        "the keys are listed below)")  # fmt: skip
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "config keys (preset YAML / --set KEY=VALUE):\n" + keys_help(BuildConfig)
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="worker processes (output does not depend on it)",
    )
    parser.add_argument(
        "--shard",
        default="0/1",
        help="build only chunks c with c %% n == i (i/n); merge by copying folders together",
    )
    parser.add_argument(
        "--no-card", action="store_true", help="do not print the dataset card at the end"
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compmo_gen.core.config_cli import options_given
    from compmo_gen.core.procs import clamp_jobs
    from compmo_gen.dataset.build import BuildError, parse_shard, run_build
    from compmo_gen.dataset.build_config import BuildConfig, load_config
    from compmo_gen.dataset.stats import render_card

    cfg = load_config(args.preset, options_given(args, BuildConfig), sets=args.set)
    try:
        shard = parse_shard(args.shard)
        if args.workers < 1:
            raise UserError("--workers must be >= 1")
        workers = clamp_jobs(args.workers, "--workers")  # 10,000 would fork 10,000 processes
        t0 = time.perf_counter()
        result = run_build(cfg, args.out, workers=workers, shard=shard, progress=not args.quiet)
    except BuildError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # unwritable --out, a file where a folder should be, disk full...
        raise UserError(f"{exc.filename or args.out}: {exc.strerror or exc}") from None
    dt = time.perf_counter() - t0
    log.info("built %d chunks, reused %d, in %.1f s", result.chunks_built, result.chunks_reused, dt)
    if result.finalized and not args.no_card and not args.quiet:
        from compmo_gen.core.io import load_json

        card = load_json(Path(args.out) / "stats.json")
        print(render_card(card), end="")
    return 0
