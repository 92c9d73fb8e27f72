"""The dense-annotation data model: :class:`Segment`, :class:`DenseAnnotation`, and what is valid.

Ground truth is validated strictly; predictions are accepted as the reference evaluators accept them
and their anomalies are counted (:func:`prediction_anomalies`). Readers report what they accepted but
flagged, and what they skipped, in a :class:`ReadReport`: nothing goes unreported.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from compmo_gen.core.errors import AnnotationError

Role = Literal["gt", "pred"]
#: Tolerance (seconds) for "end <= duration" and contiguity checks.
TIME_TOL = 1e-6


@dataclass(frozen=True)
class Segment:
    """One captioned interval, in seconds. ``parts`` are optional body parts (STMC timelines)."""

    start: float
    end: float
    caption: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class DenseAnnotation:
    """All segments of one motion. ``duration`` is None when the source does not give it."""

    id: str
    duration: float | None
    segments: tuple[Segment, ...]


@dataclass
class ReadReport:
    """What a reader accepted but flagged, and what it skipped (``lenient``). Nothing goes unreported."""

    records: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    unparseable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: The largest amount (s) by which a GT segment ended after its video's duration.
    max_past_duration: float = 0.0

    def note(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def summary(self) -> str:
        parts = [f"{self.records} records"]
        parts += [f"{k}: {v}" for k, v in sorted(self.counts.items()) if v]
        if self.unparseable:
            parts.append(f"unparseable: {len(self.unparseable)}")
        if self.skipped:
            parts.append(f"skipped: {len(self.skipped)}")
        return ", ".join(parts)


@dataclass
class AnnotationSet:
    """The result of reading one file: annotations in file order, plus the read report."""

    annotations: dict[str, DenseAnnotation]
    report: ReadReport
    source: str
    fmt: str


def as_time(value: Any, file: str, record: str, fld: str) -> float:
    """A JSON number as a finite float, else :class:`AnnotationError` naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AnnotationError(file, record, fld, f"expected a number, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise AnnotationError(file, record, fld, f"time is not finite ({value})")
    return x


def validate_ground_truth(
    ann: DenseAnnotation, *, file: str | os.PathLike[str] = "<memory>", check_duration: bool = True
) -> None:
    """Raise :class:`AnnotationError` unless ``ann`` is valid ground truth.

    Ground truth has at least one segment; each has finite times with
    ``0 <= start <= end <= duration`` (the last only when the duration is known and
    ``check_duration``; see :func:`apply_past_duration`) and a non-empty caption.
    """
    if ann.duration is not None and (not math.isfinite(ann.duration) or ann.duration < 0):
        raise AnnotationError(file, ann.id, "duration", f"invalid duration {ann.duration}")
    if not ann.segments:
        raise AnnotationError(file, ann.id, "segments", "ground truth needs at least one segment")
    for i, seg in enumerate(ann.segments):
        fld = f"segments[{i}]"
        if not (math.isfinite(seg.start) and math.isfinite(seg.end)):
            raise AnnotationError(file, ann.id, fld, "time is not finite")
        if seg.start < 0:
            raise AnnotationError(file, ann.id, fld, f"negative start {seg.start}")
        if seg.start > seg.end:
            raise AnnotationError(file, ann.id, fld, f"start {seg.start} > end {seg.end}")
        if check_duration and ann.duration is not None and seg.end > ann.duration + TIME_TOL:
            raise AnnotationError(file, ann.id, fld, f"end {seg.end} > duration {ann.duration}")
        if not seg.caption.strip():
            raise AnnotationError(file, ann.id, fld, "empty caption")


#: What happens to a GT segment ending after its video's duration (beyond :data:`TIME_TOL`).
PAST_DURATION_POLICIES = ("error", "keep", "clip")


def apply_past_duration(ann: DenseAnnotation, policy: str, report: ReadReport) -> DenseAnnotation:
    """Ground truth whose segments end after the duration, under ``policy``.

    ``keep``: the times as given (the reference evaluators never read ``duration``: this scores
    exactly as they do), counted as ``gt_end_past_duration``; ``clip``: such ends set to the
    duration, counted as ``gt_end_clipped``, except a segment that also *starts* after the
    duration, which cannot be clipped and is kept as given, counted as ``gt_start_past_duration``;
    ``error``: unchanged (``validate_ground_truth`` then refuses the record). The largest overrun
    goes to ``report.max_past_duration``.
    """
    dur = ann.duration
    if policy == "error" or dur is None or not math.isfinite(dur):
        return ann
    past = [
        i for i, s in enumerate(ann.segments) if math.isfinite(s.end) and s.end > dur + TIME_TOL
    ]
    if not past:
        return ann
    report.max_past_duration = max(
        report.max_past_duration, max(ann.segments[i].end - dur for i in past)
    )
    if policy == "keep":
        report.note("gt_end_past_duration", len(past))
        return ann
    clip = [i for i in past if ann.segments[i].start <= dur]
    if len(clip) < len(past):
        report.note("gt_start_past_duration", len(past) - len(clip))
    if not clip:
        return ann
    report.note("gt_end_clipped", len(clip))
    segs = list(ann.segments)
    for i in clip:
        s = segs[i]
        segs[i] = Segment(s.start, dur, s.caption, s.parts)
    return DenseAnnotation(ann.id, ann.duration, tuple(segs))


def prediction_anomalies(ann: DenseAnnotation) -> Counter[str]:
    """Count what a prediction contains that ground truth may not (kept: it scores as references do)."""
    c: Counter[str] = Counter()
    for seg in ann.segments:
        if seg.start > seg.end:
            c["reversed_segments"] += 1
        elif seg.start == seg.end:
            c["zero_length_segments"] += 1
        if seg.start < 0 or seg.end < 0:
            c["negative_times"] += 1
        if ann.duration is not None and max(seg.start, seg.end) > ann.duration + TIME_TOL:
            c["beyond_duration"] += 1
        if not seg.caption.strip():
            c["empty_captions"] += 1
    if not ann.segments:
        c["empty_predictions"] += 1
    return c


def unscored(gt: DenseAnnotation, pred: DenseAnnotation, max_proposals: int) -> Counter[str]:
    """What the scoring protocol passes over in one video's predictions: segments after the first
    ``max_proposals`` (never scored) and, where the predictions carry no duration of their own
    (:func:`prediction_anomalies` counts those that do), segments ending past the ground truth's
    duration (scored as given, as the reference evaluators do)."""
    c: Counter[str] = Counter()
    if len(pred.segments) > max_proposals:
        c["beyond_max_proposals"] = len(pred.segments) - max_proposals
    if pred.duration is None and gt.duration is not None:
        n = sum(max(s.start, s.end) > gt.duration + TIME_TOL for s in pred.segments)
        if n:
            c["beyond_gt_duration"] = n
    return c


def as_caption(value: Any, file: str, record: str, fld: str) -> str:
    """A caption string, else :class:`AnnotationError` naming the field."""
    if not isinstance(value, str):
        raise AnnotationError(file, record, fld, f"expected a string, got {type(value).__name__}")
    return value
