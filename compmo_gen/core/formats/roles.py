"""Which side of a comparison a file's content is on: ground truth, predictions or a result file.

Each detected format says it (``anet-gt``, ``youcook2``, ``vitt``: ground truth; ``anet-pred``,
``caption-pred``: predictions); a DEMO list says it record by record (``gt`` and/or
``generated``; DEMO's own files carry both in one record when predictions keep their reference).
A ``compmo-eval`` result file (``metrics`` with a ``signature`` or ``counts``) is neither.

:func:`check_role` turns a file read as one role but shaped as the other (predictions and ground
truth swapped, a result file given as predictions) into one :class:`AnnotationError`; it is applied
where the format was detected, so an explicit format reads a file as the caller says.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from compmo_gen.core.errors import AnnotationError

#: What a file's content holds: ``both`` is a DEMO list whose records carry ``gt`` and
#: ``generated`` (readable as either role); ``results`` is a compmo-eval result file.
Content = Literal["gt", "pred", "both", "results"]

_GT_FORMATS = {"anet-gt": "{id: {timestamps, sentences}}", "youcook2": "YouCook2's database",
               "vitt": "ViTT's rater annotations"}  # fmt: skip
_PRED_FORMATS = {"anet-pred": "an ActivityNet submission {results: ...}",
                 "caption-pred": "{video: [{timestamp, caption}]}"}  # fmt: skip


def is_result_file(obj: Any) -> bool:
    """A ``compmo-eval --out`` document: ``metrics`` (an object) beside a signature or counts."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("metrics"), dict)
        and ("signature" in obj or "counts" in obj)
    )


def demo_content(records: Any) -> Content | None:
    """``gt``, ``pred`` or ``both`` from the keys of a DEMO list's records (None if it has none)."""
    if not isinstance(records, list):
        return None
    gt = pred = False
    for rec in records:
        if isinstance(rec, dict):
            gt = gt or "gt" in rec
            pred = pred or "generated" in rec
            if gt and pred:
                return "both"
    return "pred" if pred else "gt" if gt else None


def content_of(obj: Any, fmt: str) -> tuple[Content | None, str]:
    """(what the parsed file ``obj`` of format ``fmt`` holds, a short description of its shape);
    ``(None, ...)`` where the content does not tell (STMC text, an empty list)."""
    if is_result_file(obj):
        return "results", "a compmo-eval result file (metrics, signature)"
    if fmt == "demo":
        content = demo_content(obj)
        keys = {"gt": "'gt'", "pred": "'generated'", "both": "'gt' and 'generated'"}
        return content, f"DEMO records with {keys.get(content or '', 'no')} strings"
    if fmt in _GT_FORMATS:
        return "gt", _GT_FORMATS[fmt]
    if fmt in _PRED_FORMATS:
        return "pred", _PRED_FORMATS[fmt]
    return None, fmt


def check_role(file: str | os.PathLike[str], obj: Any, fmt: str, role: str) -> None:
    """Raise :class:`AnnotationError` when ``obj`` (the file's parsed JSON, read as ``fmt``) is not
    what a ``role`` file holds: a result file, or ground truth read as predictions and vice versa."""
    content, shape = content_of(obj, fmt)
    want = "ground truth" if role == "gt" else "predictions"
    if content == "results":
        raise AnnotationError(file, None, None, f"is {shape}, not {want}")
    if content is None or content == "both" or content == role:
        return
    held = "ground truth" if content == "gt" else "predictions"
    raise AnnotationError(
        file, None, None,
        f"holds {held} ({shape}), not {want}: were the predictions and the ground truth "
        f"swapped? (name its format explicitly to read it as {want} anyway)",
    )  # fmt: skip
