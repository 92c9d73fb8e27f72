"""Regenerate DEMO's stage files from a built dataset or a HumanML3D folder (schema:
:mod:`compmo_gen.core.stage_files`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import format_demo_answer, load_annotations
from compmo_gen.core.io import MotionError, load_joints, read_text, resolve_under
from compmo_gen.core.prompts import STAGE2_SYSTEM, stage1_prompt, stage2_user
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.core.stage_files import StageRecord, relpath

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- regeneration


def _dataset_split(dataset: Path, split: str) -> dict[str, DenseAnnotation]:
    ann = load_annotations(dataset / "annotations" / f"{split}.json", role="gt", fmt="anet-gt")
    return ann.annotations


def _motion_rel(dataset: Path, vid: str, out_dir: Path) -> str:
    p = resolve_under(dataset, f"motions/{vid}.npy", file=str(dataset), record=vid, field="motion")
    if not p.is_file():
        raise AnnotationError(dataset, vid, "motion", f"motion file {str(p)!r} not found")
    return relpath(p, out_dir)


def stage1_from_dataset(dataset: Path, split: str, out_dir: Path) -> Iterator[StageRecord]:
    """Every segment of every sequence of a built dataset's split, as a stage-1 clip."""
    for vid, ann in _dataset_split(dataset, split).items():
        motion = _motion_rel(dataset, vid, out_dir)
        for k, seg in enumerate(ann.segments):
            start, end = round(seg.start * FPS), round(seg.end * FPS)
            if end <= start:
                continue
            yield StageRecord(
                f"{vid}_{k}",
                motion,
                user=stage1_prompt((end - start) / FPS),
                answer=seg.caption,
                frames=(start, end),
            )


def stage2_from_dataset(
    dataset: Path, split: str, out_dir: Path, *, test: bool
) -> Iterator[StageRecord]:
    """Stage-2 records (or test records with ``gt`` only) of a built dataset's split."""
    for vid, ann in _dataset_split(dataset, split).items():
        target = format_demo_answer(ann.segments)  # multi-track form when segments overlap
        motion = _motion_rel(dataset, vid, out_dir)
        if test:
            yield StageRecord(vid, motion, gt=target)
        else:
            if ann.duration is None:
                raise AnnotationError(dataset, vid, "duration", "missing (needed for the prompt)")
            yield StageRecord(
                vid, motion, STAGE2_SYSTEM, stage2_user(ann.duration), target, gt=None
            )


def stage1_from_humanml3d(
    root: Path, splits: Iterable[str], out_dir: Path, skipped: dict[str, int]
) -> Iterator[StageRecord]:
    """Every caption of every clip listed in ``<root>/<split>.txt`` (HumanML3D layout).

    Caption lines are read by :func:`compmo_gen.sources.humanml3d.parse_caption_line`; a caption with a
    time crop covers ``motion[int(start*20):int(end*20)]``. Missing, unreadable, non-finite or
    wrongly shaped clips and malformed caption lines are skipped and counted in ``skipped``.
    """
    import math

    from compmo_gen.sources.humanml3d import LoadOptions, list_ids, parse_caption_line

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for split in splits:
        try:
            ids = list_ids(root, LoadOptions(ids=split))
        except ValueError as exc:
            raise AnnotationError(root, None, None, str(exc)) from None
        for vid in ids:
            where = {"file": str(root / f"{split}.txt"), "record": vid, "field": "id"}
            npy = resolve_under(root, f"new_joints/{vid}.npy", **where)
            txt = resolve_under(root, f"texts/{vid}.txt", **where)
            if not npy.is_file() or not txt.is_file():
                skip("missing_files")
                continue
            try:
                arr = load_joints(npy)
            except MotionError as exc:
                skip("unreadable_motion" if exc.reason == "unreadable" else "bad_motion")
                continue
            try:  # strict UTF-8, as the build reads texts (no U+FFFD captions)
                lines = read_text(txt).splitlines()
            except AnnotationError:
                skip("unreadable_text")
                continue
            motion = relpath(npy, out_dir)
            for k, line in enumerate(lines):
                parsed = parse_caption_line(line)
                if parsed is None:
                    skip("bad_caption_line")
                    continue
                caption, _, start, end = parsed
                frames = None
                if not (math.isnan(start) or math.isnan(end)) and end > 0:
                    f0, f1 = int(start * FPS), min(int(end * FPS), len(arr))
                    if f1 <= f0:
                        skip("empty_caption_span")
                        continue
                    frames = None if (f0, f1) == (0, len(arr)) else (f0, f1)
                n = (frames[1] - frames[0]) if frames else len(arr)
                yield StageRecord(
                    f"{vid}_{k}", motion, user=stage1_prompt(n / FPS), answer=caption, frames=frames
                )
