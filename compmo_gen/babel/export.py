"""UniMotion's files: ``text,length`` CSV timelines and the local ground-truth JSON, both ways.

A ``text,length`` file lists consecutive pieces of one motion (length in 20 fps frames), e.g.
``walk,80 / transition,30 / sitting down,40``. Unlabeled pieces are written with an empty text and
read back as gaps. The local ground truth is ``[{"original_id", "text": [...], "lengths": [...]}]``.
Both formats are sequential: annotations with overlapping segments cannot be written (counted).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import read_text
from compmo_gen.core.segments import DenseAnnotation, Segment

HEADER = ("text", "length")


def sequential_pieces(ann: DenseAnnotation, fps: float = FPS) -> list[tuple[str, int]] | None:
    """``[(text, frames)]`` covering the motion in order ("" for gaps); None if segments overlap."""
    segs = sorted(ann.segments, key=lambda s: (s.start, s.end))
    total = int(round((ann.duration or (segs[-1].end if segs else 0.0)) * fps))
    pieces: list[tuple[str, int]] = []
    at = 0
    for s in segs:
        a, b = int(round(s.start * fps)), int(round(s.end * fps))
        if a < at:
            return None
        if a > at:
            pieces.append(("", a - at))
        if b > a:
            pieces.append((s.caption, b - a))
        at = max(at, b)
    if total > at:
        pieces.append(("", total - at))
    return pieces


def to_unimotion_csv(ann: DenseAnnotation) -> str | None:
    """The ``text,length`` file of one annotation (None when its segments overlap)."""
    pieces = sequential_pieces(ann)
    if pieces is None:
        return None
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(pieces)
    return buf.getvalue()


def local_gt_entries(annotations: Iterable[DenseAnnotation]) -> tuple[list[dict], int]:
    """UniMotion's local ground truth (gaps omitted, as its label files have none) and the number of
    annotations left out because their segments overlap."""
    out, skipped = [], 0
    for ann in annotations:
        pieces = sequential_pieces(ann)
        if pieces is None:
            skipped += 1
            continue
        kept = [(t, n) for t, n in pieces if t]
        out.append(
            {"original_id": ann.id, "text": [t for t, _ in kept], "lengths": [n for _, n in kept]}
        )
    return out, skipped


def read_unimotion_csv(
    path: str | Path, vid: str | None = None, fps: float = FPS
) -> DenseAnnotation:
    """A ``text,length`` file as a :class:`DenseAnnotation` (id: the file name unless given)."""
    path = Path(path)
    vid = vid or path.stem
    try:
        text = read_text(path)  # a regular UTF-8 file (a byte-order mark dropped)
    except AnnotationError as exc:
        raise AnnotationError(path, vid, exc.field, exc.message) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0]] != list(HEADER):
        raise AnnotationError(path, "row 1", "header", "expected 'text,length'")
    segs, at = [], 0
    for n, row in enumerate(rows[1:], 2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != 2:
            raise AnnotationError(path, f"row {n}", None, f"expected 2 fields, got {len(row)}")
        try:
            length = int(row[1].strip())
        except ValueError:
            raise AnnotationError(
                path, f"row {n}", "length", f"not an integer: {row[1]!r}"
            ) from None
        if length <= 0:
            raise AnnotationError(path, f"row {n}", "length", f"must be > 0, got {length}")
        caption = " ".join(row[0].split())
        if caption:
            segs.append(Segment(at / fps, (at + length) / fps, caption))
        at += length
    if not segs:
        raise AnnotationError(path, vid, "text", "no labeled piece")
    return DenseAnnotation(vid, at / fps, tuple(segs))


def read_local_gt(path: str | Path, fps: float = FPS) -> dict[str, DenseAnnotation]:
    """UniMotion's ``humanml_babel_test_set_local.json`` as annotations by ``original_id``."""
    from compmo_gen.core.io import load_json

    path = Path(path)
    data = load_json(path)
    if not isinstance(data, list):
        raise AnnotationError(path, None, None, "expected a list of {original_id, text, lengths}")
    out: dict[str, DenseAnnotation] = {}
    for i, rec in enumerate(data):
        if not isinstance(rec, dict) or not isinstance(rec.get("original_id"), str):
            raise AnnotationError(path, f"[{i}]", "original_id", "expected a string")
        vid = rec["original_id"]
        texts, lengths = rec.get("text"), rec.get("lengths")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise AnnotationError(path, vid, "text", "expected a list of strings")
        if not isinstance(lengths, list) or len(lengths) != len(texts):
            raise AnnotationError(path, vid, "lengths", "expected one length per text")
        segs, at = [], 0
        for k, n in enumerate(lengths):
            if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
                raise AnnotationError(
                    path, vid, f"lengths[{k}]", f"expected a positive integer, got {n!r}"
                )
            segs.append(Segment(at / fps, (at + n) / fps, texts[k]))
            at += n
        out[vid] = DenseAnnotation(vid, at / fps, tuple(segs))
    return out
