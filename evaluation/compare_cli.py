"""`compmo-eval compare A.json B.json`: paired bootstrap test of two systems on the same GT."""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from compmo_gen.core.errors import UserError
from compmo_gen.core.io import write_atomic

if TYPE_CHECKING:
    from evaluation.bootstrap import PairedTest
    from evaluation.resultfiles import Result

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation.leaderboard_cli import add_bootstrap_arguments

    parser.add_argument("a", help="results JSON of system A (`compmo-eval --out`)")
    parser.add_argument("b", help="results JSON of system B")
    parser.add_argument(
        "--per-video",
        nargs=2,
        metavar=("A_JSONL", "B_JSONL"),
        help="per-video files (default: found beside the results files)",
    )
    parser.add_argument("--out", help="also write the test as JSON here")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    add_bootstrap_arguments(parser)


def compare(
    a: Result, b: Result, pv_a: Path, pv_b: Path, n_boot: int, seed: int
) -> tuple[list[tuple[str, str]], list[PairedTest], int]:
    """Paired tests of every table column (x100) on the videos both files score."""
    from evaluation.bootstrap import paired_test
    from evaluation.resultfiles import COLUMNS, read_per_video, value_matrix

    rec_a, rec_b = read_per_video(pv_a), read_per_video(pv_b)
    ids_a, ids_b = [r["id"] for r in rec_a], {r["id"] for r in rec_b}
    if set(ids_a) != ids_b:
        only = sorted(set(ids_a) ^ ids_b)
        raise UserError(
            f"{pv_a} and {pv_b} score different videos ({len(only)} differ, e.g. {only[0]!r}): "
            "a paired test needs the same ground truth"
        )
    cols = [(h, k) for h, k in COLUMNS if k in a.metrics and k in b.metrics]
    keys = [k for _, k in cols]
    _, va = value_matrix(rec_a, keys, ids_a)
    _, vb = value_matrix(rec_b, keys, ids_a)
    tests = paired_test(va, vb, keys, n_boot=n_boot, seed=seed, scale=100.0)
    for (_, key), t in zip(cols, tests):
        # the per-video files must reproduce the summary: guards against mismatched pairs of files
        for res, val in ((a, t.a), (b, t.b)):
            if abs(res.metrics[key] - val) > 1e-6 * max(1.0, abs(val)):
                log.warning("%s: %s is %.6f, its per-video file gives %.6f", res.path, key,
                            res.metrics[key], val)  # fmt: skip
    return cols, tests, len(ids_a)


def format_table(
    a_name: str,
    b_name: str,
    cols: Sequence[tuple[str, str]],
    tests: Sequence[PairedTest],
    n: int,
    alpha: float,
) -> str:
    w = max(len(h) for h, _ in cols)
    lines = [
        f"paired bootstrap over {n} videos ({tests[0].n_boot if tests else 0} replicates), x100",
        f"A = {a_name}", f"B = {b_name}", "",
        f"{'metric':<{w}}  {'A':>9}  {'B':>9}  {'A-B':>9}  {'95% interval':>21}  {'p':>7}",
    ]  # fmt: skip
    for (h, _), t in zip(cols, tests):
        mark = " *" if t.p_value < alpha else ""
        iv = f"[{t.delta.low:8.3f}, {t.delta.high:8.3f}]"
        lines.append(
            f"{h:<{w}}  {t.a:9.3f}  {t.b:9.3f}  {t.delta.value:+9.3f}  {iv:>21}  "
            f"{t.p_value:7.4f}{mark}"
        )
    lines.append(f"\n* p < {alpha:g}: the sign of A-B survives resampling the videos")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from evaluation.resultfiles import differences, load_result, per_video_path

    a, b = load_result(args.a), load_result(args.b)
    if a.name == b.name:
        a.name, b.name = str(a.path), str(b.path)
    diffs = differences([a, b])
    if diffs:
        raise UserError(f"cannot compare: {diffs[0]}")
    if args.per_video:
        pv_a, pv_b = (Path(p) for p in args.per_video)
    else:
        pv_a, pv_b = per_video_path(a), per_video_path(b)
        for res, pv in ((a, pv_a), (b, pv_b)):
            if pv is None:
                raise UserError(f"{res.path}: no per-video file found; pass --per-video A B")
    cols, tests, n = compare(a, b, pv_a, pv_b, args.n_boot, args.seed)
    print(format_table(a.name, b.name, cols, tests, n, args.alpha))
    if args.out:
        doc = {
            "a": str(a.path), "b": str(b.path), "videos": n, "n_boot": args.n_boot,
            "seed": args.seed,
            "tests": {
                h: {"a": t.a, "b": t.b, "delta": t.delta.value, "low": t.delta.low,
                    "high": t.delta.high, "p_value": None if math.isnan(t.p_value) else t.p_value}
                for (h, _), t in zip(cols, tests)
            },
        }  # fmt: skip
        write_atomic(Path(args.out), json.dumps(doc, indent=2) + "\n")
    return 0
