"""Dense-captioning files as the field releases them, beside compmo's own formats.

- ``youcook2``: YouCook2's ``youcookii_annotations_trainval.json`` (:mod:`.youcook2`);
- ``vitt``: ViTT's ``ViTT-annotations.json``, one reference set per rater (:mod:`.vitt`);
- ``caption-pred``: TimeChat/VTimeLLM-style predictions, ``caption`` for ``sentence`` and file
  names for ids (:mod:`.timechat`).

:func:`load_any` reads any of these or of :data:`compmo_gen.core.formats.FORMATS` (detected from
the content with ``fmt="auto"``) into a list of :class:`AnnotationSet` (one per reference set),
with the same validation, ``lenient`` and ``past_duration`` policies as
:func:`compmo_gen.core.formats.load_annotations`. :func:`align_prediction_ids` then matches
prediction ids to ground-truth ids, counting every normalisation.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import check_records, load_annotations
from compmo_gen.core.formats.roles import check_role
from compmo_gen.core.formats.timechat import is_caption_predictions
from compmo_gen.core.segments import AnnotationSet, DenseAnnotation, ReadReport, Role

EXTRA_FORMATS = ("youcook2", "vitt", "caption-pred")
#: Video-file extensions stripped from prediction ids that do not match a GT id as they are.
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v")


def _read_json(path: Path) -> Any:
    from compmo_gen.core.io import load_json_or_lines

    return load_json_or_lines(path)


def detect_extra(path: Path, role: str) -> tuple[str | None, Any]:
    """(one of :data:`EXTRA_FORMATS` or None, the parsed JSON or None) from a file's content."""
    from compmo_gen.core.formats.vitt import is_vitt
    from compmo_gen.core.formats.youcook2 import is_youcook2
    from compmo_gen.core.io import first_text

    head = first_text(path, 1)  # not a regular UTF-8 file: one line here
    if head not in ("{", "["):
        return None, None
    obj = _read_json(path)
    if is_youcook2(obj):
        return "youcook2", obj
    if is_vitt(obj):
        return "vitt", obj
    if role == "pred" and is_caption_predictions(obj):
        return "caption-pred", obj
    return None, obj


def _raise_or(item: DenseAnnotation | AnnotationError) -> DenseAnnotation:
    if isinstance(item, AnnotationError):
        raise item
    return item


def _finish(
    items: Iterable[tuple[str, DenseAnnotation | AnnotationError]],
    file: str,
    fmt: str,
    role: Role,
    report: ReadReport,
    *,
    durations: Mapping[str, float] | None,
    lenient: bool,
    past_duration: str,
) -> AnnotationSet:
    """The checks of ``load_annotations`` on already parsed records (ViTT applied ``durations``)."""
    parsers = (functools.partial(_raise_or, item) for _vid, item in items)
    return check_records(
        parsers, file, fmt, role, report, durations=None if fmt == "vitt" else durations,
        lenient=lenient, past_duration=past_duration,
    )  # fmt: skip


def load_any(
    path: str | os.PathLike[str],
    *,
    role: str,
    fmt: str = "auto",
    durations: Mapping[str, float] | None = None,
    lenient: bool = False,
    past_duration: str = "error",
    subset: str | None = None,
    **kwargs: Any,
) -> list[AnnotationSet]:
    """Read one file of any known format: one :class:`AnnotationSet` per reference set it holds
    (ViTT: one per rater; every other format: one). ``kwargs`` go to ``load_annotations``."""
    path = Path(path)
    file = str(path)
    obj = None
    if fmt == "auto":
        detected, obj = detect_extra(path, role)
        fmt = detected or "auto"
        if detected is not None:
            check_role(file, obj, fmt, role)
        elif role == "gt" and is_caption_predictions(obj):
            check_role(file, obj, "caption-pred", role)
    if fmt not in EXTRA_FORMATS:
        extra = {"past_duration": past_duration} if role == "gt" else {}
        return [
            load_annotations(path, role=role, fmt=fmt, durations=durations, lenient=lenient,
                             **extra, **kwargs)
        ]  # fmt: skip
    if obj is None:
        obj = _read_json(path)
    opts = dict(durations=durations, lenient=lenient, past_duration=past_duration)
    if fmt == "youcook2":
        from compmo_gen.core.formats.youcook2 import read_youcook2

        report = ReadReport()
        return [_finish(read_youcook2(obj, file, report, subset), file, fmt, role, report, **opts)]
    if fmt == "vitt":
        from compmo_gen.core.formats.vitt import read_vitt

        sets = read_vitt(obj, file, durations)
        return [_finish(s, file, fmt, role, ReadReport(), **opts) for s in sets]
    from compmo_gen.core.formats.timechat import read_caption_predictions

    report = ReadReport()
    return [_finish(read_caption_predictions(obj, file, report), file, fmt, role, report, **opts)]


def _candidates(vid: str) -> list[tuple[str, str]]:
    """(normalised id, what was done) in order of preference."""
    stems = [(vid, "")]
    low = vid.lower()
    for ext in VIDEO_EXTENSIONS:
        if low.endswith(ext):
            stems.append((vid[: -len(ext)], "ids_extension_stripped"))
    out = []
    for stem, how in stems:
        if how:
            out.append((stem, how))
        if stem.startswith("v_"):
            out.append((stem[2:], "+".join(x for x in (how, "ids_v_prefix_removed") if x)))
        else:
            out.append(("v_" + stem, "+".join(x for x in (how, "ids_v_prefix_added") if x)))
    return out


def align_prediction_ids(pred: AnnotationSet, gt_ids: set[str]) -> None:
    """Rename prediction ids that match no GT id but do once normalised (a video-file extension
    dropped, ActivityNet's ``v_`` prefix added or removed), in place; each kind is counted in
    ``pred.report``. Two predictions claiming one GT id is an :class:`AnnotationError`."""
    renamed: dict[str, DenseAnnotation] = {}
    taken = {v for v in pred.annotations if v in gt_ids}
    origin: dict[str, str] = {}
    for vid, ann in pred.annotations.items():
        new = vid
        if vid not in gt_ids:
            for cand, how in _candidates(vid):
                if cand in gt_ids:
                    if cand in taken:
                        raise AnnotationError(
                            pred.source, vid, "id",
                            f"names the same video as {origin.get(cand, cand)!r} ({cand!r})",
                        )  # fmt: skip
                    for kind in how.split("+"):
                        pred.report.note(kind)
                    new = cand
                    taken.add(cand)
                    origin[cand] = vid
                    break
        renamed[new] = ann if new == vid else DenseAnnotation(new, ann.duration, ann.segments)
    pred.annotations = renamed
