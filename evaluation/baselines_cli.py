"""`compmo-eval baselines DATASET`: write reference baseline predictions that `compmo-eval` scores."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from compmo_gen.annotations import AnnotationError, dump_annotations
from compmo_gen.cliutil import UserError
from compmo_gen.constants import FPS

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation.baselines import BASELINES

    parser.add_argument(
        "dataset", help="dataset folder built by compmo-gen (motions/, annotations/)"
    )
    parser.add_argument(
        "--baseline",
        choices=(*BASELINES, "all"),
        default="all",
        help="which baseline to run (default: all)",
    )
    parser.add_argument("--train-split", default="train", help="split the priors come from")
    parser.add_argument("--split", default="test", help="split to predict (default: test)")
    parser.add_argument(
        "--out-dir", default="results/baselines", help="where <baseline>_<split>.json go"
    )
    parser.add_argument(
        "--fps", type=float, default=FPS, help=f"motion frame rate (default {FPS:g})"
    )


def run(args: argparse.Namespace) -> int:
    from evaluation import baselines as bl

    root = Path(args.dataset)
    if not root.is_dir():
        raise UserError(f"{root}: dataset folder not found")
    train = bl.load_split(root, args.train_split)
    test = bl.load_split(root, args.split)
    which = bl.BASELINES if args.baseline == "all" else (args.baseline,)
    out_dir = Path(args.out_dir)
    gt_path = root / "annotations" / f"{args.split}.json"
    for name in which:
        try:
            if name == "uniform":
                prior = bl.caption_prior(train.values())
                log.info(
                    "uniform: %d segments (train mean %.3f), caption %r (%d times)",
                    prior.num_segments,
                    prior.mean_actions,
                    prior.caption,
                    prior.caption_count,
                )
                preds = bl.uniform_predictions(test.values(), prior)
            else:
                preds = bl.nn_oracle_predictions(
                    root, train, test, args.fps, progress=not args.quiet
                )
        except AnnotationError:
            raise
        except ValueError as exc:
            raise UserError(f"{root}: {name}: {exc}") from None
        out = out_dir / f"{name}_{args.split}.json"
        dump_annotations(preds, out, fmt="anet-pred", role="pred")
        print(f"wrote {out} ({len(preds)} videos); score it with:")
        print(
            f"  compmo-eval {out} --gt {gt_path} --out {out_dir / f'{name}_{args.split}.results.json'}"
        )
    return 0
