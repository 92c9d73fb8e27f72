"""`compmo-eval baselines DATASET`: write reference baseline predictions that `compmo-eval` scores."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError, UserError
from compmo_gen.core.formats import dump_annotations

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation.baselines import BASELINES

    parser.add_argument(
        "dataset", nargs="?", help="dataset folder built by compmo-gen (motions/, annotations/)"
    )
    files = parser.add_argument_group("annotation files instead of a dataset's splits (uniform)")
    files.add_argument("--train-file", help="ground truth the priors come from (any format)")
    files.add_argument("--test-file", help="ground truth to predict (any format)")
    files.add_argument("--durations", help="{id: seconds} JSON closing DEMO strings")
    files.add_argument(
        "--dialect", choices=("compmo", "demo"), default="compmo", help="DEMO-string parser"
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


def _splits(args: argparse.Namespace):
    """(dataset root or None, train, test, GT path) from the folder or the explicit files."""
    from compmo_gen.core.formats import load_annotations, read_durations
    from evaluation import baselines as bl

    root = Path(args.dataset) if args.dataset else None
    if root is not None and not root.is_dir():
        raise UserError(f"{root}: dataset folder not found")
    if root is None and not (args.train_file and args.test_file):
        raise UserError("give a dataset folder, or --train-file and --test-file")
    durations = read_durations(args.durations, fps=args.fps) if args.durations else None

    def load(path: str | None, split: str):
        if path is None:
            return bl.load_split(root, split), root / "annotations" / f"{split}.json"
        kw = dict(durations=durations, fps=args.fps, dialect=args.dialect)
        return load_annotations(path, role="gt", **kw).annotations, Path(path)

    train, _ = load(args.train_file, args.train_split)
    test, gt_path = load(args.test_file, args.split)
    return root, train, test, gt_path


def run(args: argparse.Namespace) -> int:
    from evaluation import baselines as bl

    root, train, test, gt_path = _splits(args)
    which = bl.BASELINES if args.baseline == "all" else (args.baseline,)
    if root is None and "nn-oracle" in which:
        if args.baseline == "nn-oracle":
            raise UserError("nn-oracle needs a dataset folder with motions/")
        which = ("uniform",)
    out_dir = Path(args.out_dir)
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
            raise UserError(f"{root or args.train_file}: {name}: {exc}") from None
        out = out_dir / f"{name}_{args.split}.json"
        dump_annotations(preds, out, fmt="anet-pred", role="pred")
        print(f"wrote {out} ({len(preds)} videos); score it with:")
        res = out_dir / f"{name}_{args.split}"
        print(
            f"  compmo-eval {out} --gt {gt_path} --out {res}.results.json --per-video {res}.per_video.jsonl"
        )
    return 0
