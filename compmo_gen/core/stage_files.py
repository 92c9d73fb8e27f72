"""DEMO's stage files, the one definition of their schema: read, validate, write, re-root.

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
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import load_json, resolve_under, write_atomic

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
    obj = load_json(path)
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
        out.append(StageRecord(**{**rec.__dict__, "motion": relpath(p, relative_to)}))
    return out


def relpath(p: Path, base: Path) -> str:
    try:
        return p.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(p)
