"""Placing HumanML3D clips on their AMASS source, and BABEL labels on the clips.

HumanML3D's ``index.csv`` (``source_path,start_frame,end_frame,new_name``, frames at 20 fps) cuts
clips out of AMASS sequences after some sources had their first seconds removed (HumanML3D's
``raw_pose_processing``): Eyes_Japan_Dataset and MPI_HDM05 3 s, TotalCapture and MPI_Limits 1 s,
Transitions_mocap 0.5 s. A clip thus covers ``[start_frame/20 + cut, end_frame/20 + cut]`` seconds of
its AMASS sequence. humanact12 clips have no AMASS source. Mirrored clips (``M`` + id) share their
original's row; their label text has left and right swapped.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compmo_gen.babel.reader import BabelLabel, amass_key
from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import read_text

#: Seconds HumanML3D removed from the start of these AMASS sources before indexing.
CUTS: tuple[tuple[str, float], ...] = (
    ("Eyes_Japan_Dataset", 3.0),
    ("MPI_HDM05", 3.0),
    ("TotalCapture", 1.0),
    ("MPI_Limits", 1.0),
    ("Transitions_mocap", 0.5),
)
INDEX_FIELDS = ("source_path", "start_frame", "end_frame", "new_name")
#: A label shorter than this after clipping (one frame at 20 fps) is dropped.
MIN_LABEL_S = 1.0 / FPS


@dataclass(frozen=True)
class ClipPlacement:
    """Where HumanML3D clip ``hid`` lies in its AMASS sequence (seconds, cut included)."""

    hid: str
    source: str  # AMASS key, e.g. "CMU/141/141_05_poses"
    start: float
    end: float | None  # None: to the end of the sequence (end_frame -1)
    cut: float


def cut_seconds(source: str) -> float:
    """The seconds HumanML3D cut from the start of ``source`` before indexing (0 for most)."""
    for name, cut in CUTS:
        if name in source:
            return cut
    return 0.0


def read_index(path: str | Path) -> tuple[dict[str, ClipPlacement], set[str], Counter]:
    """HumanML3D's ``index.csv`` -> placements by clip id, the ids of the skipped humanact12 rows,
    and counts."""
    path = Path(path)
    counts: Counter = Counter()
    out: dict[str, ClipPlacement] = {}
    humanact12: set[str] = set()
    text = read_text(path)  # a regular UTF-8 file (a byte-order mark dropped), else one line
    reader = csv.DictReader(text.splitlines())
    missing = [f for f in INDEX_FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise AnnotationError(
            path, "header", missing[0], f"missing column (need {', '.join(INDEX_FIELDS)})"
        )
    for n, row in enumerate(reader, 2):
        rec = f"row {n}"
        name = (row.get("new_name") or "").strip()
        hid = name.removesuffix(".npy")
        if not hid:
            raise AnnotationError(path, rec, "new_name", "empty")
        source = amass_key((row.get("source_path") or "").strip())
        source = source.removeprefix("pose_data/")
        if "humanact12" in source:
            counts["index_rows_humanact12_skipped"] += 1
            humanact12.add(hid)
            continue
        try:
            a, b = int(row["start_frame"]), int(row["end_frame"])
        except (TypeError, ValueError):
            raise AnnotationError(path, rec, "start_frame/end_frame", "expected integers") from None
        if a < 0 or (b != -1 and b <= a):
            raise AnnotationError(path, rec, "end_frame", f"bad frame range {a}..{b}")
        if hid in out:
            raise AnnotationError(path, rec, "new_name", f"{hid} placed twice")
        cut = cut_seconds(source)
        counts["index_rows"] += 1
        if cut:
            counts[f"index_rows_cut_{cut:g}s"] += 1
        out[hid] = ClipPlacement(
            hid, source, a / FPS + cut, None if b == -1 else b / FPS + cut, cut
        )
    return out, humanact12, counts


_SWAPS = {
    "left": "right",
    "right": "left",
    "clockwise": "counterclockwise",
    "counterclockwise": "clockwise",
    "anticlockwise": "clockwise",
    "counter-clockwise": "clockwise",
}
_SWAP_RE = re.compile(
    r"\b(counter-clockwise|counterclockwise|anticlockwise|clockwise|left|right)\b", re.I
)


def swap_left_right(text: str) -> str:
    """The label of a left-right mirror: left<->right, clockwise<->counterclockwise (case kept)."""

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        new = _SWAPS[word.lower()]
        return new.capitalize() if word[0].isupper() else new

    return _SWAP_RE.sub(repl, text)


@dataclass(frozen=True)
class LocalLabel:
    """A BABEL label on a clip: clip-local seconds, the label, and whether clipping changed it."""

    start: float
    end: float
    label: BabelLabel
    clipped: bool


def place_labels(
    labels: Iterable[BabelLabel], clip_start: float, clip_duration: float, counts: Counter
) -> list[LocalLabel]:
    """Labels in clip time (``t - clip_start``) clipped to ``[0, clip_duration]``.

    Labels that do not overlap the clip by at least one frame are dropped (``labels_outside_clip``);
    labels cut at a clip end are counted (``labels_clipped``).
    """
    out = []
    for lab in labels:
        a, b = lab.start - clip_start, lab.end - clip_start
        ca, cb = max(a, 0.0), min(b, clip_duration)
        if cb - ca < MIN_LABEL_S - 1e-9:
            counts["labels_outside_clip"] += 1
            continue
        clipped = ca != a or cb != b
        counts["labels_clipped"] += int(clipped)
        counts["labels_placed"] += 1
        out.append(LocalLabel(round(ca, 6), round(cb, 6), lab, clipped))
    return out
