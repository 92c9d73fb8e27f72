"""Prediction files of LLM dense captioners (TimeChat, VTimeLLM and their evaluation scripts).

``{"xHr8X2Wpmno.mp4": [{"timestamp": [s, e], "caption": str}, ...]}``, optionally wrapped in
ActivityNet's ``{"results": {...}}``; ``sentence`` may stand for ``caption``. Read as they are:
reversed or out-of-range segments are kept and counted as for any prediction; the use of
``caption`` is counted (``caption_field``); ids are matched to the ground truth's afterwards
(:func:`compmo_gen.core.formats.extra.align_prediction_ids`).
"""

from __future__ import annotations

from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.segments import DenseAnnotation, ReadReport, Segment
from compmo_gen.core.segments import as_caption as text
from compmo_gen.core.segments import as_time as number


def results_of(obj: Any) -> Any:
    return obj["results"] if isinstance(obj, dict) and isinstance(obj.get("results"), dict) else obj


def is_caption_predictions(obj: Any) -> bool:
    """``{video: [...]}`` (no ``results``), or ``results`` whose entries use ``caption``."""
    res = results_of(obj)
    if not isinstance(res, dict) or not res:
        return False
    if res is obj and all(isinstance(v, list) for v in res.values()):
        return True  # {video: [...]} without "results": predictions, whatever the field names
    first = next((v for v in res.values() if isinstance(v, list) and v), None)
    if first is None or not isinstance(first[0], dict) or "timestamp" not in first[0]:
        return False
    return "caption" in first[0] or res is obj


def read_caption_predictions(
    obj: Any, file: str, report: ReadReport
) -> list[tuple[str, DenseAnnotation | AnnotationError]]:
    res = results_of(obj)
    if not isinstance(res, dict):
        raise AnnotationError(
            file, None, None, "expected an object {video: [{timestamp, caption}]}"
        )
    out: list[tuple[str, DenseAnnotation | AnnotationError]] = []
    for vid, rec in res.items():
        try:
            if not isinstance(rec, list):
                raise AnnotationError(file, vid, None, "expected a list of {timestamp, caption}")
            segs = []
            for i, p in enumerate(rec):
                if not isinstance(p, dict):
                    raise AnnotationError(file, vid, f"[{i}]", "expected {timestamp, caption}")
                t = p.get("timestamp")
                if not isinstance(t, (list, tuple)) or len(t) != 2:
                    raise AnnotationError(
                        file, vid, f"[{i}].timestamp", "missing or not [start, end]"
                    )
                key = "sentence" if "sentence" in p else "caption"
                if key == "caption":
                    report.note("caption_field")
                segs.append(
                    Segment(
                        number(t[0], file, vid, f"[{i}].timestamp"),
                        number(t[1], file, vid, f"[{i}].timestamp"),
                        text(p.get(key), file, vid, f"[{i}].{key}"),
                    )
                )
            out.append((vid, DenseAnnotation(vid, None, tuple(segs))))
        except AnnotationError as exc:
            out.append((str(vid), exc))
    return out
