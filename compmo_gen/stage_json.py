"""DEMO's stage files: read, write, regenerate and re-root them (one definition of the schema).

A stage file is a JSON list. Training records (stage 1 and 2) are
``{"id", "motion", "conversations": [{"from": "system"|"human"|"gpt", "value"}]}`` as in DEMO's
released ``stage1.json``/``stage2.json`` (the system turn is optional). Test records are
``{"id", "motion", "gt"}`` as in the released ``test.json``. An optional ``"frames": [start, end)``
selects a clip of a longer motion (stage 1 from the segments of a built dataset).

``motion`` paths resolve against a motion root (by default the stage file's folder) and must stay
inside it; absolute paths, like the released ones, are reduced to their file name under the root.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compmo_gen.annotations import (
    AnnotationError,
    DenseAnnotation,
    format_demo_string,
    load_annotations,
    resolve_under,
    write_atomic,
)
from compmo_gen.constants import FPS
from compmo_gen.prompts import STAGE2_SYSTEM, stage1_prompt, stage2_user

log = logging.getLogger(__name__)

ROLES = {"system": "system", "human": "user", "gpt": "assistant"}


@dataclass(frozen=True)
class StageRecord:
    """One stage-file record. ``user``/``answer`` are None for test records."""

    id: str
    motion: str
    system: str | None = None
    user: str | None = None
    answer: str | None = None
    gt: str | None = None
    frames: tuple[int, int] | None = None

    def to_json(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id, "motion": self.motion}
        if self.frames is not None:
            rec["frames"] = list(self.frames)
        if self.user is not None:
            conv = [{"from": "system", "value": self.system}] if self.system else []
            conv.append({"from": "human", "value": self.user})
            conv.append({"from": "gpt", "value": self.answer or ""})
            rec["conversations"] = conv
        if self.gt is not None:
            rec["gt"] = self.gt
        return rec


def _str(rec: dict, key: str, file: str, rid: str) -> str:
    value = rec.get(key)
    if not isinstance(value, str):
        raise AnnotationError(file, rid, key, "missing or not a string")
    return value


def _record(rec: Any, index: int, file: str) -> StageRecord:
    if not isinstance(rec, dict):
        raise AnnotationError(file, f"#{index}", None, "expected an object {id, motion, ...}")
    rid = rec.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise AnnotationError(file, f"#{index}", "id", "missing or not a string")
    rid = str(rid)
    motion = _str(rec, "motion", file, rid)
    frames = rec.get("frames")
    if frames is not None:
        if (
            not isinstance(frames, list)
            or len(frames) != 2
            or not all(isinstance(f, int) and not isinstance(f, bool) for f in frames)
            or not 0 <= frames[0] < frames[1]
        ):
            raise AnnotationError(
                file, rid, "frames", "expected [start, end) with 0 <= start < end"
            )
        frames = (frames[0], frames[1])
    gt = rec.get("gt")
    if gt is not None and not isinstance(gt, str):
        raise AnnotationError(file, rid, "gt", "not a string")
    conv = rec.get("conversations")
    if conv is None:
        if gt is None:
            raise AnnotationError(file, rid, "conversations", "a record needs conversations or gt")
        return StageRecord(rid, motion, gt=gt, frames=frames)
    if not isinstance(conv, list):
        raise AnnotationError(file, rid, "conversations", "not a list")
    turns: dict[str, str] = {}
    for turn in conv:
        if not isinstance(turn, dict) or turn.get("from") not in ROLES:
            raise AnnotationError(file, rid, "conversations", "turns need 'from': system|human|gpt")
        if not isinstance(turn.get("value"), str):
            raise AnnotationError(file, rid, "conversations", "a turn's 'value' is not a string")
        if turn["from"] in turns:
            raise AnnotationError(
                file, rid, "conversations", f"more than one {turn['from']!r} turn"
            )
        turns[turn["from"]] = turn["value"]
    if "human" not in turns:
        raise AnnotationError(file, rid, "conversations", "no 'human' turn")
    return StageRecord(
        rid, motion, turns.get("system"), turns["human"], turns.get("gpt"), gt, frames
    )


def read_stage_file(path: str | os.PathLike[str]) -> list[StageRecord]:
    """Read and validate a stage file (raises :class:`AnnotationError` naming the record)."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationError(path, None, None, "file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnnotationError(path, None, None, f"not a JSON file ({exc})") from None
    if not isinstance(obj, list):
        raise AnnotationError(path, None, None, "expected a list of records")
    records = [_record(rec, i, str(path)) for i, rec in enumerate(obj)]
    return records


