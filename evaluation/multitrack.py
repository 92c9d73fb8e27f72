"""Scoring simultaneous (multi-track) dense captions: one-to-one, order-free, optionally part-aware.

SODA sorts by start and matches in order, so two simultaneous events predicted in swapped order
cannot both match; densevid_eval pairs every overlapping (GT, prediction), so duplicates are
rewarded. Here every matching is one-to-one and order-free (Hungarian, scipy's
``linear_sum_assignment``) on segments put in a canonical order first, so the order of a file never
changes a score. With ``part_aware`` a pair may match only when its body-part sets intersect
(segments naming no part are the whole-body track). Definitions (docs/multitrack.md):

- **F1** (Chapter-Llama thresholds 0.50..0.95): per video and threshold t, m = the largest number of
  one-to-one pairs with tIoU >= t; P = m / #pred, R = m / #GT; mean over videos, then thresholds.
- **P/R** (densevid thresholds 0.3/0.5/0.7/0.9, strict ``>`` as densevid): the same with m one-to-one,
  so a duplicate prediction is a false positive.
- **tIoU**: the matching of largest total tIoU; per video the mean tIoU of its matched pairs.
- **SODA_c**: the matching of largest total ``tIoU * S`` (S = METEOR with SODA's argument order,
  hypothesis = GT sentence); P = total / #pred, R = total / #GT, F per video, mean over videos.
  Also per track (body part: the segments moving it, on both sides) and their macro mean.
- **concurrency recall**: of the GT time where two or more GT segments run, the share where the
  prediction runs as many segments, each active GT segment's matched prediction (tIoU matching)
  among them. Pooled over videos (time-weighted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from compmo_gen.core.tiou import tiou_matrix
from compmo_gen.core.tracks import WHOLE_BODY

#: Chapter-Llama's F1 thresholds, in float64.
F1_TIOUS: tuple[float, ...] = tuple(float(x) for x in np.arange(0.5, 0.95 + 0.05, 0.05))
#: densevid_eval's thresholds.
PR_TIOUS: tuple[float, ...] = (0.3, 0.5, 0.7, 0.9)

#: ``[(gt_sentence, pred_sentence), ...] -> [score in [0, 1], ...]``.
PairScorer = Callable[[Sequence[tuple[str, str]]], Sequence[float]]


@dataclass(frozen=True)
class Seg:
    start: float
    end: float
    text: str
    parts: tuple[str, ...] = ()

    @property
    def tracks(self) -> frozenset[str]:
        return frozenset(self.parts) if self.parts else frozenset((WHOLE_BODY,))


def canonical(segs: Sequence[Seg]) -> list[Seg]:
    """Segments in a canonical order (start, end, text, parts): file order never matters."""
    return sorted(segs, key=lambda s: (s.start, s.end, s.text, tuple(sorted(s.parts))))


def _iou(gt: Sequence[Seg], pred: Sequence[Seg], part_aware: bool) -> np.ndarray:
    m = tiou_matrix([(s.start, s.end) for s in gt], [(s.start, s.end) for s in pred])
    m = np.maximum(m, 0.0)
    if part_aware and m.size:
        ok = np.array([[bool(g.tracks & p.tracks) for p in pred] for g in gt])
        m = np.where(ok, m, 0.0)
    return m


def max_weight(w: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of a one-to-one matching of largest total weight (only pairs with weight > 0)."""
    if w.size == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(w, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if w[r, c] > 0]


def matched_count(iou: np.ndarray, t: float, strict: bool = False) -> int:
    """The largest number of one-to-one pairs with tIoU >= t (> t when ``strict``)."""
    ok = (iou > t) if strict else (iou >= t)
    return len(max_weight(ok.astype(np.float64)))


def _prf(m: float, n_gt: int, n_pred: int) -> tuple[float, float, float]:
    p = m / n_pred if n_pred else 0.0
    r = m / n_gt if n_gt else 0.0
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


def concurrency(
    gt: Sequence[Seg], pred: Sequence[Seg], pairs: Sequence[tuple[int, int]]
) -> tuple[float, float]:
    """(concurrent GT seconds, of which covered) of one video; ``pairs`` index ``gt``/``pred``."""
    cuts = sorted({x for s in (*gt, *pred) for x in (s.start, s.end)})
    partner = dict(pairs)
    total = covered = 0.0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        mid = (a + b) / 2
        on_gt = [i for i, s in enumerate(gt) if s.start <= mid < s.end]
        if len(on_gt) < 2:
            continue
        total += b - a
        on_pred = {j for j, s in enumerate(pred) if s.start <= mid < s.end}
        if len(on_pred) == len(on_gt) and all(partner.get(i) in on_pred for i in on_gt):
            covered += b - a
    return total, covered


