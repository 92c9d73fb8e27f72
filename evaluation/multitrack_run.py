"""`compmo-eval score` glue for multi-track scoring (:mod:`evaluation.multitrack`): when it runs,
how the inputs map to segments, METEOR for SODA_c, and where the figures go."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from compmo_gen.core.io import write_atomic
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.core.tracks import concurrent_pairs
from evaluation.multitrack import Seg, score_all

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--multitrack",
        choices=("auto", "on", "off"),
        default="auto",
        help="also score simultaneous segments one-to-one and order-free (F1, P/R, tIoU, SODA_c "
        "per body-part track, concurrency recall; docs/multitrack.md); auto: when the GT has "
        "segments overlapping on disjoint body parts (default: auto)",
    )
    parser.add_argument(
        "--part-aware",
        action="store_true",
        help="multi-track matching: a pair must share a body part",
    )


def wanted(mode: str, gt: Mapping[str, DenseAnnotation]) -> bool:
    """Whether to run: ``on``, or ``auto`` and some GT video is multi-track: segments that overlap
    in time on disjoint body parts. Overlapping GT without parts (ActivityNet Captions, BABEL) is
    scored classically unless ``on`` is asked: the references score it that way."""
    if mode == "auto":
        return any(concurrent_pairs(a.segments) for a in gt.values())
    return mode == "on"


def _segs(ann: DenseAnnotation | None, tokens: Sequence[str]) -> list[Seg]:
    if ann is None:
        return []
    return [
        Seg(s.start, s.end, t, tuple(s.parts)) for s, t in zip(ann.segments, tokens, strict=False)
    ]


def run_multitrack(
    gt: Mapping[str, DenseAnnotation],
    pred: Mapping[str, DenseAnnotation],
    inputs: Sequence[Any],
    cfg: Any,
    *,
    part_aware: bool,
) -> dict:
    """Multi-track figures of the scored videos (``inputs`` from ``build_inputs``: tokens)."""
    from evaluation.backends import open_meteor

    videos = []
    for inp in inputs:
        if not inp.evaluated:
            continue
        _, lo, hi = inp.ref_rows()[0]  # the first reference set
        gts = _segs(gt.get(inp.id), inp.gt_tokens[lo:hi])
        preds = _segs(pred.get(inp.id), inp.pred_tokens) if inp.status == "ok" else None
        videos.append((inp.id, gts, preds))
    meteor = open_meteor(cfg.meteor, cfg.jobs)
    try:

        def scorer(pairs: Sequence[tuple[str, str]]) -> list[float]:
            out: list[float] = []
            for k in range(0, len(pairs), 1000):
                batch = list(pairs[k : k + 1000])
                out += meteor.evaluate([meteor.stats(batch)])[0][1]
            return out

        return score_all(videos, scorer, part_aware=part_aware)
    finally:
        meteor.close()


def table(res: Mapping[str, Any]) -> str:
    conc = res["concurrency_recall"]
    lines = [
        f"multi-track ({res['videos']} videos, one-to-one, order-free"
        + (", part-aware" if res["part_aware"] else "")
        + ")",
        f"  F1 {res['F1']:.2f}  P {res['Precision']:.2f}  R {res['Recall']:.2f}  "
        f"tIoU {res['tIoU']:.2f}  SODA_c {res['SODA_c']:.2f}  "
        f"SODA_c track mean {res['SODA_c_track_mean']:.2f}  "
        f"concurrency recall {'n/a' if conc is None else f'{conc:.2f}'}",
        "  SODA_c per track: " + ", ".join(f"{t} {v:.2f}" for t, v in res["SODA_c_tracks"].items()),
    ]
    return "\n".join(lines)


def merge_into(path: Path, res: Mapping[str, Any]) -> None:
    """Add the figures (per-video ones left out) to a results file under ``"multitrack"``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["multitrack"] = {k: v for k, v in res.items() if k != "per_video"}
    write_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
