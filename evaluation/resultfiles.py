"""Reading `compmo-eval` result files and their per-video scores; are two results comparable?

A result file is what ``compmo-eval --out`` writes (``signature``, ``counts``, ``metrics`` x100, ...);
its per-video file (``--per-video``, JSON lines) holds the same numbers per video, as fractions.
Every table column is the mean over videos of a per-video value (see :mod:`evaluation.bootstrap`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import load_json, loads_json, read_text, resolve_under
from evaluation.protocol import clean_float

#: DEMO's Table 2 columns: (header, key in ``metrics``).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("SODA", "SODA_c"), ("SODA(B)", "SODA_B"), ("CIDEr", "CIDEr"), ("METEOR", "METEOR"),
    ("ROUGE_L", "ROUGE_L"), ("BLEU@1", "Bleu_1"), ("BLEU@4", "Bleu_4"), ("tIoU %", "tIoU"),
    ("F1 %", "F1"),
)  # fmt: skip
#: Signature fields that define the protocol: results differing in one are not comparable.
PROTOCOL_KEYS = (
    "protocol", "tious", "overlap_thresholds", "threshold_floats", "max_proposals", "garbage",
    "tokenizer", "meteor", "scorers", "bertscore_hash",
)  # fmt: skip
#: Signature fields that identify the ground truth (the file's hash, not its name; the durations
#: that close DEMO strings are part of it when the signature records them).
GT_KEYS = ("gt_sha256", "durations_sha256", "motion_root", "fps", "videos")
_ANET = (
    "Bleu_1",
    "Bleu_2",
    "Bleu_3",
    "Bleu_4",
    "METEOR",
    "ROUGE_L",
    "CIDEr",
    "Precision",
    "Recall",
)


@dataclass
class Result:
    """One result file: display name, metrics (x100), signature, counts and raw document."""

    path: Path
    name: str
    metrics: dict[str, float]
    signature: dict[str, Any]
    counts: dict[str, Any]
    doc: dict[str, Any] = field(repr=False)


def load_result(path: str | os.PathLike[str], name: str | None = None) -> Result:
    """Read a results JSON; a one-line :class:`AnnotationError` naming the file and field otherwise."""
    path = Path(path)
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise AnnotationError(path, None, "metrics", "missing (not a compmo-eval results file)")
    metrics = {}
    for k, v in doc["metrics"].items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise AnnotationError(
                path, None, f"metrics.{k}", f"expected a finite number, got {v!r}"
            )
        metrics[k] = float(v)
    if not any(key in metrics for _, key in COLUMNS):
        raise AnnotationError(path, None, "metrics", f"none of {', '.join(k for _, k in COLUMNS)}")
    sig = doc.get("signature", {})
    if not isinstance(sig, dict):
        raise AnnotationError(path, None, "signature", "expected an object")
    counts = doc.get("counts") or {}
    if not isinstance(counts, dict):
        raise AnnotationError(path, None, "counts", "expected an object")
    stem = path.name.removesuffix(".json").removesuffix(".results").removesuffix("_results")
    return Result(path, name or stem, metrics, sig, dict(counts), doc)


def _shown(value: Any) -> Any:
    """A signature value as compared and shown: floats of a list to 12 significant digits, so a
    file that wrote ``0.6000000000000001`` matches one that wrote ``0.6`` (the floats that ran
    are compared through ``threshold_floats`` where both files record it)."""
    if isinstance(value, list):
        return [clean_float(x) if isinstance(x, float) else x for x in value]
    return value


def differences(results: Sequence[Result]) -> list[str]:
    """Human-readable protocol and GT differences between the results (empty: comparable)."""
    out = []
    for keys, what in ((PROTOCOL_KEYS, "protocol"), (GT_KEYS, "ground truth")):
        for key in keys:
            seen: dict[str, list[str]] = {}
            for r in results:
                if key in r.signature:
                    val = json.dumps(_shown(r.signature[key]), sort_keys=True)
                    seen.setdefault(val, []).append(r.name)
            if len(seen) > 1:
                parts = "; ".join(f"{', '.join(names)}: {val}" for val, names in seen.items())
                out.append(f"{what} differs in signature.{key} ({parts})")
    return out


# --------------------------------------------------------------------------- per-video scores


def per_video_path(result: Result) -> Path | None:
    """The per-video file of a result: named in the file, or beside it by naming convention."""
    named = result.doc.get("per_video") or result.doc.get("per_video_file")
    if isinstance(named, str):  # confined to the result's folder, like every path from a data file
        return resolve_under(
            result.path.parent, named, file=str(result.path), record=None, field="per_video"
        )
    stem = result.path.name.removesuffix(".json")
    bases = dict.fromkeys([stem, stem.removesuffix(".results"), stem.removesuffix("_results")])
    for base in bases:
        for suffix in (".per_video.jsonl", ".per-video.jsonl", "_per_video.jsonl", ".jsonl"):
            cand = result.path.parent / f"{base}{suffix}"
            if cand.is_file():
                return cand
    return None


def read_per_video(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Records of a per-video JSON-lines file, in file order: each id once, every score a finite
    number, at least one record (an empty or edited file is refused, never read as fewer videos)."""
    path = Path(path)
    out = []
    seen: set[str] = set()
    text = read_text(path)
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        rec = loads_json(line, f"{path}: line {n}")
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            raise AnnotationError(f"{path}: line {n}", None, "id", "missing")
        if rec["id"] in seen:
            raise AnnotationError(f"{path}: line {n}", rec["id"], "id", "repeated")
        seen.add(rec["id"])
        bad = _bad_field(rec)
        if bad:
            raise AnnotationError(f"{path}: line {n}", rec["id"], bad, "not a finite number")
        out.append(rec)
    if not out:
        raise AnnotationError(path, None, None, "no per-video records")
    return out


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _bad_field(rec: dict[str, Any]) -> str | None:
    """The first field of a per-video record that is not shaped as `compmo-eval` writes it."""
    per_tiou = rec.get("per_tiou", {})
    if not isinstance(per_tiou, dict):
        return "per_tiou"
    for t, row in per_tiou.items():
        if not isinstance(row, dict):
            return f"per_tiou.{t}"
        for k, v in row.items():
            if not _num(v):
                return f"per_tiou.{t}.{k}"
    for key in ("SODA_c", "SODA_B"):
        v = rec.get(key)
        if v is not None and not (isinstance(v, dict) and _num(v.get("F"))):
            return f"{key}.F"
    for key in ("mean_tiou", "overlap_f1"):
        if key in rec and not _num(rec[key]):
            return key
    return None


