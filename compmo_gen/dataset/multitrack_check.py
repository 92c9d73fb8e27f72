"""Checks of a multi-track dataset (run by ``compmo-gen validate``): simultaneous segments move
disjoint body parts, and every format that can hold them (ActivityNet with ``parts``, STMC
timelines, DEMO multi-track strings) reads back the same segments and parts."""

from __future__ import annotations

from pathlib import Path

from compmo_gen.core.errors import CompmoError
from compmo_gen.core.formats import load_annotations
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.core.tracks import has_overlap, overlap

#: DEMO strings keep milliseconds.
DEMO_TOL = 1.5e-3


def check_parts(ann: DenseAnnotation, file: str, *, strict: bool = True) -> list[str]:
    """Problems of one annotation: segments overlapping in time must name disjoint parts (with
    ``strict=False``, only segments that name parts: BABEL's overlapping labels name none)."""
    out = []
    segs = ann.segments
    for i, a in enumerate(segs):
        for j in range(i + 1, len(segs)):
            b = segs[j]
            unnamed = not a.parts or not b.parts
            if overlap(a, b) and ((unnamed and strict) or set(a.parts) & set(b.parts)):
                out.append(
                    f"{file}: {ann.id}: segments {i} and {j} overlap in time without disjoint "
                    f"body parts ({list(a.parts)} / {list(b.parts)})"
                )
    return out


def _same(a: DenseAnnotation, b: DenseAnnotation, tol: float) -> bool:
    def key(s):
        return (s.start, s.end)

    sa, sb = sorted(a.segments, key=key), sorted(b.segments, key=key)
    return len(sa) == len(sb) and all(
        abs(x.start - y.start) <= tol and abs(x.end - y.end) <= tol
        and x.caption == y.caption and x.parts == y.parts
        for x, y in zip(sa, sb, strict=True)
    )  # fmt: skip


def check_split(
    out: Path, split: str, gt: dict[str, DenseAnnotation], *, strict: bool = True
) -> tuple[list[str], int]:
    """Problems of one split's multi-track files, and how many sequences have overlaps;
    ``strict``: every overlapping pair must name disjoint parts (a compmo multi-track build)."""
    multi = {k: a for k, a in gt.items() if has_overlap(a.segments)}
    if not multi:
        return [], 0
    problems = []
    for a in multi.values():
        problems += check_parts(a, f"annotations/{split}.json", strict=strict)
    others = (
        ("timelines", "txt", "stmc", 1e-9, {}),
        ("demo", "json", "demo", DEMO_TOL, {"motion_root": out}),
    )
    for sub, ext, fmt, tol, kw in others:
        path = out / sub / f"{split}.{ext}"
        if not path.is_file():
            continue
        try:
            read = load_annotations(path, role="gt", fmt=fmt, **kw).annotations
        except CompmoError as exc:
            problems.append(str(exc))
            continue
        for vid, a in multi.items():
            if vid not in read or not _same(a, read[vid], tol):
                problems.append(f"{path}: {vid}: does not hold the same segments and parts")
                break
    return problems, len(multi)
