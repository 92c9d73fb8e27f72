"""DEMO start-time strings (``00:00:00 - walks, 00:05:200 - sits``) and DEMO's released JSON lists.

One reader for every DEMO string: ground truth in ``test.json``, model generations in
``generated.json``, and what ``compmo-infer`` parses before writing ``predictions.json``. Two dialects:

- ``compmo`` (default): a segment starts at ``mm:ss:ms -`` that is not glued to a longer number; captions are kept whole (commas, digits, `` - `` included) and text before the first
  time (quotes, "Sure, here is ...") never costs a segment, it is counted as ``leading_text``;
- ``demo``: DEMO's own regular expression (eval/prepare.py), for exact parity with its scripts; it cuts
  a caption at a digit after a comma, and the text it drops is counted as ``dropped_fragments``.

Multi-track extension (compmo dialect; docs/multitrack.md): a segment may give its end glued to its
start and its body parts in brackets, ``00:02:00-00:05:00 [right arm] - waves the right hand``, so
simultaneous segments can be written (:func:`format_demo_tracks`). A segment without an end still
ends where the next one starts; the classic form reads exactly as before.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import npy_frames, resolve_under
from compmo_gen.core.segments import TIME_TOL, DenseAnnotation, ReadReport, Role, Segment

Dialect = Literal["compmo", "demo"]
DIALECTS: tuple[str, ...] = ("compmo", "demo")

_TIME = r"\d{1,3}:\d{1,2}(?::\d{1,3}|\.\d+)"
# A segment start: a time not glued to a longer number (no digit, "digit:" or "." right before it),
# then "-" (spaces optional).
_DEMO_START = re.compile(rf"(?<![\d.])(?<!\d:)({_TIME})\s*-\s*")
# The multi-track form: start and end glued by "-", optional [parts], then "-".
_TRACK_START = re.compile(rf"(?<![\d.])(?<!\d:)({_TIME})-({_TIME})(?:\s*\[([^\[\]]*)\])?\s*-\s*")
# DEMO's own parser (eval/prepare.py), for the reference dialect.
_DEMO_REFERENCE = re.compile(r"(\d{2}:\d{2}:\d{1,3})\s*-\s*([^,]+(?:,[^,\d{2}]+)*)")


#: Largest time written as ``mm:ss:ms`` (a year: far past any motion, far below float overflow).
MAX_DEMO_SECONDS = 365 * 86400.0


def format_demo_time(seconds: float, *, legacy: bool = False) -> str:
    """Write a time as DEMO's released files do: ``mm:ss:field``, field = integer ms printed ``%02d``.

    ``8.3 -> '00:08:300'``, ``4.099 -> '00:04:99'``, ``10.0 -> '00:10:00'``. The default truncates
    ``seconds * 1000`` with a 1e-6 ms tolerance, so a parsed time writes back byte-for-byte.
    ``legacy=True`` reproduces DEMO's generator arithmetic exactly,
    ``int((t - int(t)) * 1000)``, float artefacts included (7.55 -> ``00:07:549``).
    """
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_DEMO_SECONDS:
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


def splits_demo_string(caption: str) -> bool:
    """True when ``caption`` holds ``mm:ss:ms -`` and would split into two segments when read
    back from a DEMO string (such captions cannot be written as one)."""
    return _DEMO_START.search(caption) is not None


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
        if splits_demo_string(cap):
            raise ValueError(f"caption {cap!r} contains 'mm:ss:ms -' and would split on reading")
        out.append(f"{format_demo_time(seg.start, legacy=legacy_times)} - {cap}")
    return ", ".join(out)


def format_demo_tracks(segments: Iterable[Segment], *, legacy_times: bool = False) -> str:
    """The multi-track form: ``'00:00:00-00:08:00 [legs] - walks, 00:02:00-00:05:00 [right arm] -
    waves'``, every segment with its end and (when it has some) its body parts, in (start, end)
    order. Raises ``ValueError`` like :func:`format_demo_string`, and for a part holding ``[``,
    ``]`` or ``,``."""
    out = []
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        cap = seg.caption
        if not cap or cap != cap.strip():
            raise ValueError(f"caption {cap!r} cannot be written as a DEMO string")
        if splits_demo_string(cap):
            raise ValueError(f"caption {cap!r} contains 'mm:ss:ms -' and would split on reading")
        if any(not p or set(p) & set("[],") or p != p.strip() for p in seg.parts):
            raise ValueError(f"parts {seg.parts!r} cannot be written in brackets")
        times = "-".join(format_demo_time(t, legacy=legacy_times) for t in (seg.start, seg.end))
        parts = f" [{', '.join(seg.parts)}]" if seg.parts else ""
        out.append(f"{times}{parts} - {cap}")
    return ", ".join(out)


def format_demo_answer(segments: Sequence[Segment], *, legacy_times: bool = False) -> str:
    """The classic start-time string, or the multi-track form when segments overlap in time."""
    from compmo_gen.core.tracks import has_overlap

    if has_overlap(segments):
        return format_demo_tracks(segments, legacy_times=legacy_times)
    return format_demo_string(segments, legacy_times=legacy_times)


@dataclass(frozen=True)
class Generation:
    """What one DEMO string parsed to: ``segments`` (None if no time parsed) and what was dropped."""

    segments: tuple[Segment, ...] | None
    dropped: Counter[str] = field(default_factory=Counter)


def _close_segments(
    starts: list[float],
    captions: list[str],
    duration: float | None,
    given: list[tuple[float | None, tuple[str, ...]]] | None = None,
) -> tuple[Segment, ...]:
    ends = starts[1:] + [duration if duration is not None else math.nan]
    if given is None:
        return tuple(Segment(s, e, c) for s, e, c in zip(starts, ends, captions, strict=True))
    return tuple(
        Segment(s, e if g[0] is None else g[0], c, g[1])
        for s, e, c, g in zip(starts, ends, captions, given, strict=True)
    )


def _parts(text: str | None, counts: Counter[str]) -> tuple[str, ...]:
    """Body parts in brackets (comma-separated, STMC names or aliases); unknown ones are dropped
    and counted as ``unknown_parts``."""
    from compmo_gen.core.tracks import normalize_part

    out = []
    for raw in (text or "").split(","):
        if not raw.strip():
            continue
        part = normalize_part(raw)
        if part is None:
            counts["unknown_parts"] += 1
        elif part not in out:
            out.append(part)
    return tuple(out)


def _starts(text: str) -> list[tuple[int, int, str, str | None, str | None]]:
    """Segment starts in ``text``: (span start, span end, start, end or None, parts or None)."""
    found = {m.start(): (m.start(), m.end(), m.group(1), m.group(2), m.group(3))
             for m in _TRACK_START.finditer(text)}  # fmt: skip
    for m in _DEMO_START.finditer(text):
        inside = any(a <= m.start() < b for a, b, *_ in found.values())
        if not inside:
            found[m.start()] = (m.start(), m.end(), m.group(1), None, None)
    return [found[k] for k in sorted(found)]


def _dropped(text: str, kept: list[tuple[int, int]]) -> int:
    """Fragments of ``text`` outside the ``kept`` spans that hold a letter or a digit."""
    n, pos = 0, 0
    for a, b in [*kept, (len(text), len(text))]:
        if re.search(r"[^\W_]", text[pos:a]):
            n += 1
        pos = max(pos, b)
    return n


def _checked_time(text: str, counts: Counter[str]) -> float:
    """:func:`parse_demo_time`, counting a seconds field of 60 or more (``00:60:689``, read as
    60.689 s, as DEMO's scripts do) as ``time_out_of_range``."""
    if int(text.split(":")[1].split(".")[0]) >= 60:
        counts["time_out_of_range"] += 1
    return parse_demo_time(text)


def read_generation(
    text: str, duration: float | None, *, dialect: Dialect = "compmo"
) -> Generation:
    """Parse a DEMO start-time string; each segment ends where the next starts, the last at
    ``duration``. The one reader of DEMO strings (ground truth and generations alike)."""
    if not isinstance(text, str):
        return Generation(None)
    starts: list[float] = []
    captions: list[str] = []
    dropped: Counter[str] = Counter()
    if dialect == "demo":
        spans = []
        for m in _DEMO_REFERENCE.finditer(text):
            s = m.group(2).strip()
            starts.append(_checked_time(m.group(1), dropped))
            captions.append(s[:-1] if s.endswith(",") else s)
            spans.append(m.span())
        if spans and re.search(r"[^\W_]", text[: spans[0][0]]):
            dropped["leading_text"] += 1
        between = _dropped(text, spans) - dropped["leading_text"] if spans else 0
        if between:
            dropped["dropped_fragments"] += between
    elif dialect == "compmo":
        matches = _starts(text)
        given = []
        for i, (_, m_end, t0, t1, parts) in enumerate(matches):
            stop = matches[i + 1][0] if i + 1 < len(matches) else len(text)
            cap = text[m_end:stop].strip()
            if i + 1 < len(matches) and cap.endswith(","):
                cap = cap[:-1].rstrip()  # the separator; a caption's own trailing comma survives
            starts.append(_checked_time(t0, dropped))
            captions.append(cap)
            given.append(
                (None if t1 is None else _checked_time(t1, dropped), _parts(parts, dropped))
            )
        if matches and re.search(r"[^\W_]", text[: matches[0][0]]):
            dropped["leading_text"] += 1
        if any(g != (None, ()) for g in given):
            return Generation(_close_segments(starts, captions, duration, given), dropped)
    else:
        raise ValueError(f"unknown DEMO-string dialect {dialect!r} (one of {', '.join(DIALECTS)})")
    if not starts:
        return Generation(None, dropped)
    return Generation(_close_segments(starts, captions, duration), dropped)


def parse_demo_string(
    text: str, duration: float | None, *, dialect: Dialect = "compmo"
) -> tuple[Segment, ...] | None:
    """The segments of a DEMO string (None when no timestamp parses); see :func:`read_generation`."""
    return read_generation(text, duration, dialect=dialect).segments


# --------------------------------------------------------------------------- DEMO JSON lists


def demo_record(
    rec: Any,
    index: int,
    file: str,
    role: Role,
    durations: Mapping[str, float] | None,
    motion_root: Path | None,
    fps: float,
    dialect: Dialect,
    report: ReadReport,
) -> DenseAnnotation:
    """One ``{id, motion, gt}`` / ``{id, generated}`` record of a DEMO list."""
    if not isinstance(rec, dict):
        raise AnnotationError(
            file, f"#{index}", None, "expected an object with id and gt/generated"
        )
    vid = rec.get("id")
    if not isinstance(vid, (str, int)) or isinstance(vid, bool):
        raise AnnotationError(file, f"#{index}", "id", "missing or not a string")
    vid = str(vid)
    if role == "gt":
        key = "gt"
    else:
        key = "generated" if "generated" in rec or "gt" not in rec else "gt"
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
    gen = read_generation(text, duration, dialect=dialect)
    if role == "gt" and gen.dropped["time_out_of_range"]:
        raise AnnotationError(file, vid, key, "a time's seconds field is 60 or more (mm:ss:ms)")
    report.counts.update(gen.dropped)
    if gen.segments is None:
        if role == "gt":
            raise AnnotationError(file, vid, key, "no parseable 'mm:ss:ms - caption' segment")
        report.unparseable.append(vid)
        return DenseAnnotation(vid, duration, ())
    return DenseAnnotation(vid, duration, gen.segments)


def _duration_from_motion(rec: dict, vid: str, file: str, root: Path, fps: float) -> float:
    rel = rec.get("motion") or f"{vid}.npy"
    path = resolve_under(root, str(rel), file=file, record=vid, field="motion")
    if not path.exists():  # the release's motion paths may not match: the id's file, confined too
        path = resolve_under(root, f"{vid}.npy", file=file, record=vid, field="id")
    if not path.exists():
        raise AnnotationError(file, vid, "motion", f"motion file not found under {root}")
    return npy_frames(path, record=vid) / fps


def demo_entry(
    a: DenseAnnotation, role: Role, motion_template: str, legacy_times: bool
) -> dict[str, str]:
    """One DEMO list record; raises ``ValueError`` when start times alone cannot hold ``a``.

    Segments that overlap in time are written in the multi-track form (ends and parts kept)."""
    from compmo_gen.core.tracks import has_overlap

    if has_overlap(a.segments):
        text = format_demo_tracks(a.segments, legacy_times=legacy_times)
        if role == "gt":
            return {"id": a.id, "motion": motion_template.format(id=a.id), "gt": text}
        return {"id": a.id, "generated": text}
    for i in range(len(a.segments) - 1):
        if abs(a.segments[i].end - a.segments[i + 1].start) > TIME_TOL:
            raise ValueError(
                f"{a.id}: segment {i} is not contiguous with the next (DEMO strings keep starts only)"
            )
    if a.segments and a.duration is None:
        raise ValueError(
            f"{a.id}: no duration, so the last segment's end would be lost (DEMO strings keep "
            "starts only; give --durations or --motion-root)"
        )
    if a.segments and abs(a.segments[-1].end - a.duration) > TIME_TOL:
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
    return [demo_entry(a, role, motion_template, legacy_times) for a in annotations]
