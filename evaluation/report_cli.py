"""`compmo-eval report RESULTS... --gt GT --out report.html`: a self-contained HTML report.

    compmo-eval report results/demo.json results/uniform.json --gt test.json \\
        --predictions demo_pred.json uniform_pred.json --out report.html

Each results file needs its per-video file (``compmo-eval --per-video``, found beside it or named
in it). Predictions (same order as the results) add their rows to the sample timelines.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
from pathlib import Path

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import UserError
from compmo_gen.core.formats import FORMATS, load_annotations, read_durations
from compmo_gen.core.io import write_atomic
from compmo_gen.core.options import int_in, positive_float

log = logging.getLogger(__name__)


def _edges(text: str) -> tuple[float, ...]:
    try:
        edges = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated seconds, got {text!r}"
        ) from None
    if not edges or any(b <= a for a, b in zip(edges, edges[1:])):
        raise argparse.ArgumentTypeError(f"bin edges must increase, got {text!r}")
    return edges


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation.breakdown import DURATION_EDGES
    from evaluation.leaderboard_cli import add_bootstrap_arguments

    parser.add_argument("results", nargs="+", help="results JSON files of `compmo-eval --out`")
    parser.add_argument("--gt", required=True, help="the ground truth the results were scored on")
    parser.add_argument("--predictions", nargs="+", help="prediction files, in results order")
    parser.add_argument("--out", default="report.html", help="HTML file to write")
    parser.add_argument(
        "--assets",
        help="write the PNGs into this folder and link them (default: embed them in the page)",
    )
    parser.add_argument("--names", help="comma-separated system names (default: file names)")
    parser.add_argument("--title", default="compmo-eval report", help="page title")
    parser.add_argument(
        "--samples", type=int_in(0, 1000), default=8, help="sample timelines to draw"
    )
    parser.add_argument(
        "--duration-edges",
        type=_edges,
        default=DURATION_EDGES,
        help="comma-separated duration bin edges in seconds (default "
        f"{','.join(f'{x:g}' for x in DURATION_EDGES)}; the last bin is open)",
    )
    parser.add_argument("--ci", action="store_true", help="bootstrap 95 %% intervals in the table")
    parser.add_argument("--force", action="store_true", help="mix results of different protocols")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--durations", help="{id: seconds} JSON closing DEMO strings' last segment")
    src.add_argument("--motion-root", help="folder of <id>.npy motions (duration = frames / fps)")
    parser.add_argument("--fps", type=positive_float, default=FPS, help="motion frame rate")
    parser.add_argument("--fmt", default="auto", choices=("auto", *FORMATS), help="pred format")
    parser.add_argument("--gt-fmt", default="auto", choices=("auto", *FORMATS), help="GT format")
    parser.add_argument(
        "--dialect", choices=("demo", "compmo"), default="compmo", help="DEMO-string parser"
    )
    add_bootstrap_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from evaluation import breakdown as bd
    from evaluation.html_report import Figure, render_report, sample_ids, timeline_svg
    from evaluation.leaderboard import build_table, to_html
    from evaluation.leaderboard_cli import intervals_for
    from evaluation.resultfiles import differences, load_result, per_video_path, read_per_video

    names = args.names.split(",") if args.names else [None] * len(args.results)
    if len(names) != len(args.results):
        raise UserError(f"--names has {len(names)} names for {len(args.results)} result files")
    if args.predictions and len(args.predictions) != len(args.results):
        raise UserError(f"{len(args.predictions)} prediction files for {len(args.results)} results")
    results = [load_result(p, n) for p, n in zip(args.results, names)]
    diffs = differences(results)
    if diffs and not args.force:
        raise UserError(f"results are not comparable: {diffs[0]} (use --force to report anyway)")
    durations = read_durations(args.durations, fps=args.fps) if args.durations else None
    common = dict(durations=durations, motion_root=args.motion_root, fps=args.fps,
                  dialect=args.dialect)  # fmt: skip
    gt = load_annotations(args.gt, role="gt", fmt=args.gt_fmt, **common).annotations

    per_video = {}
    for r in results:
        pv = per_video_path(r)
        if pv is None:
            raise UserError(f"{r.path}: no per-video file found (run compmo-eval with --per-video)")
        per_video[r.name] = read_per_video(pv)
        ids = {rec["id"] for rec in per_video[r.name]}
        if ids != set(gt):
            diff = sorted(ids ^ set(gt))
            raise UserError(
                f"{pv}: scores {len(ids)} videos, {args.gt} has {len(gt)} ({len(diff)} differ, "
                f"e.g. {diff[0]!r}): was it scored on this ground truth?"
            )
    intervals = intervals_for(results, args.n_boot, args.seed) if args.ci else None
    table = build_table(
        results, intervals=intervals, warnings=[f"not comparable: {d}" for d in diffs]
    )

    tables_html, figures = {}, []
    for by in bd.BY:
        parts = {r.name: bd.breakdown(per_video[r.name], gt, by, edges=args.duration_edges)
                 for r in results}  # fmt: skip
        what = "number of actions" if by == "actions" else "duration"
        for name, b in parts.items():
            tables_html[f"{name}: by {what}"] = bd.to_html(b)
        figures.append(Figure(f"breakdown_{by}.png", bd.plot_png(parts), f"Metrics by {what}"))

    preds = {}
    for r, p in zip(results, args.predictions or []):
        preds[r.name] = load_annotations(p, role="pred", fmt=args.fmt, **common).annotations
    timelines = []
    for vid in sample_ids(list(gt), args.samples, args.seed):
        ann = gt[vid]
        rows = [("GT", ann)] + [(name, p.get(vid)) for name, p in preds.items()]
        ends = [max(s.start, s.end) for _, a in rows if a is not None for s in a.segments]
        duration = max([ann.duration or 0.0, *ends])
        uid = hashlib.sha256(vid.encode()).hexdigest()[:12]
        timelines.append((f"{vid} ({duration:.1f} s)", timeline_svg(rows, duration, uid=uid)))

    page = Path(args.out)
    assets = Path(args.assets) if args.assets else None
    if assets is not None and not assets.resolve().is_relative_to(page.resolve().parent):
        raise UserError(f"--assets {assets} must be inside the page's folder {page.parent}")
    text = render_report(
        title=args.title,
        summary_html=to_html(table, fragment=True),
        tables_html=tables_html,
        figures=figures,
        timelines=timelines,
        signatures={r.name: r.signature for r in results},
        page=page.resolve(),
        assets=None if assets is None else assets.resolve(),
    )
    write_atomic(page, text)
    print(
        f"wrote {page} ({len(results)} systems, {len(figures)} plots, {len(timelines)} timelines)"
    )
    return 0
