"""The builder's chunk files: ``chunks/<n>.jsonl``, one JSON line per built sequence.

A line is an ActivityNet ground-truth record (``duration``, ``timestamps``, ``sentences``: the same
fields as ``annotations/<split>.json``) plus ``id``, ``split``, ``frames``, the body ``parts`` of each
segment, the motion's ``sha256`` and the build metadata (clips, seams, quality checks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats.anet import anet_gt_entry, anet_gt_record
from compmo_gen.core.segments import DenseAnnotation, Segment

#: Fields of a chunk line that hold the annotation (everything else is metadata).
ANNOTATION_FIELDS = ("timestamps", "sentences", "parts")


def chunk_path(out: Path, c: int) -> Path:
    """The record file of chunk ``c`` in the dataset folder ``out``."""
    return out / "chunks" / f"{c:05d}.jsonl"


def chunk_record(
    ann: DenseAnnotation, *, split: str, frames: int, meta: dict[str, Any], sha256: str
) -> str:
    """One chunk line (sorted keys, deterministic)."""
    rec = {
        "id": ann.id,
        "split": split,
        "frames": frames,
        **anet_gt_entry(ann),
        "parts": [list(s.parts) for s in ann.segments],
        **meta,
        "sha256": sha256,
    }
    return json.dumps(rec, sort_keys=True, ensure_ascii=False)


def read_chunk(path: Path) -> list[dict[str, Any]]:
    """The records of a chunk file (raises ``ValueError``/``OSError`` when unreadable: an
    :class:`~compmo_gen.core.errors.AnnotationError` naming the file and line). The build's own
    file, read in the hot path: plain ``json.loads`` per line, its failures caught."""
    from compmo_gen.core.errors import AnnotationError
    from compmo_gen.core.io import read_text

    out = []
    for n, line in enumerate(read_text(path).splitlines(), 1):
        if line:
            try:
                out.append(json.loads(line))
            except (ValueError, RecursionError) as exc:
                msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise AnnotationError(path, f"line {n}", None, f"unreadable ({msg})") from None
    return out


def chunk_annotation(rec: dict[str, Any], file: str) -> DenseAnnotation:
    """The :class:`DenseAnnotation` of a chunk record, parts included."""
    vid = str(rec.get("id"))
    ann = anet_gt_record(vid, rec, file)
    parts = rec.get("parts") or [[] for _ in ann.segments]
    if not isinstance(parts, list) or len(parts) != len(ann.segments):
        raise AnnotationError(file, vid, "parts", "expected one list of parts per segment")
    segs = tuple(
        Segment(s.start, s.end, s.caption, tuple(p))
        for s, p in zip(ann.segments, parts, strict=True)
    )
    return DenseAnnotation(vid, ann.duration, segs)
