"""The inputs of a scoring run as the command line names them: ground truth and predictions read
with the protocol's DEMO-string dialect, skips logged, and predictions checked against the GT ids."""

from __future__ import annotations

import argparse
import logging

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import read_durations
from compmo_gen.core.formats.extra import align_prediction_ids, load_any
from compmo_gen.core.segments import AnnotationSet

log = logging.getLogger(__name__)


def check_ids(gts: list[AnnotationSet], pred: AnnotationSet) -> None:
    """Refuse predictions none of whose ids is in the ground truth (the wrong ``--gt``); warn loudly
    when only some are unknown (they are ignored and counted)."""
    known = {v for g in gts for v in g.annotations}
    unknown = [vid for vid in pred.annotations if vid not in known]
    where = ", ".join(g.source for g in gts)
    if pred.annotations and len(unknown) == len(pred.annotations):
        raise AnnotationError(
            pred.source,
            None,
            "id",
            f"none of its {len(unknown)} ids is in the ground truth {where} "
            f"(e.g. {unknown[0]!r}): wrong --gt?",
        )
    if unknown:
        log.warning(
            "%d of %d predicted ids are not in the ground truth %s and are ignored (e.g. %r)",
            len(unknown), len(pred.annotations), where, unknown[0],
        )  # fmt: skip


def load_inputs(args: argparse.Namespace) -> tuple[list[AnnotationSet], AnnotationSet]:
    """The reference sets and the predictions as the command line names them.

    Each ``--gt`` file gives one reference set (a ViTT file one per rater). Prediction ids are
    matched to the GT ids (a video-file extension dropped, ``v_`` added or removed: counted).
    Everything skipped, kept past the duration or normalised is counted and logged. Captions of
    any length are kept whole, as the reference evaluators score them (:mod:`evaluation.limits`).
    """
    dialect = args.dialect or ("demo" if args.protocol == "demo" else "compmo")
    durations = read_durations(args.durations, fps=args.fps) if args.durations else None
    common = dict(
        durations=durations,
        motion_root=args.motion_root,
        fps=args.fps,
        dialect=dialect,
        lenient=args.lenient,
    )
    gt_files = [args.gt] if isinstance(args.gt, str) else list(args.gt)
    gts: list[AnnotationSet] = []
    for path in gt_files:
        sets = load_any(
            path,
            role="gt",
            fmt=args.gt_fmt,
            past_duration=getattr(args, "past_duration", "keep"),
            subset=getattr(args, "gt_subset", None),
            **common,
        )
        for aset in sets:
            if not aset.annotations:
                raise AnnotationError(path, None, None, "no ground-truth videos")
        gts.extend(sets)
    pred = load_any(args.predictions, role="pred", fmt=args.fmt, **common)[0]
    align_prediction_ids(pred, {v for g in gts for v in g.annotations})
    check_ids(gts, pred)
    names = [f"reference set {k + 1}/{len(gts)}" if len(gts) > 1 else "ground truth"
             for k in range(len(gts))]  # fmt: skip
    for name, aset in [*zip(names, gts, strict=True), ("predictions", pred)]:
        log.info("%s: %s", name, aset.report.summary())
        if aset.report.max_past_duration:
            n = sum(aset.report.counts[k] for k in ("gt_end_past_duration", "gt_end_clipped",
                                                    "gt_start_past_duration"))  # fmt: skip
            log.warning(
                "%s (%s): %d segment(s) end after the video's duration, by up to %.4g s: %s",
                name, aset.source, n, aset.report.max_past_duration,
                "kept as given (as the reference evaluators, which never read the duration)"
                if aset.report.counts["gt_end_past_duration"] else "clipped to the duration"
                + (f" ({aset.report.counts['gt_start_past_duration']} starting after it kept)"
                   if aset.report.counts["gt_start_past_duration"] else ""),
            )  # fmt: skip
        for msg in aset.report.skipped:
            log.warning("skipped (%s): %s", name, msg)
    return gts, pred
