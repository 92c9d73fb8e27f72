"""`compmo-eval leaderboard results/*.json --format md|latex|csv|html`: one row per result file."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from compmo_gen.core.errors import UserError
from compmo_gen.core.io import write_atomic
from compmo_gen.core.options import int_in
from compmo_gen.core.options import seed as seed_type

if TYPE_CHECKING:
    from evaluation.bootstrap import Interval
    from evaluation.resultfiles import Result

log = logging.getLogger(__name__)


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    from evaluation.bootstrap import MAX_BOOT, N_BOOT

    parser.add_argument(
        "--n-boot", type=int_in(1, MAX_BOOT), default=N_BOOT, help="bootstrap replicates"
    )
    parser.add_argument("--seed", type=seed_type, default=0, help="bootstrap seed (default 0)")


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation.leaderboard import FORMATS
    from evaluation.published import SETTINGS

    parser.add_argument("results", nargs="*", help="results JSON files of `compmo-eval --out`")
    parser.add_argument(
        "--published",
        choices=SETTINGS,
        help="add the paper's published rows of this setting (marked, not recomputed)",
    )
    parser.add_argument("--format", choices=FORMATS, default="md", help="table format")
    parser.add_argument("--out", help="write the table here (default: stdout)")
    parser.add_argument("--names", help="comma-separated row names (default: file names)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="tabulate results whose protocol or ground truth differ (with a warning)",
    )
    parser.add_argument(
        "--ci", action="store_true", help="add bootstrap 95 %% intervals (needs per-video files)"
    )
    parser.add_argument("--decimals", type=int_in(0, 12), default=2, help="digits after the point")
    parser.add_argument("--sort", help="sort rows by this column, best first (e.g. SODA)")
    add_bootstrap_arguments(parser)


def intervals_for(
    results: Sequence[Result], n_boot: int, seed: int
) -> dict[str, dict[str, Interval]]:
    """Bootstrap intervals (x100) of every table column, per result; needs per-video files."""
    from evaluation.bootstrap import confidence_intervals
    from evaluation.resultfiles import COLUMNS, per_video_path, read_per_video, value_matrix

    keys = [k for _, k in COLUMNS]
    out = {}
    for r in results:
        if r.doc.get("published"):
            continue  # published numbers have no per-video scores
        pv = per_video_path(r)
        if pv is None:
            raise UserError(
                f"{r.path}: no per-video file found for --ci (run compmo-eval with "
                f"--per-video {r.path.with_suffix('.per_video.jsonl').name})"
            )
        _, values = value_matrix(read_per_video(pv), keys)
        out[r.name] = confidence_intervals(values, keys, n_boot=n_boot, seed=seed, scale=100.0)
    return out


def run(args: argparse.Namespace) -> int:
    from evaluation.leaderboard import build_table, render
    from evaluation.published import published_note, published_results
    from evaluation.resultfiles import COLUMNS, differences, load_result

    if not args.results and not args.published:
        raise UserError("give result files, --published SETTING, or both")
    names = args.names.split(",") if args.names else [None] * len(args.results)
    if len(names) != len(args.results):
        raise UserError(f"--names has {len(names)} names for {len(args.results)} result files")
    results = [load_result(p, n) for p, n in zip(args.results, names)]
    if args.published:
        results += published_results(args.published)
    diffs = differences(results)
    if diffs and not args.force:
        raise UserError(f"results are not comparable: {diffs[0]} (use --force to tabulate anyway)")
    for d in diffs:
        log.warning("%s", d)
    if args.sort:
        key = dict(COLUMNS).get(args.sort, args.sort)
        if not any(key in r.metrics for r in results):
            names = ", ".join(h for h, _ in COLUMNS)
            raise UserError(f"--sort {args.sort!r}: no such column (one of {names})")
        results.sort(key=lambda r: -r.metrics.get(key, float("-inf")))
    intervals = intervals_for(results, args.n_boot, args.seed) if args.ci else None
    warnings = [f"not comparable: {d}" for d in diffs]
    table = build_table(results, decimals=args.decimals, intervals=intervals, warnings=warnings)
    if args.published:
        table.notes.append(published_note(args.published))
    text = render(table, args.format)
    if args.out:
        write_atomic(Path(args.out), text)
        print(f"wrote {args.out} ({len(results)} rows)")
    else:
        sys.stdout.write(text)
    return 0
