"""YouCook2's own annotation file (``youcookii_annotations_trainval.json``), as released.

``{"database": {video: {"duration": s, "subset": "training"|"validation", "recipe_type": str,
"video_url": str, "annotations": [{"id": int, "segment": [s, e], "sentence": str}, ...]}}}``.
Video ids are YouTube ids without ActivityNet's ``v_`` prefix (PDVC's converted ``yc2_val.json``
adds it; prediction ids are matched either way, counted).
"""

from __future__ import annotations

from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.segments import DenseAnnotation, ReadReport, Segment
from compmo_gen.core.segments import as_caption as text
from compmo_gen.core.segments import as_time as number


def is_youcook2(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("database"), dict)


def read_youcook2(
    obj: Any, file: str, report: ReadReport, subset: str | None = None
) -> list[tuple[str, DenseAnnotation | AnnotationError]]:
    """``(id, annotation or the error of that record)`` in file order; ``subset`` keeps only the
    videos of that subset (the others are counted as ``other_subset``)."""
    if not is_youcook2(obj):
        raise AnnotationError(file, None, "database", "missing or not an object {video: {...}}")
    out: list[tuple[str, DenseAnnotation | AnnotationError]] = []
    for vid, rec in obj["database"].items():
        try:
            if not isinstance(rec, dict):
                raise AnnotationError(file, vid, None, "expected an object with annotations")
            if subset is not None and rec.get("subset") != subset:
                report.note("other_subset")
                continue
            anns = rec.get("annotations")
            if not isinstance(anns, list):
                raise AnnotationError(file, vid, "annotations", "missing or not a list")
            duration = (
                None
                if rec.get("duration") is None
                else number(rec["duration"], file, vid, "duration")
            )
            segs = []
            for i, a in enumerate(anns):
                fld = f"annotations[{i}]"
                if not isinstance(a, dict):
                    raise AnnotationError(file, vid, fld, "expected {segment, sentence}")
                seg = a.get("segment")
                if not isinstance(seg, (list, tuple)) or len(seg) != 2:
                    raise AnnotationError(
                        file, vid, f"{fld}.segment", "missing or not [start, end]"
                    )
                start = number(seg[0], file, vid, f"{fld}.segment")
                end = number(seg[1], file, vid, f"{fld}.segment")
                segs.append(
                    Segment(start, end, text(a.get("sentence"), file, vid, f"{fld}.sentence"))
                )
            out.append((vid, DenseAnnotation(vid, duration, tuple(segs))))
        except AnnotationError as exc:
            out.append((str(vid), exc))
    return out
