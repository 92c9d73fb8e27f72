"""`compmo-eval sodab PRED --gt GT`: SODA(B), optionally merged into `compmo-eval`'s outputs.

Takes the options of ``compmo-eval score``. With ``--out FILE`` (a ``compmo-eval --out`` file) the SODA(B) numbers and the BERTScore
settings are added to that file's ``metrics`` and ``signature``; with ``--per-video FILE`` each
video's SODA(B) (P, R, F) is added to that JSON-lines file's records (created when absent).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from compmo_gen.core.errors import UserError
from compmo_gen.core.io import sha256_file

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation import score_cli

    score_cli.configure(parser)  # the same inputs, protocol and BERTScore options as `score`
    parser.set_defaults(out=None, per_video=None)
    for action in parser._actions:
        if action.dest == "out":
            action.help = "results.json of `compmo-eval --out`: SODA(B) is added to it (or created)"
        elif action.dest == "per_video":
            action.help = "per-video JSON lines: SODA(B) is added to each record (or created)"
        elif action.dest == "sodab":
            action.help = argparse.SUPPRESS  # this command always computes SODA(B)


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.io import check_outputs
    from evaluation.bertscore import BertScoreRecall, soda_b
    from evaluation.inputs import load_inputs
    from evaluation.javatools import java_executable
    from evaluation.score_cli import eval_config
    from evaluation.sodab_files import merge_per_video, merge_results

    cfg = eval_config(args)
    if cfg.tokenizer == "java":
        java_executable()
    scorer = BertScoreRecall.from_args(args)  # fails fast, before any file is read
    check_outputs(args.out, args.per_video)
    gts, pred = load_inputs(args)
    if len(gts) != 1:
        raise UserError("SODA(B) takes one reference set (--gt with one file)")
    gt = gts[0]
    res = soda_b(gt.annotations, pred.annotations, scorer, unparseable=pred.report.unparseable,
                 cfg=cfg)  # fmt: skip
    print(
        f"SODA(B) {res.score:.4f}  (P {res.precision:.4f}, R {res.recall:.4f}; x100, "
        f"{res.counted} videos, {scorer.hash})"
    )
    if args.out:
        inputs = {
            "gt_sha256": sha256_file(args.gt[0]),
            "predictions_sha256": sha256_file(args.predictions),
        }
        merge_results(Path(args.out), res, {**scorer.signature(), **inputs}, cfg.protocol)
        print(f"added SODA(B) to {args.out}")
    if args.per_video:
        merge_per_video(Path(args.per_video), res)
        print(f"added per-video SODA(B) to {args.per_video}")
    return 0
