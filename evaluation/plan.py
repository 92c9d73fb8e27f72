"""Per-video work of the three protocols, before any caption is scored (pure functions).

A :class:`VideoInput` holds one video's tokenised captions; :func:`plan_video` computes everything
that depends only on times (tIoU matrices, localisation metrics) and lists the caption pairs the
scorers must see: the ActivityNet pair list per tIoU and the SODA pairs with IoU > 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compmo_gen.core.tiou import tiou_matrix
from evaluation.localization import densevid_precision_recall, greedy_mean_tiou, overlap_prf

Pair = tuple[str, str]  # (hypothesis tokens, reference tokens)

#: Why a GT video has no scorable prediction (``ok`` when it has one).
STATUSES = ("ok", "empty", "missing", "unparseable")


@dataclass(frozen=True)
class VideoInput:
    """One GT video and its predictions; captions already preprocessed and tokenised."""

    id: str
    status: str
    gt_spans: np.ndarray  # (n_gt, 2)
    gt_tokens: tuple[str, ...]
    pred_spans: np.ndarray  # (n_pred, 2), file order
    pred_tokens: tuple[str, ...]
    garbage_tokens: tuple[str, ...]  # per prediction: the reference it gets when unmatched
    evaluated: bool  # counts in SODA and the overlap metrics (protocol dependent)


@dataclass
class VideoPlan:
    """What a video needs from the caption scorers, plus its finished localisation metrics."""

    video: VideoInput
    anet_groups: list[tuple[Pair, ...]]  # per tIoU; () when the video has no pair
    precision_recall: np.ndarray  # (n_tious, 2)
    soda_iou: np.ndarray  # (n_gt, n_pred), both sorted by start time
    soda_pairs: dict[tuple[int, int], Pair]  # (i, j) -> (gt tokens, pred tokens), IoU > 0
    mean_tiou: float
    overlap: np.ndarray  # (n_thresholds, 3): P, R, F1 as fractions


def anet_groups(
    iou: np.ndarray,
    pred_tokens: Sequence[str],
    gt_tokens: Sequence[str],
    garbage_tokens: Sequence[str],
    tious: Sequence[float],
) -> list[tuple[Pair, ...]]:
    """densevid's pairs per tIoU: each prediction with every GT at ``iou >= t``, else garbage.

    ``iou`` is (n_gt, n_pred) over the predictions kept (the first ``max_proposals``).
    """
    groups = []
    for t in tious:
        hit = iou >= t
        pairs: list[Pair] = []
        for j, hyp in enumerate(pred_tokens):
            rows = np.flatnonzero(hit[:, j])
            if rows.size:
                pairs.extend((hyp, gt_tokens[i]) for i in rows)
            else:
                pairs.append((hyp, garbage_tokens[j]))
        groups.append(tuple(pairs))
    return groups


def plan_video(
    video: VideoInput,
    tious: Sequence[float],
    overlap_thresholds: Sequence[float],
    max_proposals: int,
) -> VideoPlan:
    """Localisation metrics and the caption pairs of one video."""
    gt, pred = video.gt_spans, video.pred_spans
    kept = min(len(pred), max_proposals)
    iou = tiou_matrix(gt, pred)  # reference argument order: (ref, pred)
    anet_iou = iou[:, :kept]
    groups = anet_groups(
        anet_iou, video.pred_tokens[:kept], video.gt_tokens, video.garbage_tokens[:kept], tious
    )
    pr = densevid_precision_recall(anet_iou, tious)

    g_order = np.argsort(gt[:, 0], kind="stable")
    p_order = np.argsort(pred[:, 0], kind="stable")
    soda_iou = tiou_matrix(pred[p_order], gt[g_order]).T  # soda.py calls iou(pred, gt)
    soda_iou[soda_iou < 0] = 0.0  # as soda.py's ``iou[iou < tiou] = 0`` with tiou 0
    rows, cols = np.nonzero(soda_iou > 0)
    soda_pairs = {
        (int(i), int(j)): (video.gt_tokens[g_order[i]], video.pred_tokens[p_order[j]])
        for i, j in zip(rows, cols, strict=True)
    }
    return VideoPlan(
        video=video,
        anet_groups=groups,
        precision_recall=pr,
        soda_iou=soda_iou,
        soda_pairs=soda_pairs,
        mean_tiou=greedy_mean_tiou(iou),
        overlap=overlap_prf(iou, overlap_thresholds),
    )