def _f(rec: dict, key: str) -> float:
    v = rec.get(key)
    return float(v["F"]) if isinstance(v, dict) else math.nan


def video_values(rec: dict[str, Any], keys: Sequence[str]) -> list[float]:
    """One video's value of each metric key (fractions); NaN where the video does not count."""
    per_tiou = rec.get("per_tiou") or {}
    counted = rec.get("evaluated", True)
    out = []
    for key in keys:
        if key in _ANET:
            vals = [float(row[key]) for row in per_tiou.values() if key in row]
            out.append(float(np.mean(vals)) if vals else math.nan)
        elif key == "SODA_c":
            out.append(_f(rec, "SODA_c") if counted else math.nan)
        elif key == "SODA_B":
            out.append(_f(rec, "SODA_B"))  # null when not counted
        elif key == "tIoU":
            out.append(float(rec["mean_tiou"]) if counted and "mean_tiou" in rec else math.nan)
        elif key == "F1":
            out.append(float(rec["overlap_f1"]) if counted and "overlap_f1" in rec else math.nan)
        else:
            out.append(math.nan)
    return out


def value_matrix(
    records: Sequence[dict[str, Any]], keys: Sequence[str], ids: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """(video ids, (n_videos, n_keys) fractions) in ``ids`` order (default: file order)."""
    by_id = {r["id"]: r for r in records}
    ids = list(by_id) if ids is None else list(ids)
    missing = [v for v in ids if v not in by_id]
    if missing:
        raise AnnotationError(
            "per-video scores", missing[0], "id", f"{len(missing)} videos are missing"
        )
    rows = [video_values(by_id[v], keys) for v in ids]
    return ids, np.array(rows, dtype=np.float64).reshape(len(ids), len(keys))
