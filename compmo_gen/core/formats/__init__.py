"""Every annotation file format, read and written through one pair of functions.

=============  ==================================================================================
``anet-gt``    ActivityNet Captions ground truth (:mod:`.anet`)
``anet-pred``  ActivityNet submission, optionally with compmo's raw-generation block (:mod:`.anet`)
``demo``       DEMO's released lists of start-time strings (:mod:`.demo`)
``stmc``       STMC timeline text (:mod:`.stmc`)
=============  ==================================================================================
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats.anet import (
    GenerationLog,
    anet_gt_entry,
    anet_gt_record,
    anet_pred_record,
    read_generation_log,
    to_anet_gt,
    to_anet_submission,
)
from compmo_gen.core.formats.demo import (
    DIALECTS,
    Dialect,
    demo_entry,
    demo_record,
    format_demo_answer,
    format_demo_string,
    format_demo_time,
    format_demo_tracks,
    parse_demo_string,
    parse_demo_time,
    read_generation,
    to_demo_records,
)
from compmo_gen.core.formats.roles import Content, check_role, content_of
from compmo_gen.core.formats.stmc import read_stmc, stmc_chunks, to_stmc_text
from compmo_gen.core.io import (
    first_text,
    json_list_chunks,
    json_object_chunks,
    load_json,
    npy_frames,
    read_text,
    write_atomic,
)
from compmo_gen.core.segments import (
    AnnotationSet,
    DenseAnnotation,
    ReadReport,
    Role,
    apply_past_duration,
    as_time,
    prediction_anomalies,
    validate_ground_truth,
)

__all__ = [
    "DIALECTS",
    "FORMATS",
    "Dialect",
    "GenerationLog",
    "check_records",
    "detect_format",
    "file_content",
    "dump_annotations",
    "format_demo_answer",
    "format_demo_string",
    "format_demo_tracks",
    "format_demo_time",
    "load_annotations",
    "parse_demo_string",
    "parse_demo_time",
    "read_durations",
    "read_generation",
    "to_anet_gt",
    "to_anet_submission",
    "to_demo_records",
    "to_stmc_text",
]

FORMATS = ("anet-gt", "anet-pred", "demo", "stmc")


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of an annotation file from its content."""
    return _detect(Path(path))[0]


def _detect(path: Path) -> tuple[str, Any]:
    """(the format of ``path``, its parsed JSON or None for text formats)."""
    head = first_text(path)
    if head.startswith("["):
        return "demo", load_json(path)
    if head.startswith("{"):
        obj = load_json(path)
        if isinstance(obj, dict) and "results" in obj:
            return "anet-pred", obj
        return "anet-gt", obj
    if "#" in head:
        return "stmc", None
    raise AnnotationError(path, None, None, "unknown format (expected JSON or STMC timeline text)")


def file_content(path: str | os.PathLike[str], fmt: str = "auto") -> tuple[str, Content | None]:
    """(the file's format, ``fmt`` or detected; what it holds: ``gt``, ``pred``, ``both`` (DEMO
    records with both strings), ``results`` or None (STMC text); see
    :func:`compmo_gen.core.formats.roles.content_of`)."""
    path = Path(path)
    if fmt == "auto":
        fmt, obj = _detect(path)
    else:
        obj = None if fmt == "stmc" else load_json(path)
    return fmt, None if obj is None else content_of(obj, fmt)[0]


def read_durations(source: str | os.PathLike[str], fps: float = FPS) -> dict[str, float]:
    """Durations in seconds: from a ``{id: seconds}`` JSON file or a folder of ``<id>.npy`` motions."""
    path = Path(source)
    if path.is_dir():
        return {p.stem: npy_frames(p) / fps for p in sorted(path.glob("*.npy"))}
    obj = load_json(path)
    if not isinstance(obj, dict):
        raise AnnotationError(path, None, None, "expected an object {id: seconds}")
    out = {}
    for k, v in obj.items():
        d = as_time(v, str(path), k, "duration")
        if d < 0:
            raise AnnotationError(path, k, "duration", f"negative duration {d}")
        out[k] = d
    return out


def _raw_records(
    path: Path, fmt: str, obj: Any = None
) -> tuple[list[tuple[Any, Any]], GenerationLog | None]:
    if fmt == "stmc":
        return [(a.id, a) for a in read_stmc(read_text(path), str(path))], None
    if obj is None:
        obj = load_json(path)
    if fmt == "anet-gt":
        if not isinstance(obj, dict):
            raise AnnotationError(
                path, None, None, "expected an object {id: {timestamps, sentences}}"
            )
        return list(obj.items()), None
    if fmt == "anet-pred":
        if not isinstance(obj, dict) or not isinstance(obj.get("results"), dict):
            raise AnnotationError(path, None, "results", "missing or not an object {id: [...]}")
        return list(obj["results"].items()), read_generation_log(obj, str(path))
    if not isinstance(obj, list):
        raise AnnotationError(path, None, None, "expected a list of {id, gt|generated}")
    return list(enumerate(obj)), None


def _from_log(
    vid: str, ann: DenseAnnotation, log: GenerationLog, dialect: Dialect, report: ReadReport
) -> DenseAnnotation:
    """A submission entry as the requested dialect reads the raw generation behind it."""
    text, duration = log.texts.get(vid, (None, None))
    if text is None or log.dialect == dialect:
        if vid in log.unparseable:
            report.unparseable.append(vid)
        return ann
    gen = read_generation(text, duration, dialect=dialect)
    report.counts.update(gen.dropped)
    if gen.segments is None:
        report.unparseable.append(vid)
        return DenseAnnotation(vid, duration, ())
    return DenseAnnotation(vid, duration, gen.segments)


