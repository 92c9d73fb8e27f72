"""The dense-annotation data model and every file format it travels in.

One definition, imported by the generator, the model and the evaluator:

- :class:`Segment` and :class:`DenseAnnotation` (frozen dataclasses);
- strict validation of ground truth, lenient-but-counted acceptance of predictions;
- readers and writers for five formats: ActivityNet Captions ground truth (``anet-gt``), ActivityNet
  submissions (``anet-pred``), DEMO start-time strings inside DEMO's released JSON lists (``demo``),
  and STMC timeline text (``stmc``).

Errors are :class:`AnnotationError`: one line naming the file, the record and the field.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compmo_gen.constants import FPS

Role = Literal["gt", "pred"]
FORMATS = ("anet-gt", "anet-pred", "demo", "stmc")
#: Tolerance (seconds) for "end <= duration" and contiguity checks.
TIME_TOL = 1e-6


class AnnotationError(ValueError):
    """A malformed annotation file: names the file, the record and the field in one line."""

    def __init__(
        self, file: str | os.PathLike[str], record: str | None, field: str | None, message: str
    ):
        self.file, self.record, self.field, self.message = str(file), record, field, message
        where = [self.file]
        if record is not None:
            where.append(f"record {record!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(": ".join(where + [message]))


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


# --------------------------------------------------------------------------- validation


def _number(value: Any, file: str, record: str, fld: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AnnotationError(file, record, fld, f"expected a number, got {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise AnnotationError(file, record, fld, f"time is not finite ({value})")
    return x


def validate_ground_truth(
    ann: DenseAnnotation, *, file: str | os.PathLike[str] = "<memory>"
) -> None:
    """Raise :class:`AnnotationError` unless ``ann`` is valid ground truth.

    Ground truth has at least one segment; each has finite times with
    ``0 <= start <= end <= duration`` (when the duration is known) and a non-empty caption.
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
        if ann.duration is not None and seg.end > ann.duration + TIME_TOL:
            raise AnnotationError(file, ann.id, fld, f"end {seg.end} > duration {ann.duration}")
        if not seg.caption.strip():
            raise AnnotationError(file, ann.id, fld, "empty caption")


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


# --------------------------------------------------------------------------- DEMO strings

# A segment start: a time at the beginning or after a space or comma, then "-" (spaces optional).
_TIME = r"\d{1,3}:\d{1,2}(?::\d{1,3}|\.\d+)"
_DEMO_START = re.compile(rf"(?:^|(?<=[\s,]))({_TIME})\s*-\s*")
# DEMO's own parser (eval/prepare.py), for the reference dialect.
_DEMO_REFERENCE = re.compile(r"(\d{2}:\d{2}:\d{1,3})\s*-\s*([^,]+(?:,[^,\d{2}]+)*)")


