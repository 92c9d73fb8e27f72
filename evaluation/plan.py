"""Per-video work of the three protocols, before any caption is scored (pure functions).

A :class:`VideoInput` holds one video's tokenised captions; :func:`plan_video` computes everything
that depends only on times (tIoU matrices, localisation metrics) and lists the caption pairs the
scorers must see: the ActivityNet pair list per tIoU and the SODA pairs with IoU > 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compmo_gen.core.tiou import SparseTiou, tiou_matrix
from evaluation.localization import densevid_precision_recall, greedy_mean_tiou, overlap_prf

Pair = tuple[str, str]  # (hypothesis tokens, reference tokens)

#: Why a GT video has no scorable prediction (``ok`` when it has one).
STATUSES = ("ok", "empty", "missing", "unparseable")
#: How several reference sets combine (README.md, "Real dense-captioning data"): ``densevid`` (densevid_eval's
#: ``-r a b``, soda.py without ``--multi_reference``: SODA on the merged, start-sorted GT),
#: ``soda-mr`` (soda.py ``--multi_reference``: SODA per reference set in file order, best F per
#: video), ``pdvc`` (PDVC: SODA per reference set, start-sorted, averaged over the sets).
MULTI_REF_MODES = ("densevid", "soda-mr", "pdvc")


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
    #: The video's GT rows of each reference set holding it: (set index, first row, end row);
    #: the GT arrays above are those rows concatenated in set order. Empty: one set, all rows.
    refs: tuple[tuple[int, int, int], ...] = ()
    #: PTB context (see :func:`in_context`): per GT row / prediction, whether its raw caption
    #: starts with an upper-case letter, and its tokens before an upper-case / any other next line
    #: when they differ (None: no difference). Empty: no caption of the video depends on context.
    gt_upper: tuple[bool, ...] = ()
    gt_alt: tuple[tuple[str, str] | None, ...] = ()
    pred_upper: tuple[bool, ...] = ()
    pred_alt: tuple[tuple[str, str] | None, ...] = ()

    def ref_rows(self) -> tuple[tuple[int, int, int], ...]:
        """``refs``, or the single reference set covering every GT row."""
        return self.refs or ((0, 0, len(self.gt_tokens)),)


@dataclass(frozen=True)
class SodaProblem:
    """One SODA matching: tIoU (n_gt, n_pred) over rows/columns in matching order, the caption
    pairs with IoU > 0, and which reference set it belongs to."""

    ref: int
    iou: SparseTiou
    pairs: dict[tuple[int, int], Pair]


@dataclass
class VideoPlan:
    """What a video needs from the caption scorers, plus its finished localisation metrics."""

    video: VideoInput
    anet_groups: list[tuple[Pair, ...]]  # per tIoU; () when the video has no pair
    precision_recall: np.ndarray  # (n_tious, 2)
    soda: list[SodaProblem]  # one (merged GT) or one per reference set, see MULTI_REF_MODES
    mean_tiou: float
    overlap: np.ndarray  # (n_thresholds, 3): P, R, F1 as fractions

    @property
    def soda_iou(self) -> SparseTiou:
        """tIoU of the first SODA problem (the only one with a single reference set)."""
        return self.soda[0].iou

    @property
    def soda_pairs(self) -> dict[tuple[int, int], Pair]:
        return self.soda[0].pairs


def in_context(
    seq: Sequence[int],
    tokens: Sequence[str],
    alt: Sequence[tuple[str, str] | None],
    upper: Sequence[bool],
) -> list[str | None]:
    """Tokens of the captions ``seq`` (indices; -1: a garbage word, None returned) as the
    reference evaluators' single tokenizer call gives them when the captions are its lines in
    this order: a context-dependent caption (``alt``) gets the variant for how the next line
    starts (a garbage word starts lower-case); the last line's successor lies in another video,
    unknowable (set order), so it keeps its context-free tokens."""
    out: list[str | None] = []
    for k, idx in enumerate(seq):
        if idx < 0:
            out.append(None)
            continue
        a = alt[idx] if alt else None
        if a is None or k + 1 == len(seq):
            out.append(tokens[idx])
            continue
        nxt = seq[k + 1]
        out.append(a[0] if nxt >= 0 and upper[nxt] else a[1])
    return out


def _hits(iou: np.ndarray | SparseTiou, t: float, n_pred: int) -> tuple[np.ndarray, np.ndarray]:
    """(prediction, GT row) of the cells with ``iou >= t`` among the first ``n_pred`` columns,
    ordered by prediction then row. ``SparseTiou`` holds only cells above 0: ``t`` must be > 0."""
    if isinstance(iou, SparseTiou):
        if not t > 0:
            raise ValueError(f"cells above 0 cannot answer iou >= {t}")
        keep = (iou.vals >= t) & (iou.cols < n_pred)
        rows, cols = iou.rows()[keep], iou.cols[keep]
        order = np.lexsort((rows, cols))
        return cols[order], rows[order]
    cols, rows = np.nonzero((iou[:, :n_pred] >= t).T)
    return cols, rows


def anet_groups(
    iou: np.ndarray | SparseTiou,
    pred_tokens: Sequence[str],
    gt_tokens: Sequence[str],
    garbage_tokens: Sequence[str],
    tious: Sequence[float],
    context: tuple | None = None,
) -> list[tuple[Pair, ...]]:
    """densevid's pairs per tIoU: each prediction with every GT at ``iou >= t``, else garbage.

    ``iou`` is (n_gt, n_pred) over the predictions kept (the first ``max_proposals``), or the
    cells above 0 of (n_gt, n_pred or more) when every threshold is above 0.
    ``context``: the video's ``(gt_upper, gt_alt, pred_upper, pred_alt)`` when some caption's
    tokens depend on the next line: densevid tokenises hypotheses and references in pair order.
    """
    groups = []
    for t in tious:
        cols, rows = _hits(iou, t, len(pred_tokens))  # by prediction, then GT row
        bounds = np.searchsorted(cols, np.arange(len(pred_tokens) + 1)).tolist()
        rows_list = rows.tolist()
        pairs: list[Pair] = []
        index: list[tuple[int, int]] = []
        for j, hyp in enumerate(pred_tokens):
            hit = rows_list[bounds[j] : bounds[j + 1]]
            if hit:
                pairs.extend((hyp, gt_tokens[i]) for i in hit)
                index.extend((j, i) for i in hit)
            else:
                pairs.append((hyp, garbage_tokens[j]))
                index.append((j, -1))
        if context is not None and pairs:
            gt_upper, gt_alt, pred_upper, pred_alt = context
            hyps = in_context([j for j, _ in index], pred_tokens, pred_alt, pred_upper)
            refs = in_context([i for _, i in index], gt_tokens, gt_alt, gt_upper)
            pairs = [
                (h, r if r is not None else p[1]) for h, r, p in zip(hyps, refs, pairs, strict=True)
            ]  # type: ignore[misc]
        groups.append(tuple(pairs))
    return groups


def soda_problem(video: VideoInput, ref: int, rows: np.ndarray, sort_gt: bool) -> SodaProblem:
    """soda.py's matrices for GT ``rows`` (sorted by start when ``sort_gt``, stable) and every
    prediction (always sorted by start, stable)."""
    gt, pred = video.gt_spans[rows], video.pred_spans
    g_order = rows[np.argsort(gt[:, 0], kind="stable")] if sort_gt else rows
    p_order = np.argsort(pred[:, 0], kind="stable")
    # soda.py calls iou(pred, gt); its ``iou[iou < tiou] = 0`` (tiou 0) leaves the cells above 0
    iou = SparseTiou.of(pred[p_order], video.gt_spans[g_order], rows="b")
    r, c = iou.rows(), iou.cols
    g_tok: Sequence[str | None] = [video.gt_tokens[i] for i in g_order]
    p_tok: Sequence[str | None] = [video.pred_tokens[j] for j in p_order]
    if video.gt_alt or video.pred_alt:  # soda.py tokenises in these orders
        g_tok = in_context([int(i) for i in g_order], video.gt_tokens, video.gt_alt, video.gt_upper)
        p_tok = in_context(
            [int(j) for j in p_order], video.pred_tokens, video.pred_alt, video.pred_upper
        )
    pairs = {(int(i), int(j)): (g_tok[i], p_tok[j]) for i, j in zip(r, c, strict=True)}
    return SodaProblem(ref, iou, pairs)


def plan_video(
    video: VideoInput,
    tious: Sequence[float],
    overlap_thresholds: Sequence[float],
    max_proposals: int,
    multi_ref: str = "densevid",
) -> VideoPlan:
    """Localisation metrics and the caption pairs of one video.

    With several reference sets (``video.refs``): the ActivityNet pairs, tIoU and F1 use every
    set's segments together (densevid_eval's pairing); densevid P/R is the best over sets, per
    metric; SODA follows ``multi_ref`` (:data:`MULTI_REF_MODES`).
    """
    gt, pred = video.gt_spans, video.pred_spans
    kept = min(len(pred), max_proposals)
    # reference argument order: (ref, pred); every metric but a tIoU threshold of 0 reads only the
    # cells above 0, computed a block of rows at a time (memory: those cells, not rows x columns)
    iou = SparseTiou.of(gt, pred)
    anet_iou = iou if min(tious, default=1.0) > 0 else tiou_matrix(gt, pred[:kept])
    context = None
    if video.gt_alt or video.pred_alt:
        context = (video.gt_upper, video.gt_alt, video.pred_upper[:kept], video.pred_alt[:kept])
    groups = anet_groups(
        anet_iou,
        video.pred_tokens[:kept],
        video.gt_tokens,
        video.garbage_tokens[:kept],
        tious,
        context,
    )
    refs = video.ref_rows()
    prs = [densevid_precision_recall(iou, tious, (lo, hi), kept) for _, lo, hi in refs]
    pr = prs[0] if len(prs) == 1 else np.max(prs, axis=0)
    if multi_ref == "densevid" or len(refs) == 1 and multi_ref != "soda-mr":
        soda = [soda_problem(video, refs[0][0], np.arange(len(gt)), sort_gt=True)]
    else:
        soda = [
            soda_problem(video, k, np.arange(lo, hi), sort_gt=multi_ref == "pdvc")
            for k, lo, hi in refs
        ]
    return VideoPlan(
        video=video,
        anet_groups=groups,
        precision_recall=pr,
        soda=soda,
        mean_tiou=greedy_mean_tiou(iou),
        overlap=overlap_prf(iou, overlap_thresholds),
    )