def load_annotations(
    path: str | os.PathLike[str],
    *,
    role: Role,
    fmt: str = "auto",
    durations: Mapping[str, float] | None = None,
    motion_root: str | os.PathLike[str] | None = None,
    fps: float = FPS,
    dialect: Dialect = "compmo",
    lenient: bool = False,
    past_duration: str = "error",
) -> AnnotationSet:
    """Read an annotation file of any supported format.

    ``role="gt"`` validates strictly; ``role="pred"`` keeps reversed, zero-length, out-of-range
    segments and empty captions, counting them in the report. ``durations`` (or ``motion_root``, a
    folder holding the motions) closes the last segment of DEMO strings and, when given, overrides
    the file's own durations. ``lenient`` turns per-record errors into counted, reported skips.
    A submission written by ``compmo-infer`` is read as its raw generations read under ``dialect``.
    With ``fmt="auto"``, content of the other role (or a result file) is refused
    (:func:`compmo_gen.core.formats.roles.check_role`); an explicit ``fmt`` reads it as ``role``.
    ``past_duration``: what happens to GT segments ending after the duration
    (:func:`compmo_gen.core.segments.apply_past_duration`: ``error``, ``keep`` or ``clip``).
    """
    path = Path(path)
    file = str(path)
    obj = None
    if fmt == "auto":
        fmt, obj = _detect(path)
        if obj is not None:
            check_role(file, obj, fmt, role)
    if fmt not in FORMATS:
        raise AnnotationError(
            path, None, None, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})"
        )
    if dialect not in DIALECTS:
        raise AnnotationError(path, None, None, f"unknown dialect {dialect!r}")
    report = ReadReport()
    root = None if motion_root is None else Path(motion_root)
    raw, log = _raw_records(path, fmt, obj)

    def parse(key: Any, rec: Any) -> DenseAnnotation:
        if fmt == "stmc":
            return rec
        if fmt == "anet-gt":
            return anet_gt_record(key, rec, file)
        if fmt == "anet-pred":
            ann = anet_pred_record(key, rec, file, None)
            return ann if log is None else _from_log(key, ann, log, dialect, report)
        return demo_record(rec, int(key), file, role, durations, root, fps, dialect, report)

    parsers = (functools.partial(parse, key, rec) for key, rec in raw)
    return check_records(
        parsers, file, fmt, role, report, durations=None if fmt == "demo" else durations,
        lenient=lenient, past_duration=past_duration,
    )  # fmt: skip


def check_records(
    parsers: Iterable[Callable[[], DenseAnnotation]],
    file: str,
    fmt: str,
    role: Role,
    report: ReadReport,
    *,
    durations: Mapping[str, float] | None,
    lenient: bool,
    past_duration: str,
) -> AnnotationSet:
    """The one record loop of every reader: parse each record (a call raising
    :class:`AnnotationError` when it is unusable), give it its duration from ``durations`` (a GT id
    missing there is an error), refuse duplicate ids, validate ground truth (``past_duration``) or
    count prediction anomalies; ``lenient`` turns a record's error into a counted, reported skip."""
    out: dict[str, DenseAnnotation] = {}
    for parse in parsers:
        report.records += 1
        n_unparseable = len(report.unparseable)
        try:
            ann = parse()
            if durations is not None:
                if ann.id in durations:
                    ann = DenseAnnotation(ann.id, float(durations[ann.id]), ann.segments)
                elif role == "gt":
                    raise AnnotationError(file, ann.id, "duration", "id not in the durations given")
            if ann.id in out:
                raise AnnotationError(file, ann.id, "id", "duplicate id")
            if role == "gt":
                ann = apply_past_duration(ann, past_duration, report)
                validate_ground_truth(ann, file=file, check_duration=past_duration == "error")
            else:
                report.counts.update(prediction_anomalies(ann))
        except AnnotationError as exc:
            del report.unparseable[n_unparseable:]  # a skipped record is not also unparseable
            if not lenient:
                raise
            report.skipped.append(str(exc))
            report.note("skipped_records")
            continue
        out[ann.id] = ann
    return AnnotationSet(out, report, file, fmt)


def dump_annotations(
    annotations: Iterable[DenseAnnotation],
    path: str | os.PathLike[str],
    *,
    fmt: str,
    role: Role = "gt",
    motion_template: str = "motions/{id}.npy",
    generations: GenerationLog | None = None,
) -> None:
    """Write annotations in ``fmt`` (see :data:`FORMATS`), atomically and deterministically.

    Ground truth, DEMO and STMC files are streamed record by record (memory stays bounded for
    large datasets); the bytes equal those of one ``json.dumps(..., indent=1)`` of the whole file.
    """
    if fmt == "anet-gt":
        chunks: Iterable[str] = json_object_chunks((a.id, anet_gt_entry(a)) for a in annotations)
    elif fmt == "anet-pred":
        sub = to_anet_submission(annotations, generations=generations)
        chunks = [json.dumps(sub, indent=1, ensure_ascii=False) + "\n"]
    elif fmt == "demo":
        chunks = json_list_chunks(demo_entry(a, role, motion_template, False) for a in annotations)
    elif fmt == "stmc":
        chunks = stmc_chunks(annotations, True)
    else:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    write_atomic(path, chunks)
