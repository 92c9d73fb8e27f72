"""SODA(B) added to the files of an earlier ``compmo-eval`` run (results JSON, per-video lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import load_json, loads_json, read_text, write_atomic

if TYPE_CHECKING:
    from evaluation.bertscore import SodaB


def _read_json(path: Path) -> dict:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise AnnotationError(path, None, "metrics", "not a compmo-eval results file")
    return doc


def merge_results(path: Path, res: SodaB, signature: dict, protocol: str) -> None:
    """Add SODA(B) to a results file (created when absent), refusing one of another protocol."""
    doc = (
        _read_json(path) if path.exists() else {"signature": {"protocol": protocol}, "metrics": {}}
    )
    theirs = doc.get("signature", {}).get("protocol")
    if theirs is not None and theirs != protocol:
        raise AnnotationError(
            path, None, "signature.protocol", f"is {theirs!r}, SODA(B) ran {protocol!r}"
        )
    for key in ("gt_sha256", "predictions_sha256"):
        theirs = doc.get("signature", {}).get(key)
        if theirs is not None and key in signature and theirs != signature[key]:
            raise AnnotationError(path, None, f"signature.{key}", "differs: scored on other files")
    doc["metrics"].update(
        {"SODA_B": res.score, "SODA_B_precision": res.precision, "SODA_B_recall": res.recall}
    )
    doc.setdefault("signature", {}).update(signature)
    write_atomic(path, json.dumps(doc, indent=2) + "\n", replaces_input=True)  # merged into


def merge_per_video(path: Path, res: SodaB) -> None:
    """Add ``"SODA_B": {"P", "R", "F"}`` (null when not counted) to every per-video record."""
    records: list[dict] = []
    if path.exists():
        for n, line in enumerate(read_text(path).splitlines(), 1):
            if line.strip():
                records.append(loads_json(line, path, f"line {n}"))
    seen = set()
    for rec in records:
        vid = rec.get("id")
        if vid in res.per_video:
            prf = res.per_video[vid]
            rec["SODA_B"] = None if prf is None else dict(zip("PRF", prf))
            seen.add(vid)
    for vid, prf in res.per_video.items():
        if vid not in seen:
            records.append({"id": vid, "SODA_B": None if prf is None else dict(zip("PRF", prf))})
    write_atomic(path, "".join(json.dumps(r) + "\n" for r in records), replaces_input=True)
