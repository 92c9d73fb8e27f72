"""Multi-track rendering: one timeline row per body part, in part colours, and the bones of the
parts that move at a frame drawn in their part's colour (the others grey)."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.composition.overlay import PART_JOINTS
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.core.tracks import PARTS, WHOLE_BODY, has_overlap, tracks

Color = tuple[int, int, int]
#: One colour per STMC body part (and the whole-body track).
PART_COLORS: dict[str, Color] = {
    "legs": (31, 119, 180),
    "right arm": (214, 39, 40),
    "left arm": (255, 127, 14),
    "head": (44, 160, 44),
    "spine": (148, 103, 189),
    WHOLE_BODY: (127, 127, 127),
}
#: Short row labels.
PART_LABELS: dict[str, str] = {
    "legs": "legs",
    "right arm": "R arm",
    "left arm": "L arm",
    "head": "head",
    "spine": "torso",
    WHOLE_BODY: "body",
}
IDLE: Color = (190, 190, 185)
#: Joints of each track (the whole body: every joint).
TRACK_JOINTS: dict[str, tuple[int, ...]] = {**PART_JOINTS, WHOLE_BODY: tuple(range(1, 22))}


def is_multitrack(gt: DenseAnnotation | None) -> bool:
    return gt is not None and has_overlap(gt.segments)


def part_rows(gt: DenseAnnotation) -> list[tuple[str, tuple[int, ...]]]:
    """``(track, segment indices)`` per body part present, in STMC order (whole body last)."""
    by = tracks(gt.segments)
    order = [p for p in (*PARTS, WHOLE_BODY) if p in by]
    return [(p, tuple(by[p])) for p in order]


def bone_colors(
    rows: Sequence[str], active: Sequence[int | None], sides: Sequence[int], shade
) -> list[Color]:  # noqa: ANN001
    """Per joint: the colour of the part it belongs to when that part's row has an active
    segment, else a light grey (so the moving parts stand out)."""
    out = [IDLE] * len(sides)
    for track, idx in zip(rows, active, strict=True):
        if idx is None:
            continue
        for j in TRACK_JOINTS[track]:
            out[j] = PART_COLORS[track]
    return [shade(c, int(s)) for c, s in zip(out, sides, strict=True)]
