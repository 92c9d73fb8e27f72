"""ActivityNet Captions files: ground truth ``{id: {duration, timestamps, sentences}}`` and
submissions ``{version, results: {id: [{sentence, timestamp}]}, external_data}``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.segments import DenseAnnotation, Segment, as_caption, as_time


def anet_gt_record(vid: str, rec: Any, file: str) -> DenseAnnotation:
    """One ground-truth record (times and captions checked for type; validity is checked later)."""
    if not isinstance(rec, dict):
        raise AnnotationError(file, vid, None, "expected an object with timestamps and sentences")
    for key in ("timestamps", "sentences"):
        if not isinstance(rec.get(key), list):
            raise AnnotationError(file, vid, key, "missing or not a list")
    ts, sents = rec["timestamps"], rec["sentences"]
    if len(ts) != len(sents):
        raise AnnotationError(
            file, vid, "sentences", f"{len(sents)} sentences for {len(ts)} timestamps"
        )
    duration = (
        None if rec.get("duration") is None else as_time(rec["duration"], file, vid, "duration")
    )
    segs = []
    for i, (t, s) in enumerate(zip(ts, sents, strict=True)):
        if not isinstance(t, (list, tuple)) or len(t) != 2:
            raise AnnotationError(file, vid, f"timestamps[{i}]", "expected [start, end]")
        start = as_time(t[0], file, vid, f"timestamps[{i}]")
        end = as_time(t[1], file, vid, f"timestamps[{i}]")
        segs.append(Segment(start, end, as_caption(s, file, vid, f"sentences[{i}]")))
    if rec.get("parts") is not None:  # multi-track ground truth: body parts per segment
        parts = rec["parts"]
        if not isinstance(parts, list) or len(parts) != len(segs):
            raise AnnotationError(file, vid, "parts", "expected one list of body parts per segment")
        segs = [
            Segment(s.start, s.end, s.caption, read_parts(p, file, vid, f"parts[{i}]"))
            for i, (s, p) in enumerate(zip(segs, parts, strict=True))
        ]
    return DenseAnnotation(vid, duration, tuple(segs))


def read_parts(value: Any, file: str, record: str, fld: str) -> tuple[str, ...]:
    """A list of STMC body parts (aliases such as ``torso`` accepted), else AnnotationError."""
    from compmo_gen.core.tracks import PARTS, normalize_part

    if not isinstance(value, list):
        raise AnnotationError(file, record, fld, "expected a list of body parts")
    out = []
    for k, item in enumerate(value):
        part = normalize_part(item) if isinstance(item, str) else None
        if part is None:
            raise AnnotationError(
                file,
                record,
                f"{fld}[{k}]",
                f"unknown body part {item!r} (one of {', '.join(PARTS)})",
            )
        out.append(part)
    return tuple(out)


def anet_pred_record(vid: str, rec: Any, file: str, duration: float | None) -> DenseAnnotation:
    """One submission entry: a list of ``{sentence, timestamp}``."""
    if not isinstance(rec, list):
        raise AnnotationError(file, vid, None, "expected a list of {sentence, timestamp}")
    segs = []
    for i, p in enumerate(rec):
        if not isinstance(p, dict):
            raise AnnotationError(
                file, vid, f"[{i}]", "expected an object with sentence and timestamp"
            )
        t = p.get("timestamp")
        if not isinstance(t, (list, tuple)) or len(t) != 2:
            raise AnnotationError(file, vid, f"[{i}].timestamp", "missing or not [start, end]")
        start = as_time(t[0], file, vid, f"[{i}].timestamp")
        end = as_time(t[1], file, vid, f"[{i}].timestamp")
        parts = p.get("parts")
        segs.append(
            Segment(
                start,
                end,
                as_caption(p.get("sentence"), file, vid, f"[{i}].sentence"),
                () if parts is None else read_parts(parts, file, vid, f"[{i}].parts"),
            )
        )
    return DenseAnnotation(vid, duration, tuple(segs))


def anet_gt_entry(a: DenseAnnotation) -> dict[str, Any]:
    """One ground-truth record (``duration`` only when known)."""
    rec: dict[str, Any] = {}
    if a.duration is not None:
        rec["duration"] = a.duration
    rec["timestamps"] = [[s.start, s.end] for s in a.segments]
    rec["sentences"] = [s.caption for s in a.segments]
    from compmo_gen.core.tracks import has_overlap

    if has_overlap(
        a.segments
    ):  # multi-track: the body parts that let simultaneous segments be told apart
        rec["parts"] = [list(s.parts) for s in a.segments]
    return rec


def to_anet_gt(annotations: Iterable[DenseAnnotation]) -> dict[str, Any]:
    """ActivityNet Captions ground truth ``{id: {duration, timestamps, sentences}}``."""
    return {a.id: anet_gt_entry(a) for a in annotations}


def to_anet_submission(
    annotations: Iterable[DenseAnnotation],
    version: str = "VERSION 1.0",
    *,
    generations: GenerationLog | None = None,
) -> dict[str, Any]:
    """ActivityNet submission ``{version, results: {id: [{sentence, timestamp}]}, external_data}``.

    With ``generations`` (what ``compmo-infer`` parsed) the raw texts, their durations, the parser
    dialect and the ids that did not parse are kept under the extra key ``"compmo"``, which the
    reference evaluators ignore and :func:`read_generation_log` restores.
    """
    from compmo_gen.core.tracks import has_overlap

    results = {}
    for a in annotations:  # parts only where segments overlap (multi-track), as in GT records
        multi = has_overlap(a.segments)
        results[a.id] = [
            {"sentence": s.caption, "timestamp": [s.start, s.end]}
            | ({"parts": list(s.parts)} if multi and s.parts else {})
            for s in a.segments
        ]
    out = {"version": version, "results": results, "external_data": {"used": False, "details": ""}}
    if generations is not None:
        out[GENERATION_KEY] = generations.to_json()
    return out


#: The extra top-level key of a submission that carries the raw generations.
GENERATION_KEY = "compmo"


@dataclass(frozen=True)
class GenerationLog:
    """Raw model generations behind a submission: ``{id: (text, duration)}``, the dialect that parsed
    them, and the ids that did not parse (their ``results`` entry is an empty list)."""

    dialect: str
    texts: dict[str, tuple[str, float | None]]
    unparseable: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "parser": self.dialect,
            "unparseable": list(self.unparseable),
            "generated": {k: {"text": t, "duration": d} for k, (t, d) in self.texts.items()},
        }


def read_generation_log(obj: Any, file: str) -> GenerationLog | None:
    """The ``"compmo"`` block of a submission, validated (None when absent)."""
    block = obj.get(GENERATION_KEY) if isinstance(obj, dict) else None
    if block is None:
        return None
    if not isinstance(block, dict):
        raise AnnotationError(file, None, GENERATION_KEY, "expected an object")
    dialect, bad, gen = (
        block.get("parser"),
        block.get("unparseable", []),
        block.get("generated", {}),
    )
    if not isinstance(dialect, str):
        raise AnnotationError(file, None, f"{GENERATION_KEY}.parser", "missing or not a string")
    if not isinstance(bad, list) or not all(isinstance(x, str) for x in bad):
        raise AnnotationError(file, None, f"{GENERATION_KEY}.unparseable", "not a list of ids")
    if not isinstance(gen, dict):
        raise AnnotationError(file, None, f"{GENERATION_KEY}.generated", "not an object")
    texts: dict[str, tuple[str, float | None]] = {}
    for vid, rec in gen.items():
        fld = f"{GENERATION_KEY}.generated"
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise AnnotationError(file, vid, fld, "expected {text, duration}")
        d = rec.get("duration")
        texts[vid] = (rec["text"], None if d is None else as_time(d, file, vid, f"{fld}.duration"))
    return GenerationLog(dialect, texts, tuple(bad))