@dataclass
class VideoScore:
    f1: list[float]
    p: list[float]
    r: list[float]
    tiou: float
    soda: tuple[float, float, float]
    soda_tracks: dict[str, float]
    conc: tuple[float, float]


def score_video(
    gt: Sequence[Seg], pred: Sequence[Seg], scorer: PairScorer, *, part_aware: bool = False
) -> VideoScore:
    """Every multi-track figure of one video (see the module docstring)."""
    gt, pred = canonical(gt), canonical(pred)
    iou = _iou(gt, pred, part_aware)
    ng, npd = len(gt), len(pred)
    f1 = [_prf(matched_count(iou, t), ng, npd)[2] for t in F1_TIOUS]
    pr = [_prf(matched_count(iou, t, strict=True), ng, npd) for t in PR_TIOUS]
    pairs = max_weight(iou)
    tiou = float(np.mean([iou[i, j] for i, j in pairs])) if pairs else 0.0
    wanted = sorted({(i, j) for i in range(ng) for j in range(npd) if iou[i, j] > 0})
    got = scorer([(gt[i].text, pred[j].text) for i, j in wanted]) if wanted else []
    s = np.zeros_like(iou)
    for (i, j), v in zip(wanted, got, strict=True):
        s[i, j] = v
    w = iou * s
    soda = _prf(sum(w[i, j] for i, j in max_weight(w)), ng, npd)
    per_track: dict[str, float] = {}
    for t in sorted({x for seg in (*gt, *pred) for x in seg.tracks}):
        gi = [k for k, seg in enumerate(gt) if t in seg.tracks]
        pj = [k for k, seg in enumerate(pred) if t in seg.tracks]
        sub = w[np.ix_(gi, pj)] if gi and pj else np.zeros((len(gi), len(pj)))
        per_track[t] = _prf(sum(sub[a, b] for a, b in max_weight(sub)), len(gi), len(pj))[2]
    return VideoScore(
        f1,
        [x[0] for x in pr],
        [x[1] for x in pr],
        tiou,
        soda,
        per_track,
        concurrency(gt, pred, pairs),
    )


def score_all(
    videos: Sequence[tuple[str, Sequence[Seg], Sequence[Seg] | None]],
    scorer: PairScorer,
    *,
    part_aware: bool = False,
) -> dict:
    """Corpus figures (x100) over ``(id, gt, pred or None)``; a video without predictions scores 0
    (and its concurrent GT time counts as not covered)."""
    rows = [
        (vid, score_video(gt, pred or (), scorer, part_aware=part_aware))
        for vid, gt, pred in videos
    ]
    n = max(len(rows), 1)

    def mean(values: Sequence[float]) -> float:
        return 100 * float(np.sum(values)) / n

    tracks: dict[str, list[float]] = {}
    for _, v in rows:
        for t, f in v.soda_tracks.items():
            tracks.setdefault(t, []).append(f)
    conc_total = sum(v.conc[0] for _, v in rows)
    return {
        "videos": len(rows),
        "part_aware": part_aware,
        "F1": float(np.mean([mean([v.f1[k] for _, v in rows]) for k in range(len(F1_TIOUS))])),
        "Precision": float(
            np.mean([mean([v.p[k] for _, v in rows]) for k in range(len(PR_TIOUS))])
        ),
        "Recall": float(np.mean([mean([v.r[k] for _, v in rows]) for k in range(len(PR_TIOUS))])),
        "tIoU": mean([v.tiou for _, v in rows]),
        "SODA_c": mean([v.soda[2] for _, v in rows]),
        "SODA_c_tracks": {t: 100 * float(np.mean(f)) for t, f in sorted(tracks.items())},
        "SODA_c_track_mean": 100 * float(np.mean([np.mean(f) for f in tracks.values()]))
        if tracks
        else 0.0,
        "concurrency_recall": 100 * sum(v.conc[1] for _, v in rows) / conc_total
        if conc_total
        else None,
        "concurrent_gt_seconds": conc_total,
        "per_video": {vid: _video_json(v) for vid, v in rows},
    }


def _video_json(v: VideoScore) -> dict:
    return {
        "F1": 100 * float(np.mean(v.f1)),
        "SODA_c": 100 * v.soda[2],
        "tIoU": 100 * v.tiou,
        "concurrent_s": v.conc[0],
        "covered_s": v.conc[1],
    }