def format_demo_time(seconds: float, *, legacy: bool = False) -> str:
    """Write a time as DEMO's released files do: ``mm:ss:field``, field = integer ms printed ``%02d``.

    ``8.3 -> '00:08:300'``, ``4.099 -> '00:04:99'``, ``10.0 -> '00:10:00'``. The default truncates
    ``seconds * 1000`` with a 1e-6 ms tolerance, so a parsed time writes back byte-for-byte.
    ``legacy=True`` reproduces DEMO's generator arithmetic exactly,
    ``int((t - int(t)) * 1000)``, float artefacts included (7.55 -> ``00:07:549``).
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot write time {seconds} as mm:ss:ms")
    if legacy:
        mm, ss, ms = int(seconds // 60), int(seconds % 60), int((seconds - int(seconds)) * 1000)
    else:
        total = math.floor(seconds * 1000 + 1e-6)
        mm, ss, ms = total // 60000, (total // 1000) % 60, total % 1000
    return f"{mm:02d}:{ss:02d}:{ms:02d}"


def parse_demo_time(text: str) -> float:
    """Read ``mm:ss:field`` (field = integer milliseconds, so ``99`` is 0.099 s) or ``mm:ss.ss``."""
    text = text.strip()
    m = re.fullmatch(r"(\d+):(\d+)(?::(\d{1,3})|(\.\d+))?", text)
    if m is None:
        raise ValueError(f"not a mm:ss:ms time: {text!r}")
    mm, ss = int(m.group(1)), int(m.group(2))
    if m.group(3) is not None:
        return mm * 60 + ss + int(m.group(3)) / 1000.0
    return mm * 60 + ss + (float(m.group(4)) if m.group(4) else 0.0)


def format_demo_string(segments: Iterable[Segment], *, legacy_times: bool = False) -> str:
    """Join segments as ``'00:00:00 - a, 00:08:300 - b'`` (start times only).

    Captions that would not survive a round trip (empty, surrounding spaces, or a time followed by
    ``-`` that reads as a new segment start) raise ``ValueError``.
    """
    out = []
    for seg in segments:
        cap = seg.caption
        if not cap or cap != cap.strip():
            raise ValueError(f"caption {cap!r} cannot be written as a DEMO string")
        if _DEMO_START.search(cap):
            raise ValueError(f"caption {cap!r} contains 'mm:ss:ms -' and would split on reading")
        out.append(f"{format_demo_time(seg.start, legacy=legacy_times)} - {cap}")
    return ", ".join(out)


def _close_segments(
    starts: list[float], captions: list[str], duration: float | None
) -> tuple[Segment, ...]:
    ends = starts[1:] + [duration if duration is not None else math.nan]
    return tuple(Segment(s, e, c) for s, e, c in zip(starts, ends, captions, strict=True))


def parse_demo_string(
    text: str, duration: float | None, *, dialect: Literal["compmo", "demo"] = "compmo"
) -> tuple[Segment, ...] | None:
    """Parse a DEMO start-time string; each segment ends where the next starts, the last at ``duration``.

    Returns None when no timestamp parses (the caller counts it). ``dialect="demo"`` applies DEMO's
    own regular expression (captions after a comma stop at the first digit), for exact parity with
    its evaluation scripts; the default splits only at ``mm:ss:ms -`` (after a space or comma) and
    keeps any caption whole, commas and digits included, so written strings read back exactly
    (a caption's own trailing comma too, which DEMO's parser drops; the PTB tokenizer drops it
    anyway). Text before the first time is ignored. Use ``dialect="demo"`` to reproduce DEMO's
    published numbers on strings whose captions have digits after a comma.
    """
    if not isinstance(text, str):
        return None
    starts: list[float] = []
    captions: list[str] = []
    if dialect == "demo":
        for t, s in _DEMO_REFERENCE.findall(text):
            s = s.strip()
            starts.append(parse_demo_time(t))
            captions.append(s[:-1] if s.endswith(",") else s)
    else:
        matches = list(_DEMO_START.finditer(text))
        for i, m in enumerate(matches):
            stop = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            cap = text[m.end() : stop].strip()
            if i + 1 < len(matches) and cap.endswith(","):
                cap = cap[:-1].rstrip()  # the separator; a caption's own trailing comma survives
            starts.append(parse_demo_time(m.group(1)))
            captions.append(cap)
    if not starts:
        return None
    return _close_segments(starts, captions, duration)


# --------------------------------------------------------------------------- readers


def _load_json(path: Path) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for k, v in pairs:
            if k in seen:
                raise AnnotationError(path, k, None, "duplicate key")
            seen[k] = v
        return seen

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, object_pairs_hook=no_duplicates)
    except FileNotFoundError:
        raise AnnotationError(path, None, None, "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, None, None, f"not valid JSON ({exc})") from None


def _caption(value: Any, file: str, record: str, fld: str) -> str:
    if not isinstance(value, str):
        raise AnnotationError(file, record, fld, f"expected a string, got {type(value).__name__}")
    return value


def _anet_gt_record(vid: str, rec: Any, file: str) -> DenseAnnotation:
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
        None if rec.get("duration") is None else _number(rec["duration"], file, vid, "duration")
    )
    segs = []
    for i, (t, s) in enumerate(zip(ts, sents, strict=True)):
        if not isinstance(t, (list, tuple)) or len(t) != 2:
            raise AnnotationError(file, vid, f"timestamps[{i}]", "expected [start, end]")
        start = _number(t[0], file, vid, f"timestamps[{i}]")
        end = _number(t[1], file, vid, f"timestamps[{i}]")
        segs.append(Segment(start, end, _caption(s, file, vid, f"sentences[{i}]")))
    return DenseAnnotation(vid, duration, tuple(segs))


def _anet_pred_record(vid: str, rec: Any, file: str, duration: float | None) -> DenseAnnotation:
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
        start = _number(t[0], file, vid, f"[{i}].timestamp")
        end = _number(t[1], file, vid, f"[{i}].timestamp")
        segs.append(Segment(start, end, _caption(p.get("sentence"), file, vid, f"[{i}].sentence")))
    return DenseAnnotation(vid, duration, tuple(segs))


def _demo_record(
    rec: Any,
    index: int,
    file: str,
    role: Role,
    durations: Mapping[str, float] | None,
    motion_root: Path | None,
    fps: float,
    dialect: Literal["compmo", "demo"],
    report: ReadReport,
) -> DenseAnnotation:
    if not isinstance(rec, dict):
        raise AnnotationError(
            file, f"#{index}", None, "expected an object with id and gt/generated"
        )
    vid = rec.get("id")
    if not isinstance(vid, (str, int)) or isinstance(vid, bool):
        raise AnnotationError(file, f"#{index}", "id", "missing or not a string")
    vid = str(vid)
    key = "generated" if (role == "pred" and "generated" in rec) or "gt" not in rec else "gt"
    text = rec.get(key)
    if not isinstance(text, str):
        raise AnnotationError(file, vid, key, "missing or not a string")
    if durations is not None:
        if vid not in durations:
            raise AnnotationError(file, vid, "duration", "id not in the durations given")
        duration: float | None = float(durations[vid])
    elif motion_root is not None:
        duration = _duration_from_motion(rec, vid, file, motion_root, fps)
    else:
        raise AnnotationError(
            file, vid, "duration", "DEMO strings need durations (--durations or --motion-root)"
        )
    segs = parse_demo_string(text, duration, dialect=dialect)
    if segs is None:
        if role == "gt":
            raise AnnotationError(file, vid, key, "no parseable 'mm:ss:ms - caption' segment")
        report.unparseable.append(vid)
        segs = ()
    return DenseAnnotation(vid, duration, segs)


def _duration_from_motion(rec: dict, vid: str, file: str, root: Path, fps: float) -> float:
    rel = rec.get("motion") or f"{vid}.npy"
    path = resolve_under(root, str(rel), file=file, record=vid, field="motion")
    if not path.exists():
        path = root / f"{vid}.npy"
    if not path.exists():
        raise AnnotationError(file, vid, "motion", f"motion file not found under {root}")
    return _npy_frames(path) / fps


def _npy_frames(path: Path) -> int:
    import numpy as np

    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise AnnotationError(path, path.stem, None, f"unreadable motion ({exc})") from None
    return int(arr.shape[0])


def resolve_under(root: Path, rel: str, *, file: str, record: str, field: str) -> Path:
    """Resolve a path from a data file inside ``root``; absolute paths are reduced to their name.

    Raises :class:`AnnotationError` when the result would escape ``root`` (``..`` and the like).
    """
    root = root.resolve()
    p = Path(rel)
    candidate = (root / p.name) if p.is_absolute() else (root / p)
    candidate = candidate.resolve()
    if candidate != root and root not in candidate.parents:
        raise AnnotationError(file, record, field, f"path {rel!r} escapes its root {root}")
    return candidate


def read_durations(source: str | os.PathLike[str], fps: float = FPS) -> dict[str, float]:
    """Durations in seconds: from a ``{id: seconds}`` JSON file or a folder of ``<id>.npy`` motions."""
    path = Path(source)
    if path.is_dir():
        return {p.stem: _npy_frames(p) / fps for p in sorted(path.glob("*.npy"))}
    obj = _load_json(path)
    if not isinstance(obj, dict):
        raise AnnotationError(path, None, None, "expected an object {id: seconds}")
    out = {}
    for k, v in obj.items():
        d = _number(v, str(path), k, "duration")
        if d < 0:
            raise AnnotationError(path, k, "duration", f"negative duration {d}")
        out[k] = d
    return out


def _stmc_timelines(text: str, file: str) -> list[DenseAnnotation]:
    out: list[DenseAnnotation] = []
    segs: list[Segment] = []
    header: dict[str, str] = {}

    def flush() -> None:
        if segs or header:
            vid = header.get("id", str(len(out)))
            dur = header.get("duration")
            duration = None if dur is None else _number(_float_or_str(dur), file, vid, "duration")
            out.append(DenseAnnotation(vid, duration, tuple(segs)))
        segs.clear()
        header.clear()

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("##"):
            for item in line[2:].split():
                k, _, v = item.partition("=")
                header[k] = v
            continue
        fields = [x.strip() for x in line.split("#")]
        rec = header.get("id", str(len(out)))
        if len(fields) < 3:
            raise AnnotationError(
                file, rec, f"line {lineno}", "expected 'text # start # end [# part ...]'"
            )
        start = _number(_float_or_str(fields[1]), file, rec, f"line {lineno} start")
        end = _number(_float_or_str(fields[2]), file, rec, f"line {lineno} end")
        segs.append(Segment(start, end, fields[0], tuple(p for p in fields[3:] if p)))
    flush()
    return out


def _float_or_str(s: str) -> float | str:
    try:
        return float(s)
    except ValueError:
        return s


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of an annotation file from its content."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096).lstrip()
    except FileNotFoundError:
        raise AnnotationError(path, None, None, "file not found") from None
    except UnicodeDecodeError:
        raise AnnotationError(path, None, None, "not a text file") from None
    if head.startswith("["):
        return "demo"
    if head.startswith("{"):
        obj = _load_json(path)
        if isinstance(obj, dict) and "results" in obj:
            return "anet-pred"
        return "anet-gt"
    if "#" in head:
        return "stmc"
    raise AnnotationError(path, None, None, "unknown format (expected JSON or STMC timeline text)")


def load_annotations(
    path: str | os.PathLike[str],
    *,
    role: Role,
    fmt: str = "auto",
    durations: Mapping[str, float] | None = None,
    motion_root: str | os.PathLike[str] | None = None,
    fps: float = FPS,
    dialect: Literal["compmo", "demo"] = "compmo",
    lenient: bool = False,
) -> AnnotationSet:
    """Read an annotation file of any supported format.

    ``role="gt"`` validates strictly; ``role="pred"`` keeps reversed, zero-length, out-of-range
    segments and empty captions, counting them in the report. ``durations`` (or ``motion_root``, a
    folder holding the motions) closes the last segment of DEMO strings and, when given, overrides
    the file's own durations. ``lenient`` turns per-record errors into counted, reported skips.
    """
    path = Path(path)
    file = str(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise AnnotationError(
            path, None, None, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})"
        )
    report = ReadReport()
    root = None if motion_root is None else Path(motion_root)

    if fmt == "stmc":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise AnnotationError(path, None, None, "not a UTF-8 text file") from None
        raw: list[tuple[str, Any]] = [(a.id, a) for a in _stmc_timelines(text, file)]
    else:
        obj = _load_json(path)
        if fmt == "anet-gt":
            if not isinstance(obj, dict):
                raise AnnotationError(
                    path, None, None, "expected an object {id: {timestamps, sentences}}"
                )
            raw = list(obj.items())
        elif fmt == "anet-pred":
            if not isinstance(obj, dict) or not isinstance(obj.get("results"), dict):
                raise AnnotationError(path, None, "results", "missing or not an object {id: [...]}")
            raw = list(obj["results"].items())
        else:
            if not isinstance(obj, list):
                raise AnnotationError(path, None, None, "expected a list of {id, gt|generated}")
            raw = list(enumerate(obj))  # type: ignore[arg-type]

    out: dict[str, DenseAnnotation] = {}
    for key, rec in raw:
        report.records += 1
        try:
            if fmt == "stmc":
                ann = rec
            elif fmt == "anet-gt":
                ann = _anet_gt_record(key, rec, file)
            elif fmt == "anet-pred":
                ann = _anet_pred_record(key, rec, file, None)
            else:
                ann = _demo_record(rec, int(key), file, role, durations, root, fps, dialect, report)
            if durations is not None and fmt != "demo":
                if ann.id not in durations:
                    if role == "gt":
                        raise AnnotationError(
                            file, ann.id, "duration", "id not in the durations given"
                        )
                else:
                    ann = DenseAnnotation(ann.id, float(durations[ann.id]), ann.segments)
            if ann.id in out:
                raise AnnotationError(file, ann.id, "id", "duplicate id")
            if role == "gt":
                validate_ground_truth(ann, file=file)
            else:
                report.counts.update(prediction_anomalies(ann))
        except AnnotationError as exc:
            if not lenient:
                raise
            report.skipped.append(str(exc))
            report.note("skipped_records")
            continue
        out[ann.id] = ann
    return AnnotationSet(out, report, file, fmt)


# --------------------------------------------------------------------------- writers


def _anet_gt_entry(a: DenseAnnotation) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    if a.duration is not None:
        rec["duration"] = a.duration
    rec["timestamps"] = [[s.start, s.end] for s in a.segments]
    rec["sentences"] = [s.caption for s in a.segments]
    return rec


def to_anet_gt(annotations: Iterable[DenseAnnotation]) -> dict[str, Any]:
    """ActivityNet Captions ground truth ``{id: {duration, timestamps, sentences}}``."""
    return {a.id: _anet_gt_entry(a) for a in annotations}


def to_anet_submission(
    annotations: Iterable[DenseAnnotation], version: str = "VERSION 1.0"
) -> dict[str, Any]:
    """ActivityNet submission ``{version, results: {id: [{sentence, timestamp}]}, external_data}``."""
    results = {
        a.id: [{"sentence": s.caption, "timestamp": [s.start, s.end]} for s in a.segments]
        for a in annotations
    }
    return {"version": version, "results": results, "external_data": {"used": False, "details": ""}}


def _demo_entry(
    a: DenseAnnotation, role: Role, motion_template: str, legacy_times: bool
) -> dict[str, str]:
    for i in range(len(a.segments) - 1):
        if abs(a.segments[i].end - a.segments[i + 1].start) > TIME_TOL:
            raise ValueError(
                f"{a.id}: segment {i} is not contiguous with the next (DEMO strings keep starts only)"
            )
    if a.segments and a.duration is not None and abs(a.segments[-1].end - a.duration) > TIME_TOL:
        raise ValueError(
            f"{a.id}: the last segment must end at the duration (DEMO strings keep starts only)"
        )
    text = format_demo_string(a.segments, legacy_times=legacy_times)
    if role == "gt":
        return {"id": a.id, "motion": motion_template.format(id=a.id), "gt": text}
    return {"id": a.id, "generated": text}


def to_demo_records(
    annotations: Iterable[DenseAnnotation],
    *,
    role: Role,
    motion_template: str = "motions/{id}.npy",
    legacy_times: bool = False,
) -> list[dict[str, str]]:
    """DEMO's released lists: ``[{id, motion, gt}]`` (ground truth) or ``[{id, generated}]``.

    DEMO strings keep only start times, so segments must be contiguous and the last must end at
    the duration; anything else would be lost silently and raises ``ValueError`` instead.
    """
    return [_demo_entry(a, role, motion_template, legacy_times) for a in annotations]


def _stmc_block(a: DenseAnnotation, header: bool) -> str:
    lines = []
    if header:
        lines.append(f"## id={a.id}" + ("" if a.duration is None else f" duration={a.duration!r}"))
    for s in a.segments:
        if "#" in s.caption or "\n" in s.caption or s.caption != s.caption.strip() or not s.caption:
            raise ValueError(f"{a.id}: caption {s.caption!r} cannot be written as an STMC line")
        lines.append(" # ".join([s.caption, repr(float(s.start)), repr(float(s.end)), *s.parts]))
    return "\n".join(lines)


def to_stmc_text(annotations: Iterable[DenseAnnotation], *, header: bool = True) -> str:
    """STMC timelines: ``text # start # end # part ...`` lines, a blank line between timelines.

    With ``header`` each timeline starts with ``## id=<id> duration=<seconds>`` so ids survive.
    """
    return "".join(_stmc_chunks(annotations, header))


def _stmc_chunks(annotations: Iterable[DenseAnnotation], header: bool) -> Iterator[str]:
    for k, a in enumerate(annotations):
        yield ("\n\n" if k else "") + _stmc_block(a, header)
    yield "\n"


def _json_object_chunks(members: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """``json.dumps(dict(members), indent=1)`` piece by piece (byte-identical), then a newline."""
    empty = True
    for key, value in members:
        yield ("{" if empty else ",") + json.dumps({key: value}, indent=1, ensure_ascii=False)[1:-2]
        empty = False
    yield "{}\n" if empty else "\n}\n"


def _json_list_chunks(items: Iterable[Any]) -> Iterator[str]:
    """``json.dumps(list(items), indent=1)`` piece by piece (byte-identical), then a newline."""
    empty = True
    for item in items:
        yield ("[" if empty else ",") + json.dumps([item], indent=1, ensure_ascii=False)[1:-2]
        empty = False
    yield "[]\n" if empty else "\n]\n"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(path: str | os.PathLike[str], text: str | Iterable[str]) -> None:
    """Write text (or chunks of text, streamed) to ``path`` through a temporary file and a rename:
    never a half-written file, also when producing the chunks fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if isinstance(text, str):
                f.write(text)
            else:
                f.writelines(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_annotations(
    annotations: Iterable[DenseAnnotation],
    path: str | os.PathLike[str],
    *,
    fmt: str,
    role: Role = "gt",
    motion_template: str = "motions/{id}.npy",
) -> None:
    """Write annotations in ``fmt`` (see :data:`FORMATS`), atomically and deterministically.

    Ground truth, DEMO and STMC files are streamed record by record (memory stays bounded for
    large datasets); the bytes equal those of one ``json.dumps(..., indent=1)`` of the whole file.
    """
    chunks: Iterable[str]
    if fmt == "anet-gt":
        chunks = _json_object_chunks((a.id, _anet_gt_entry(a)) for a in annotations)
    elif fmt == "anet-pred":
        chunks = [json.dumps(to_anet_submission(annotations), indent=1, ensure_ascii=False) + "\n"]
    elif fmt == "demo":
        chunks = _json_list_chunks(
            _demo_entry(a, role, motion_template, False) for a in annotations
        )
    elif fmt == "stmc":
        chunks = _stmc_chunks(annotations, True)
    else:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    write_atomic(path, chunks)
