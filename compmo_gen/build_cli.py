"""`compmo-gen build`: build a CompMo-style dataset (embedded clip library or HumanML3D)."""

from __future__ import annotations

import argparse
import json
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
    parser.add_argument(
        "--source", help="'procedural' (embedded library, default) or 'humanml3d:PATH'"
    )
    parser.add_argument("--num", type=int, help="number of sequences")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument(
        "--split-by",
        choices=("sequence", "atomic"),
        help="split by sequence (CompMo) or by atomic clip",
    )
    parser.add_argument(
        "--transition",
        choices=("concat", "slerp10", "crossfade", "inertial"),
        help="transition between actions",
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any preset key, e.g. composition.max_actions=6 (repeatable)")  # fmt: skip
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


def overrides(args: argparse.Namespace) -> dict[str, str]:
    out: dict[str, str] = {}
    for flag, key in (
        ("source", "source"),
        ("num", "num"),
        ("seed", "seed"),
        ("split_by", "split_by"),
        ("transition", "composition.transition"),
    ):
        if getattr(args, flag) is not None:
            out[key] = getattr(args, flag)
    for item in args.set:
        if "=" not in item:
            raise UserError(f"--set {item!r}: expected KEY=VALUE")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compmo_gen.build import BuildError, parse_shard, run_build
    from compmo_gen.build_config import ConfigError, load_config
    from compmo_gen.stats import render_card

    try:
        cfg = load_config(args.preset, overrides(args))
        shard = parse_shard(args.shard)
        if args.workers < 1:
            raise UserError("--workers must be >= 1")
        t0 = time.perf_counter()
        result = run_build(
            cfg, args.out, workers=args.workers, shard=shard, progress=not args.quiet
        )
    except (BuildError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # unwritable --out, a file where a folder should be, disk full...
        raise UserError(f"{exc.filename or args.out}: {exc.strerror or exc}") from None
    dt = time.perf_counter() - t0
    log.info("built %d chunks, reused %d, in %.1f s", result.chunks_built, result.chunks_reused, dt)
    if result.finalized and not args.no_card and not args.quiet:
        card = json.loads((Path(args.out) / "stats.json").read_text(encoding="utf-8"))
        print(render_card(card), end="")
    return 0
