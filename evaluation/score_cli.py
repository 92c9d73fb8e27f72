"""`compmo-eval score`: DEMO's Table 2 metrics (all but SODA(B)) in one fast, reproducible run.

compmo-eval predictions.json --gt gt.json [gt2.json ...] [--multi-ref MODE] [--durations d.json | --motion-root DIR]
            [--protocol strict|demo] [--out results.json] [--per-video videos.jsonl]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from pathlib import Path

from compmo_gen.core.config import load
from compmo_gen.core.config_cli import add_options, options_given
from compmo_gen.core.constants import FPS
from compmo_gen.core.formats import FORMATS
from compmo_gen.core.formats.extra import EXTRA_FORMATS
from compmo_gen.core.io import sha256_file, write_atomic
from compmo_gen.core.options import positive_float
from evaluation.config import CLI_KEYS, EvalConfig

log = logging.getLogger(__name__)
#: Predictions files from this size on (about 400 videos) start METEOR's workers before reading.
LARGE_PREDICTIONS_BYTES = 200_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", help="predictions (ActivityNet submission or DEMO strings)")
    parser.add_argument(
        "--gt",
        required=True,
        nargs="+",
        metavar="GT",
        help="ground truth (ActivityNet, DEMO strings, YouCook2, ViTT); several files are several "
        "reference sets (e.g. ActivityNet's val_1.json val_2.json), combined as --multi-ref says",
    )
    parser.add_argument(
        "--gt-subset",
        help="YouCook2's own file: score only the videos of this subset (e.g. validation)",
    )
    parser.add_argument(
        "--past-duration",
        default="keep",
        choices=("keep", "clip", "error"),
        help="GT segments ending after the video's duration: keep the times (the reference "
        "evaluators never read the duration), clip them to it, or refuse the file; kept or "
        "clipped segments are counted in the report (default: keep)",
    )
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--durations", help="{id: seconds} JSON closing DEMO strings' last segment")
    src.add_argument("--motion-root", help="folder of <id>.npy motions (duration = frames / fps)")
    parser.add_argument(
        "--fps", type=positive_float, default=FPS, help="motion frame rate (default %(default)g)"
    )
    parser.add_argument(
        "--fmt",
        default="auto",
        choices=("auto", *FORMATS, *EXTRA_FORMATS),
        help="predictions format",
    )
    parser.add_argument(
        "--gt-fmt", default="auto", choices=("auto", *FORMATS, *EXTRA_FORMATS), help="GT format"
    )
    parser.add_argument(
        "--dialect",
        choices=("demo", "compmo"),
        help="DEMO-string parser (default: demo with --protocol demo, else compmo)",
    )
    add_options(
        parser,
        EvalConfig,
        CLI_KEYS,
        flags={"tious": "--tious"},
        prefix="",
    )
    parser.add_argument("--config", help="YAML file of evaluation settings (keys as --set)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any evaluation setting, e.g. chunk=500 (repeatable; options win)")  # fmt: skip
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="skip malformed records (counted in the report and logged) instead of failing; a "
        "skipped prediction counts as missing",
    )
    parser.add_argument("--out", help="write every metric, counts and the signature as JSON")
    parser.add_argument("--per-video", help="write per-video scores (JSON lines)")
    from evaluation.multitrack_run import add_arguments as add_multitrack_arguments

    add_multitrack_arguments(parser)
    add_bertscore_arguments(parser)


def add_bertscore_arguments(parser: argparse.ArgumentParser) -> None:
    """``--sodab`` and the BERTScore model options (shared with ``compmo-eval sodab``)."""
    from evaluation.bertscore import add_bertscore_arguments as add_model_arguments

    parser.add_argument(
        "--sodab",
        action="store_true",
        help="also compute SODA(B) (BERTScore recall in SODA_c's DP) in this run",
    )
    add_model_arguments(parser)


def eval_config(args: argparse.Namespace) -> EvalConfig:
    """The evaluation settings named by the command line (shared with ``compmo-eval sodab``)."""
    values = options_given(args, EvalConfig, CLI_KEYS, prefix="")
    from compmo_gen.core.procs import clamp_jobs

    values["progress"] = not args.quiet
    cfg = load(EvalConfig, args.config, sets=args.set, values=values)
    jobs = clamp_jobs(cfg.jobs)  # --jobs 32 on 2 cores: 2, with a warning
    if jobs != cfg.jobs:
        cfg = dataclasses.replace(cfg, jobs=jobs)
    vars(args).update({k: getattr(cfg, k) for k in CLI_KEYS})  # the effective values, as args.X
    return cfg


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.io import check_outputs
    from evaluation.backends import needs_java, open_meteor
    from evaluation.inputs import load_inputs
    from evaluation.javatools import java_executable
    from evaluation.report import per_video_json, results_json, summarize, table
    from evaluation.scorer import build_inputs, score_videos
    from evaluation.workers import tune_gc

    t0 = time.perf_counter()
    tune_gc()
    cfg = eval_config(args)
    if needs_java(cfg.tokenizer, cfg.meteor):
        java_executable()  # fail early, before reading anything
    check_outputs(args.out, args.per_video)  # an unwritable output fails now, not at the end
    bert = None
    if args.sodab:
        from evaluation.bertscore import BertScoreRecall

        bert = BertScoreRecall.from_args(args)  # a missing model fails before any file is read
    try:
        large = os.path.getsize(args.predictions) >= LARGE_PREDICTIONS_BYTES
    except OSError:  # unreadable: reading it below reports that, in one line
        large = False
    meteor = open_meteor(cfg.meteor, cfg.jobs, large)  # it loads while the inputs are read
    try:
        gts, pred = load_inputs(args)
        inputs, counts = build_inputs(
            [g.annotations for g in gts], pred.annotations, pred.report.unparseable, cfg
        )
        counts.extra = {**dict(pred.report.counts), **counts.extra}
        if counts.extra.get("beyond_max_proposals"):
            log.warning(
                "%d predicted segment(s) after the first %d of their video were not scored "
                "(--max-proposals)", counts.extra["beyond_max_proposals"], cfg.max_proposals,
            )  # fmt: skip
        for g in gts:  # GT counts (ends past the duration, ...) summed over the reference sets
            for key, n in g.report.counts.items():
                counts.extra[key] = counts.extra.get(key, 0) + n
            if g.report.skipped:
                counts.extra["gt_skipped_records"] = counts.extra.get(
                    "gt_skipped_records", 0
                ) + len(g.report.skipped)
    except BaseException:
        meteor.close()
        raise
    scores = score_videos(inputs, cfg, meteor)
    summary = summarize(scores, cfg)
    print(table(summary, counts, cfg))
    if args.out:
        out = Path(args.out)
        pv = None
        if args.per_video:
            pv = os.path.relpath(Path(args.per_video).resolve(), out.resolve().parent)
        files = {
            "meteor_backend": getattr(meteor, "description", type(meteor).__name__),
            "gt": ", ".join(Path(g).name for g in args.gt),
            "gt_sha256": ", ".join(sha256_file(g) for g in args.gt),
            "predictions": Path(args.predictions).name,
            "predictions_sha256": sha256_file(args.predictions),
        }
        write_atomic(out, results_json(summary, cfg, counts, inputs=files, per_video=pv))
    if args.per_video:
        write_atomic(Path(args.per_video), per_video_json(scores, cfg))
    from evaluation import multitrack_run

    if multitrack_run.wanted(args.multitrack, gts[0].annotations):
        mt = multitrack_run.run_multitrack(
            gts[0].annotations, pred.annotations, inputs, cfg, part_aware=args.part_aware
        )
        print(multitrack_run.table(mt))
        if args.out:
            multitrack_run.merge_into(Path(args.out), mt)
    if bert is not None:
        from evaluation.bertscore import soda_b_from_inputs
        from evaluation.sodab_files import merge_per_video, merge_results

        res = soda_b_from_inputs(inputs, bert, cfg)
        print(f"SODA(B) {res.score:.4f}  ({res.counted} videos, {bert.hash})")
        if args.out:
            merge_results(Path(args.out), res, bert.signature(), cfg.protocol)
        if args.per_video:
            merge_per_video(Path(args.per_video), res)
    log.info("scored %d videos in %.2f s", len(scores), time.perf_counter() - t0)
    return 0
