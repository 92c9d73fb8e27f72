"""Multi-track annotations: body parts, overlap, tracks and display lanes (docs/multitrack.md).

A segment's ``parts`` are STMC body parts. Segments may overlap in time when they move disjoint
parts (a wave on the right arm while the legs walk). A **track** is one body part: the segments
that move it never overlap, so order holds within a track. Segments that name no part belong to
the :data:`WHOLE_BODY` track.
"""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.core.segments import TIME_TOL, Segment

#: STMC's body parts (nv-tlabs/stmc ``src/bptools.py``); "spine" is the torso.
PARTS: tuple[str, ...] = ("left arm", "right arm", "legs", "head", "spine")
#: Other spellings accepted on reading (lower case) and the part they mean.
PART_ALIASES: dict[str, str] = {
    "torso": "spine",
    "left_arm": "left arm",
    "right_arm": "right arm",
    "leg": "legs",
    "both legs": "legs",
}
#: The track of segments that name no body part.
WHOLE_BODY = "body"


def normalize_part(text: str) -> str | None:
    """The STMC name of a body part (case, ``_`` and aliases forgiven), None when unknown."""
    key = " ".join(text.strip().lower().replace("_", " ").split())
    key = PART_ALIASES.get(key, key)
    return key if key in PARTS else None


def overlap(a: Segment, b: Segment, tol: float = TIME_TOL) -> float:
    """Seconds that ``a`` and ``b`` share (0 when they only touch)."""
    d = min(a.end, b.end) - max(a.start, b.start)
    return d if d > tol else 0.0


def has_overlap(segments: Sequence[Segment], tol: float = TIME_TOL) -> bool:
    """Whether any two segments overlap in time by more than ``tol`` seconds."""
    order = sorted(segments, key=lambda s: (s.start, s.end))
    latest = None
    for s in order:
        if latest is not None and latest - s.start > tol:
            return True
        latest = s.end if latest is None else max(latest, s.end)
    return False


def concurrent_pairs(segments: Sequence[Segment]) -> list[tuple[int, int]]:
    """Index pairs of segments overlapping in time on disjoint, non-empty part sets."""
    out = []
    for i, a in enumerate(segments):
        for j in range(i + 1, len(segments)):
            b = segments[j]
            if a.parts and b.parts and not set(a.parts) & set(b.parts) and overlap(a, b):
                out.append((i, j))
    return out


def segment_tracks(seg: Segment) -> tuple[str, ...]:
    """The tracks of one segment: its parts, or :data:`WHOLE_BODY`."""
    return tuple(seg.parts) if seg.parts else (WHOLE_BODY,)


def tracks(segments: Sequence[Segment]) -> dict[str, list[int]]:
    """``{track: [segment index, ...]}`` in time order (a segment is in each of its parts)."""
    out: dict[str, list[int]] = {}
    for i in sorted(range(len(segments)), key=lambda k: (segments[k].start, segments[k].end)):
        for t in segment_tracks(segments[i]):
            out.setdefault(t, []).append(i)
    return out


def lanes(segments: Sequence[Segment], tol: float = TIME_TOL) -> list[int]:
    """A display row per segment: first fit in (start, end) order, so non-overlapping segments share
    row 0 and each simultaneous one goes to the first row free at its start."""
    ends: list[float] = []
    row = [0] * len(segments)
    for i in sorted(range(len(segments)), key=lambda k: (segments[k].start, -segments[k].end)):
        s = segments[i]
        for r, e in enumerate(ends):
            if e <= s.start + tol:
                ends[r] = s.end
                row[i] = r
                break
        else:
            ends.append(s.end)
            row[i] = len(ends) - 1
    return row
