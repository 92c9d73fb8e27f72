"""`compmo-eval score`: DEMO's Table 2 metrics (all but SODA(B)) in one fast, reproducible run.

compmo-eval predictions.json --gt gt.json [--durations d.json | --motion-root DIR]
            [--protocol strict|demo] [--out results.json] [--per-video videos.jsonl]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import UserError
from compmo_gen.core.formats import FORMATS
from compmo_gen.core.io import sha256_file, write_atomic
from evaluation.protocol import MAX_PROPOSALS, OVERLAP_THRESHOLDS, TIOUS

if TYPE_CHECKING:
    from evaluation.scorer import EvalConfig

log = logging.getLogger(__name__)


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.replace(",", " ").split())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers, got {text!r}") from None
    if not values or any(not 0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected thresholds in [0, 1], got {text!r}")
    return values


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", help="predictions (ActivityNet submission or DEMO strings)")
    parser.add_argument("--gt", required=True, help="ground truth (ActivityNet or DEMO strings)")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--durations", help="{id: seconds} JSON closing DEMO strings' last segment")
    src.add_argument("--motion-root", help="folder of <id>.npy motions (duration = frames / fps)")
    parser.add_argument(
        "--fps", type=float, default=FPS, help="motion frame rate (default %(default)g)"
    )
    parser.add_argument(
        "--fmt", default="auto", choices=("auto", *FORMATS), help="predictions format"
    )
    parser.add_argument("--gt-fmt", default="auto", choices=("auto", *FORMATS), help="GT format")
    parser.add_argument(
        "--protocol",
        default="strict",
        choices=("strict", "demo"),
        help="strict (default): every GT video counts in every metric, missing/empty/unparseable "
        "predictions score 0; demo: DEMO's scripts exactly (SODA and overlap metrics only over "
        "videos with predictions)",
    )
    parser.add_argument(
        "--dialect",
        choices=("demo", "compmo"),
        help="DEMO-string parser (default: demo with --protocol demo, else compmo)",
    )
    parser.add_argument(
        "--garbage",
        default="random",
        choices=("random", "2018"),
        help="reference of unmatched predictions: a seeded random word (default) or the 2018 "
        "evaluator's 'abc123!@#' (changes METEOR only)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the garbage words")
    parser.add_argument("--tious", type=_floats, default=TIOUS, help="ActivityNet tIoUs")
    parser.add_argument(
        "--overlap-thresholds", type=_floats, default=OVERLAP_THRESHOLDS, help="F1 thresholds"
    )
    parser.add_argument("--max-proposals", type=int, default=MAX_PROPOSALS)
    parser.add_argument(
        "--jobs",
        type=int,
        default=max(1, min(4, os.cpu_count() or 1)),
        help="METEOR scoring threads (default: min(4, cores))",
    )
    add_backend_arguments(parser)
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="skip malformed records (counted in the report and logged) instead of failing; a "
        "skipped prediction counts as missing",
    )
    parser.add_argument("--out", help="write every metric, counts and the signature as JSON")
    parser.add_argument("--per-video", help="write per-video scores (JSON lines)")
    add_bertscore_arguments(parser)


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """``--tokenizer`` and ``--meteor``: native Python ports or pycocoevalcap's jars."""
    from evaluation.backends import CHOICES, DEFAULT_METEOR, DEFAULT_TOKENIZER

    parser.add_argument(
        "--tokenizer",
        choices=CHOICES,
        default=DEFAULT_TOKENIZER,
        help="PTB tokenizer: native (Python, the jar's tokens) or java (the CoreNLP jar); "
        "default %(default)s",
    )
    parser.add_argument(
        "--meteor",
        choices=CHOICES,
        default=DEFAULT_METEOR,
        help="METEOR 1.5: native (Python, the jar's scores) or java (meteor-1.5.jar); "
        "default %(default)s",
    )


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
    from evaluation.scorer import EvalConfig

    return EvalConfig(
        protocol=args.protocol,
        tious=tuple(args.tious),
        overlap_thresholds=tuple(args.overlap_thresholds),
        max_proposals=args.max_proposals,
        garbage=args.garbage,
        seed=args.seed,
        jobs=args.jobs,
        progress=not args.quiet,
        tokenizer=args.tokenizer,
        meteor=args.meteor,
    )


def run(args: argparse.Namespace) -> int:
    from evaluation.backends import needs_java, open_meteor
    from evaluation.inputs import load_inputs
    from evaluation.javatools import java_executable
    from evaluation.report import per_video_json, results_json, summarize, table
    from evaluation.scorer import build_inputs, score_videos

    t0 = time.perf_counter()
    if needs_java(args.tokenizer, args.meteor):
        java_executable()  # fail early, before reading anything
    bert = None
    if args.sodab:
        from evaluation.bertscore import BertScoreRecall

        bert = BertScoreRecall.from_args(args)  # a missing model fails before any file is read
    if args.jobs < 1 or args.max_proposals < 1:
        raise UserError("--jobs and --max-proposals must be >= 1")
    cfg = eval_config(args)
    meteor = open_meteor(cfg.meteor, cfg.jobs)  # a JVM loads while the inputs are read
    try:
        gt, pred = load_inputs(args)
        inputs, counts = build_inputs(
            gt.annotations, pred.annotations, pred.report.unparseable, cfg
        )
        counts.extra = dict(pred.report.counts)
        if gt.report.skipped:
            counts.extra["gt_skipped_records"] = len(gt.report.skipped)
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
            "gt": Path(args.gt).name,
            "gt_sha256": sha256_file(args.gt),
            "predictions": Path(args.predictions).name,
            "predictions_sha256": sha256_file(args.predictions),
        }
        write_atomic(out, results_json(summary, cfg, counts, inputs=files, per_video=pv))
    if args.per_video:
        write_atomic(Path(args.per_video), per_video_json(scores, cfg))
    if bert is not None:
        from evaluation.bertscore import soda_b_from_inputs
        from evaluation.sodab_files import merge_per_video, merge_results

        res = soda_b_from_inputs(inputs, bert, cfg)
        print(f"SODA(B) {res.score:.4f}  ({res.counted} videos, {bert.hash})")
        if args.out:
            merge_results(Path(args.out), res, bert.signature(), args.protocol)
        if args.per_video:
            merge_per_video(Path(args.per_video), res)
    log.info("scored %d videos in %.2f s", len(scores), time.perf_counter() - t0)
    return 0
