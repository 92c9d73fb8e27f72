"""Aggregate per-video scores into the published numbers; signature, JSON and the stdout table."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from evaluation.protocol import OVERLAP_THRESHOLDS, clean_float
from evaluation.scorer import CAPTION_METRICS, Counts, EvalConfig, VideoScores


def _mean(rows: Sequence[Any], width: Sequence[int]) -> np.ndarray:
    if not rows:
        return np.zeros(width)
    return np.mean(np.stack([np.asarray(r, dtype=np.float64) for r in rows]), axis=0)


def _soda_mean(ev: Sequence[VideoScores], cfg: EvalConfig) -> np.ndarray:
    """Mean (P, R, F) over videos; PDVC's multi-reference mode: per reference set over the
    videos it holds, then the mean over the sets (``eval_soda``'s average of single-file runs)."""
    refs = [s.soda_refs for s in ev if s.soda_refs is not None]
    if cfg.multi_ref != "pdvc" or not refs:
        return _mean([s.soda for s in ev], (3,))
    per_set = np.stack(refs)  # (videos, sets, 3), NaN where a set lacks the video
    present = ~np.isnan(per_set[:, :, 0])
    means = [
        per_set[present[:, k], k].mean(axis=0)
        for k in range(per_set.shape[1])
        if present[:, k].any()
    ]
    return np.mean(means, axis=0)


def summarize(scores: Sequence[VideoScores], cfg: EvalConfig) -> dict[str, Any]:
    """Every metric x100: per tIoU / threshold and averaged, as DEMO's Table 2 reports them."""
    n_t, n_k = len(cfg.tious), len(cfg.overlap_thresholds)
    anet = _mean([s.anet for s in scores], (n_t, len(CAPTION_METRICS))) * 100
    pr = _mean([s.precision_recall for s in scores], (n_t, 2)) * 100
    ev = [s for s in scores if s.evaluated]
    soda = _soda_mean(ev, cfg) * 100
    overlap = _mean([s.overlap for s in ev], (n_k, 3)) * 100
    mean_tiou = float(np.mean([s.mean_tiou for s in ev])) * 100 if ev else 0.0
    per_tiou = {
        f"{t:g}": {
            **{m: float(anet[k, c]) for c, m in enumerate(CAPTION_METRICS)},
            "Precision": float(pr[k, 0]),
            "Recall": float(pr[k, 1]),
        }
        for k, t in enumerate(cfg.tious)
    }
    per_threshold = {
        f"{t:.2f}": dict(zip(("Precision", "Recall", "F1"), map(float, overlap[k]), strict=True))
        for k, t in enumerate(cfg.overlap_thresholds)
    }
    avg = anet.mean(axis=0)
    metrics = {
        "SODA_c": float(soda[2]),
        "SODA_c_precision": float(soda[0]),
        "SODA_c_recall": float(soda[1]),
        **{m: float(avg[c]) for c, m in enumerate(CAPTION_METRICS)},
        "Precision": float(pr[:, 0].mean()),
        "Recall": float(pr[:, 1].mean()),
        "tIoU": mean_tiou,
        "overlap_precision": float(overlap[:, 0].mean()),
        "overlap_recall": float(overlap[:, 1].mean()),
        "F1": float(overlap[:, 2].mean()),
    }
    return {
        "metrics": metrics,
        "per_tiou": per_tiou,
        "overlap_per_threshold": per_threshold,
        "videos_scored": {"activitynet": len(scores), "soda_and_overlap": len(ev)},
    }


def threshold_signature(
    tious: Sequence[float], overlap_thresholds: Sequence[float]
) -> dict[str, Any]:
    """The thresholds as a signature shows them (:func:`clean_float`), and ``threshold_floats``:
    which floats ran where the shown values are not exact (the default overlap thresholds are
    the reference's ``np.arange`` values, float artefacts included), so results that ran
    different floats never look comparable."""
    shown = {"tious": tious, "overlap_thresholds": overlap_thresholds}
    out: dict[str, Any] = {k: [clean_float(x) for x in v] for k, v in shown.items()}
    inexact = {k: tuple(v) for k, v in shown.items() if out[k] != list(v)}
    if not inexact:
        note = "as listed"
    elif inexact == {"overlap_thresholds": OVERLAP_THRESHOLDS}:
        note = "overlap_thresholds: np.arange(0.5, 0.95 + 0.05, 0.05), as the reference"
    else:
        note = "; ".join(f"{k}: {', '.join(map(repr, v))}" for k, v in inexact.items())
    return {**out, "threshold_floats": note}


def signature(cfg: EvalConfig, counts: Counts) -> dict[str, Any]:
    """What makes a result comparable: versions, protocol, thresholds, input counts."""
    from compmo_gen.core import __version__
    from evaluation.backends import signature as backend_signature
    from evaluation.javatools import pycocoevalcap_version

    return {
        "compmo": __version__,
        "protocol": cfg.protocol,
        "multi_reference": cfg.multi_ref,
        **threshold_signature(cfg.tious, cfg.overlap_thresholds),
        "max_proposals": cfg.max_proposals,
        "garbage": "random 10-20 letter word (seeded)" if cfg.garbage == "random" else "abc123!@#",
        "seed": cfg.seed,
        "scorers": f"pycocoevalcap {pycocoevalcap_version()}",
        **backend_signature(cfg.tokenizer, cfg.meteor),
        "overlap_accumulation": "float64",
        "videos": counts.gt_videos,
    }


def results_json(
    summary: dict,
    cfg: EvalConfig,
    counts: Counts,
    *,
    inputs: dict[str, Any] | None = None,
    per_video: str | None = None,
) -> str:
    """The ``--out`` document; ``inputs`` (file names, hashes) join the signature."""
    doc = {"signature": {**signature(cfg, counts), **(inputs or {})}, "counts": asdict(counts)}
    doc.update(summary)
    if per_video:
        doc["per_video"] = per_video
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def per_video_json(scores: Sequence[VideoScores], cfg: EvalConfig) -> str:
    """One JSON object per line: every per-video number (fractions)."""
    lines = []
    for s in scores:
        rec = {
            "id": s.id,
            "status": s.status,
            "evaluated": s.evaluated,
            "per_tiou": {
                f"{t:g}": {
                    **dict(zip(CAPTION_METRICS, map(float, s.anet[k]), strict=True)),
                    "Precision": float(s.precision_recall[k, 0]),
                    "Recall": float(s.precision_recall[k, 1]),
                }
                for k, t in enumerate(cfg.tious)
            },
            "SODA_c": dict(zip(("P", "R", "F"), map(float, s.soda), strict=True)),
            "mean_tiou": s.mean_tiou,
            "overlap_f1": float(np.mean(s.overlap[:, 2])) if len(s.overlap) else 0.0,
        }
        lines.append(json.dumps(rec))
    return "\n".join(lines) + "\n"


def table(summary: dict, counts: Counts, cfg: EvalConfig) -> str:
    """The readable stdout report."""
    m = summary["metrics"]
    cols = [
        ("SODA_c", "SODA_c"), ("CIDEr", "CIDEr"), ("METEOR", "METEOR"), ("ROUGE_L", "ROUGE_L"),
        ("BLEU@1", "Bleu_1"), ("BLEU@4", "Bleu_4"), ("tIoU %", "tIoU"), ("F1 %", "F1"),
    ]  # fmt: skip
    width = max(len(c) for c, _ in cols)
    out = [f"compmo-eval ({cfg.protocol} protocol, x100)"]
    out += [f"  {name:<{width}}  {m[key]:10.4f}" for name, key in cols]
    out.append(
        f"  {'P / R':<{width}}  {m['Precision']:10.4f} / {m['Recall']:.4f}  (densevid, tIoU >)"
    )
    out.append("")
    hdr = "  tIoU  " + "".join(f"{x:>9}" for x in (*CAPTION_METRICS, "P", "R"))
    out.append(hdr)
    for t, row in summary["per_tiou"].items():
        vals = [row[x] for x in CAPTION_METRICS] + [row["Precision"], row["Recall"]]
        out.append(f"  {t:<5} " + "".join(f"{v:9.3f}" for v in vals))
    out.append("")
    out.append(
        f"  videos: {counts.gt_videos} GT, {counts.ok} predicted, {counts.missing} missing, "
        f"{counts.empty} empty, {counts.unparseable} unparseable, {counts.unknown} unknown ids ignored"
    )
    ev = summary["videos_scored"]["soda_and_overlap"]
    out.append(f"  SODA_c / tIoU % / F1 % averaged over {ev} videos")
    assert all(math.isfinite(v) for v in m.values())
    return "\n".join(out)
