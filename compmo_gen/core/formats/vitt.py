"""ViTT (Video Timeline Tags, Huang et al. 2020) as released: ``ViTT-annotations.json``.

One record per annotation set, as a JSON list or as JSON lines:
``{"id": "FmTp", "annotations": [{"timestamp": 260, "tag": "Opening"}, ...]}``; ``timestamp`` is
a section's start in milliseconds; a video annotated by several raters has several records.
Sections are contiguous: each ends where the next starts, the last at the video's duration, which
the release does not give (pass ``--durations``; without it the file is refused, naming the
record). The k-th record of a video belongs to reference set k, so a video with three raters
is scored against three reference sets (``--multi-ref``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.core.segments import as_caption as text
from compmo_gen.core.segments import as_time as number


def is_vitt(obj: Any) -> bool:
    if not isinstance(obj, list) or not obj or not isinstance(obj[0], dict):
        return False
    anns = obj[0].get("annotations")
    return (
        "id" in obj[0]
        and isinstance(anns, list)
        and (not anns or (isinstance(anns[0], dict) and "tag" in anns[0]))
    )


def read_vitt(
    obj: Any, file: str, durations: Mapping[str, float] | None
) -> list[list[tuple[str, DenseAnnotation | AnnotationError]]]:
    """Reference sets: set k holds the k-th annotation record of every video that has one."""
    if not isinstance(obj, list):
        raise AnnotationError(
            file, None, None, "expected a list (or JSON lines) of {id, annotations}"
        )
    sets: list[list[tuple[str, DenseAnnotation | AnnotationError]]] = []
    seen: dict[str, int] = {}
    for index, rec in enumerate(obj):
        name = f"#{index}"
        try:
            if not isinstance(rec, dict):
                raise AnnotationError(file, name, None, "expected an object {id, annotations}")
            vid = rec.get("id")
            if not isinstance(vid, str):
                raise AnnotationError(file, name, "id", "missing or not a string")
            name = vid
            k = seen.get(vid, 0)
            seen[vid] = k + 1
            anns = rec.get("annotations")
            if not isinstance(anns, list):
                raise AnnotationError(file, vid, "annotations", "missing or not a list")
            starts, tags = [], []
            for i, a in enumerate(anns):
                if not isinstance(a, dict):
                    raise AnnotationError(
                        file, vid, f"annotations[{i}]", "expected {timestamp, tag}"
                    )
                starts.append(
                    number(a.get("timestamp"), file, vid, f"annotations[{i}].timestamp") / 1000
                )
                tags.append(text(a.get("tag"), file, vid, f"annotations[{i}].tag"))
            if durations is None or vid not in durations:
                raise AnnotationError(
                    file,
                    vid,
                    "duration",
                    "ViTT gives start times only: the last section ends at "
                    "the video's duration (--durations {id: seconds})",
                )
            duration = float(durations[vid])
            ends = starts[1:] + [duration] if starts else []  # no sections: an empty record
            segs = tuple(Segment(s, e, t) for s, e, t in zip(starts, ends, tags, strict=True))
            item: tuple[str, DenseAnnotation | AnnotationError] = (
                vid,
                DenseAnnotation(vid, duration, segs),
            )
        except AnnotationError as exc:
            k = 0 if name.startswith("#") else seen[name] - 1
            item = (name, exc)
        while len(sets) <= k:
            sets.append([])
        sets[k].append(item)
    return sets