def motion_path(
    record: StageRecord, *, file: str | os.PathLike[str], root: str | os.PathLike[str] | None = None
) -> Path:
    """The record's motion file, inside ``root`` (default: the stage file's folder)."""
    base = Path(root) if root is not None else Path(file).resolve().parent
    return resolve_under(base, record.motion, file=str(file), record=record.id, field="motion")


def check_motions(
    records: Iterable[StageRecord], *, file: str | os.PathLike[str], root: str | None = None
) -> None:
    """Raise :class:`AnnotationError` for the first record whose motion file is missing."""
    for rec in records:
        p = motion_path(rec, file=file, root=root)
        if not p.is_file():
            raise AnnotationError(file, rec.id, "motion", f"motion file {str(p)!r} not found")


def write_stage_file(records: Iterable[StageRecord], path: str | os.PathLike[str]) -> int:
    """Write records (atomically, deterministic JSON); return how many."""
    out = [r.to_json() for r in records]
    write_atomic(path, json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return len(out)


def rewrite_motion_root(
    records: Iterable[StageRecord], *, file: str, root: str | os.PathLike[str], relative_to: Path
) -> list[StageRecord]:
    """Point every record at ``root/<file name>``; each must exist. Paths are written relative
    to ``relative_to`` (the output file's folder) when possible, else absolute."""
    out = []
    root = Path(root).resolve()
    for rec in records:
        p = resolve_under(root, Path(rec.motion).name, file=file, record=rec.id, field="motion")
        if not p.is_file():
            raise AnnotationError(file, rec.id, "motion", f"motion file {str(p)!r} not found")
        out.append(StageRecord(**{**rec.__dict__, "motion": _relpath(p, relative_to)}))
    return out


def _relpath(p: Path, base: Path) -> str:
    try:
        return p.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------- regeneration


def _dataset_split(dataset: Path, split: str) -> dict[str, DenseAnnotation]:
    ann = load_annotations(dataset / "annotations" / f"{split}.json", role="gt", fmt="anet-gt")
    return ann.annotations


def _motion_rel(dataset: Path, vid: str, out_dir: Path) -> str:
    p = resolve_under(dataset, f"motions/{vid}.npy", file=str(dataset), record=vid, field="motion")
    if not p.is_file():
        raise AnnotationError(dataset, vid, "motion", f"motion file {str(p)!r} not found")
    return _relpath(p, out_dir)


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
        target = format_demo_string(ann.segments)
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

    Caption lines are read by :func:`compmo_gen.humanml3d.parse_caption_line`; a caption with a
    time crop covers ``motion[int(start*20):int(end*20)]``. Missing, unreadable, non-finite or
    wrongly shaped clips and malformed caption lines are skipped and counted in ``skipped``.
    """
    import math

    import numpy as np

    from compmo_gen.humanml3d import LoadOptions, list_ids, parse_caption_line

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
                arr = np.load(npy, allow_pickle=False)
            except (OSError, ValueError, EOFError):
                skip("unreadable_motion")
                continue
            if (
                arr.ndim != 3
                or arr.shape[1:] != (22, 3)
                or not len(arr)
                or not np.isfinite(arr).all()
            ):
                skip("bad_motion")
                continue
            motion = _relpath(npy, out_dir)
            lines = txt.read_text(encoding="utf-8", errors="replace").splitlines()
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
