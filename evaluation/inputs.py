"""The inputs of a scoring run as the command line names them: ground truth and predictions read
with the protocol's DEMO-string dialect, skips logged, and predictions checked against the GT ids."""

from __future__ import annotations

import argparse
import logging

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import load_annotations, read_durations
from compmo_gen.core.segments import AnnotationSet

log = logging.getLogger(__name__)


def check_ids(gt: AnnotationSet, pred: AnnotationSet) -> None:
    """Refuse predictions none of whose ids is in the ground truth (the wrong ``--gt``); warn loudly
    when only some are unknown (they are ignored and counted)."""
    unknown = [vid for vid in pred.annotations if vid not in gt.annotations]
    if pred.annotations and len(unknown) == len(pred.annotations):
        raise AnnotationError(
            pred.source,
            None,
            "id",
            f"none of its {len(unknown)} ids is in the ground truth {gt.source} "
            f"(e.g. {unknown[0]!r}): wrong --gt?",
        )
    if unknown:
        log.warning(
            "%d of %d predicted ids are not in the ground truth %s and are ignored (e.g. %r)",
            len(unknown), len(pred.annotations), gt.source, unknown[0],
        )  # fmt: skip


def load_inputs(args: argparse.Namespace) -> tuple[AnnotationSet, AnnotationSet]:
    """Ground truth and predictions as the command line names them; skips are logged."""
    dialect = args.dialect or ("demo" if args.protocol == "demo" else "compmo")
    durations = read_durations(args.durations, fps=args.fps) if args.durations else None
    common = dict(
        durations=durations,
        motion_root=args.motion_root,
        fps=args.fps,
        dialect=dialect,
        lenient=args.lenient,
    )
    gt = load_annotations(args.gt, role="gt", fmt=args.gt_fmt, **common)
    pred = load_annotations(args.predictions, role="pred", fmt=args.fmt, **common)
    if not gt.annotations:
        raise AnnotationError(args.gt, None, None, "no ground-truth videos")
    check_ids(gt, pred)
    for name, aset in (("ground truth", gt), ("predictions", pred)):
        log.info("%s: %s", name, aset.report.summary())
        for msg in aset.report.skipped:
            log.warning("skipped (%s): %s", name, msg)
    return gt, pred
