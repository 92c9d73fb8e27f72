"""Score dense captions with the ActivityNet, SODA_c and Chapter-Llama protocols in one pass.

Orchestration only; the numbers come from the pure cores (:mod:`evaluation.plan`,
:mod:`evaluation.soda`) and pycocoevalcap's scorers. Every distinct caption is tokenised once
(one Java call), every distinct METEOR pair is scored once across tIoUs and metrics by a pool of
long-lived jars, and groups of pairs that repeat (a video whose pairs are the same at two tIoUs)
are scored once. Videos stream through in chunks: the METEOR work of one chunk runs in a thread
(the scorers run in parallel in their own processes) while the chunk's BLEU, ROUGE-L and CIDEr-D
are scored (in worker processes on a large evaluation) and the next chunk is planned, so memory
stays bounded by the chunk size plus the caches.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from compmo_gen.core.segments import DenseAnnotation, unscored
from evaluation import backends
from evaluation.caption_pool import CaptionWork
from evaluation.captions import NGRAM_METRICS
from evaluation.config import EvalConfig
from evaluation.plan import Pair, VideoInput, VideoPlan, plan_video
from evaluation.soda import soda_bounded, soda_from_best
from evaluation.text import remove_nonascii, starts_upper

log = logging.getLogger(__name__)

#: Caption metrics of the ActivityNet protocol, in report order.
CAPTION_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")
#: From this many videos on, BLEU/ROUGE-L/CIDEr-D run in ``jobs`` worker processes.
CAPTION_POOL_MIN_VIDEOS = 500
#: The fixed garbage reference of the 2018 densevid_eval.
GARBAGE_2018 = "abc123!@#"
_STATS_CACHE_LIMIT = 500_000


@dataclass
class VideoScores:
    """All per-video numbers (fractions, not x100)."""

    id: str
    status: str
    evaluated: bool  # counts in SODA and the overlap metrics
    anet: np.ndarray  # (n_tious, len(CAPTION_METRICS))
    precision_recall: np.ndarray  # (n_tious, 2)
    soda: np.ndarray  # (3,): P, R, F (pdvc mode: the mean over the video's reference sets)
    mean_tiou: float
    overlap: np.ndarray  # (n_thresholds, 3)
    #: (n_reference_sets, 3): P, R, F per set, NaN where the set lacks the video (pdvc and
    #: soda-mr modes; None otherwise)
    soda_refs: np.ndarray | None = None


@dataclass
class Counts:
    gt_videos: int = 0
    ok: int = 0
    missing: int = 0
    empty: int = 0
    unparseable: int = 0
    unknown: int = 0
    gt_segments: int = 0
    pred_segments: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def garbage_word(caption: str, seed: int) -> str:
    """densevid's garbage reference: 10-20 random lower-case letters, seeded by the caption.

    Only its token count can matter (it matches nothing), so the same hypothesis gets the same word
    and its METEOR statistics are computed once. The letters come from a SHA-256 digest of the
    seed and the caption (seeding a ``random.Random`` per caption was ten times slower).
    """
    digest = hashlib.sha256(f"{seed}\0{caption}".encode()).digest()
    return digest[1 : 11 + digest[0] % 11].translate(_LETTERS).decode("ascii")


_LETTERS = bytes(ord("a") + k % 26 for k in range(256))


def _spans(ann: DenseAnnotation | None) -> np.ndarray:
    if ann is None or not ann.segments:
        return np.zeros((0, 2))
    return np.array([(s.start, s.end) for s in ann.segments], dtype=np.float64)


def merge_references(
    gt_sets: Sequence[Mapping[str, DenseAnnotation]],
) -> tuple[dict[str, DenseAnnotation], dict[str, tuple[tuple[int, int, int], ...]]]:
    """Every video of any reference set, its segments concatenated in set order (densevid_eval's
    pairing order), and the rows each set contributes: ``{id: ((set, first, end), ...)}``.

    Videos come in first-seen order over the sets; with one set this is that set unchanged.
    """
    if len(gt_sets) == 1:
        return dict(gt_sets[0]), {}
    merged: dict[str, DenseAnnotation] = {}
    refs: dict[str, tuple[tuple[int, int, int], ...]] = {}
    for vid in dict.fromkeys(v for g in gt_sets for v in g):
        segs: list = []
        rows = []
        duration = None
        for k, g in enumerate(gt_sets):
            ann = g.get(vid)
            if ann is not None:
                rows.append((k, len(segs), len(segs) + len(ann.segments)))
                segs.extend(ann.segments)
                duration = ann.duration if duration is None else duration
        merged[vid] = DenseAnnotation(vid, duration, tuple(segs))
        refs[vid] = tuple(rows)
    return merged, refs


def build_inputs(
    gt: Mapping[str, DenseAnnotation] | Sequence[Mapping[str, DenseAnnotation]],
    pred: Mapping[str, DenseAnnotation],
    unparseable: Iterable[str],
    cfg: EvalConfig,
) -> tuple[list[VideoInput], Counts]:
    """Statuses, tokens (one PTB call for every distinct caption) and garbage references.

    ``gt`` is one reference set or a sequence of them (see :func:`merge_references`).
    """
    gt_sets = [gt] if isinstance(gt, Mapping) else list(gt)
    gt, refs = merge_references(gt_sets)
    bad = set(unparseable)
    counts = Counts(gt_videos=len(gt), unknown=sum(1 for v in pred if v not in gt))
    raw: dict[str, str] = {}  # caption -> preprocessed
    statuses = {}
    for vid, ann in gt.items():
        p = pred.get(vid)
        status = (
            "unparseable" if vid in bad else "missing" if p is None
            else "empty" if not p.segments else "ok"
        )  # fmt: skip
        statuses[vid] = status
        setattr(counts, status, getattr(counts, status) + 1)
        counts.gt_segments += len(ann.segments)
        for s in ann.segments:
            raw.setdefault(s.caption, remove_nonascii(s.caption))
        if status == "ok":
            counts.pred_segments += len(p.segments)
            for s in p.segments:
                raw.setdefault(s.caption, remove_nonascii(s.caption))
            for key, n in unscored(ann, p, cfg.max_proposals).items():
                counts.extra[key] = counts.extra.get(key, 0) + n
    garbage = {}
    for vid, status in statuses.items():
        if status == "ok":
            for s in pred[vid].segments:
                pre = raw[s.caption]
                if pre not in garbage:
                    garbage[pre] = (
                        GARBAGE_2018 if cfg.garbage == "2018" else garbage_word(pre, cfg.seed)
                    )
    tokens, variants = backends.tokenize_in_context(
        [*raw.values(), *garbage.values()], cfg.tokenizer, progress=cfg.progress
    )
    if variants:
        log.info("%d caption(s) tokenise differently depending on the next line", len(variants))
    log.info("tokenised %d distinct captions", len(tokens))
    inputs = []
    for vid, ann in gt.items():
        status = statuses[vid]
        segs = pred[vid].segments if status == "ok" else ()
        pre = [raw[s.caption] for s in segs]
        inputs.append(
            VideoInput(
                id=vid,
                status=status,
                gt_spans=_spans(ann),
                gt_tokens=tuple(tokens[raw[s.caption]] for s in ann.segments),
                pred_spans=_spans(pred.get(vid)) if segs else np.zeros((0, 2)),
                pred_tokens=tuple(tokens[c] for c in pre),
                garbage_tokens=tuple(tokens[garbage[c]] for c in pre),
                evaluated=cfg.protocol == "strict" or status in ("ok", "empty"),
                refs=refs.get(vid, ()),
                **_context(ann.segments, segs, raw, variants),
            )
        )
    return inputs, counts


def _context(gt_segs: Sequence, pred_segs: Sequence, raw: dict, variants: dict) -> dict:
    """``VideoInput``'s PTB-context fields, when a caption of the video depends on context."""
    gt_raw = [raw[s.caption] for s in gt_segs]
    pred_raw = [raw[s.caption] for s in pred_segs]
    if not variants or not any(c in variants for c in (*gt_raw, *pred_raw)):
        return {}
    return {
        "gt_upper": tuple(starts_upper(c) for c in gt_raw),
        "gt_alt": tuple(variants.get(c) for c in gt_raw),
        "pred_upper": tuple(starts_upper(c) for c in pred_raw),
        "pred_alt": tuple(variants.get(c) for c in pred_raw),
    }


class _MeteorWorker:
    """Runs the METEOR part of each chunk in a thread; the jars themselves run in parallel."""

    def __init__(self, jobs: int, meteor: Any = None, kind: str = "native") -> None:
        self.pool = meteor if meteor is not None else backends.open_meteor(kind, jobs)
        self.stats: dict[Pair, str] = {}
        self.pair_scores: dict[Pair, float] = {}
        self.counters = {"score_pairs": 0, "eval_lines": 0, "eval_stats": 0, "soda_rounds": 0}
        self.todo: queue.Queue = queue.Queue(maxsize=4)
        self.done: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            item = self.todo.get()
            if item is None:
                return
            index, plans = item
            try:
                t0 = time.perf_counter()
                result = self._chunk(plans)
                log.debug("chunk %d: METEOR part %.2f s", index, time.perf_counter() - t0)
                self.done.put((index, result))
            except BaseException as exc:
                self.done.put((index, exc))

    def _chunk(self, plans: list[VideoPlan]) -> tuple[dict, list[list[float]]]:
        """METEOR aggregates of the chunk's ActivityNet groups and each SODA problem's DP value."""
        if len(self.stats) > _STATS_CACHE_LIMIT:
            self.stats.clear()
            self.pair_scores.clear()
        groups = [g for g in {g: None for p in plans for g in p.anet_groups if g}]
        video: dict[Pair, int] = {}  # a pair's first video: METEOR keeps a video in one process
        for k, p in enumerate(plans):
            for g in p.anet_groups:
                video.update((pair, k) for pair in g if pair not in video)
            for problem in p.soda:
                video.update((pair, k) for pair in problem.pairs.values() if pair not in video)
        best = [[0.0] * len(p.soda) for p in plans]
        pending = [(k, r) for k, p in enumerate(plans) for r in range(len(p.soda))]
        group_scores: dict | None = None
        while True:
            wanted: dict[Pair, None] = {}
            still = []
            for k, r in pending:
                problem = plans[k].soda[r]
                pairs = problem.pairs
                known = {c: self.pair_scores[x] for c, x in pairs.items() if x in self.pair_scores}
                value, cells = soda_bounded(problem.iou, known)
                if value is None:
                    still.append((k, r))
                    wanted.update((pairs[c], None) for c in cells)
                else:
                    best[k][r] = value
            pending = still
            if group_scores is not None and not pending:
                return group_scores, best
            scores = self._meteor(groups if group_scores is None else [], list(wanted), video)
            group_scores = group_scores or scores

    def _meteor(
        self, groups: list[tuple[Pair, ...]], soda: list[Pair], video: Mapping[Pair, int]
    ) -> dict:
        """Score ``groups`` (aggregates) and ``soda`` pairs (into ``pair_scores``) in one go."""
        wanted = {pair: None for g in groups for pair in g}
        wanted.update((pair, None) for pair in soda)
        missing = [pair for pair in wanted if pair not in self.stats]
        got = self.pool.stats(missing, affinity=[video[pair] for pair in missing])
        self.stats.update(zip(missing, got, strict=True))
        batches = [soda[k : k + 1000] for k in range(0, len(soda), 1000)]
        lines = [[self.stats[pair] for pair in g] for g in groups]
        lines += [[self.stats[pair] for pair in b] for b in batches]
        c = self.counters
        c["score_pairs"] += len(missing)
        c["eval_lines"] += len(lines)
        c["eval_stats"] += sum(len(x) for x in lines)
        c["soda_rounds"] += 1
        results = self.pool.evaluate(lines)
        for batch, (_, per_pair) in zip(batches, results[len(groups) :], strict=True):
            if any(not 0.0 <= x <= 1.0 for x in per_pair):
                raise RuntimeError("METEOR returned a score outside [0, 1]")
            self.pair_scores.update(zip(batch, per_pair, strict=True))
        return {g: r[0] for g, r in zip(groups, results, strict=False)}

    def close(self) -> None:
        self.todo.put(None)
        self.thread.join(timeout=10)
        self.counters["jar_cpu_s"] = round(self.pool.cpu_seconds(), 2)
        if getattr(self.pool, "routed", 0):  # Java path: long pairs scored natively (limits.py)
            self.counters["meteor_pairs_native"] = self.pool.routed
        self.pool.close()
        log.info("METEOR work: %s", ", ".join(f"{k} {v}" for k, v in self.counters.items()))


def _finish(
    plan: VideoPlan, ngram: dict, meteor: dict, best: list[float], cfg: EvalConfig, n_refs: int
) -> VideoScores:
    v = plan.video
    anet = np.zeros((len(plan.anet_groups), len(CAPTION_METRICS)))
    for k, g in enumerate(plan.anet_groups):
        if g:
            b1, b2, b3, b4, rouge, cider = ngram[g]
            anet[k] = (b1, b2, b3, b4, meteor[g], rouge, cider)
    prf = [np.array(soda_from_best(b, *p.iou.shape)) for p, b in zip(plan.soda, best, strict=True)]
    soda_refs = None
    soda = prf[0]
    if cfg.multi_ref != "densevid" and n_refs > 1:
        soda_refs = np.full((n_refs, 3), np.nan)
        for p, x in zip(plan.soda, prf, strict=True):
            soda_refs[p.ref] = x
        if cfg.multi_ref == "soda-mr":  # soda.py: the set with the best F (first on ties)
            soda = prf[int(np.argmax([x[2] for x in prf]))]
        else:
            soda = np.mean(prf, axis=0)
    return VideoScores(
        id=v.id,
        status=v.status,
        evaluated=v.evaluated,
        anet=anet,
        precision_recall=plan.precision_recall,
        soda=soda,
        mean_tiou=plan.mean_tiou,
        overlap=plan.overlap,
        soda_refs=soda_refs,
    )


def score_videos(
    inputs: list[VideoInput], cfg: EvalConfig, meteor: Any = None
) -> list[VideoScores]:
    """Per-video scores of every input, in input order.

    ``meteor``: an already started :func:`evaluation.meteor_driver.open_meteor` backend (its JVM start
    then overlaps reading and tokenising); it is closed here. Default: start one now.
    """
    from tqdm import tqdm

    worker = _MeteorWorker(cfg.jobs, meteor, cfg.meteor)
    if hasattr(worker.pool, "use_vocabulary"):  # only what these captions can match is loaded
        # a video's pairs go to one METEOR process, by its place in its chunk (see _chunk)
        vocabulary = {
            (t, k % cfg.chunk): None
            for k, v in enumerate(inputs)
            for t in (*v.gt_tokens, *v.pred_tokens, *v.garbage_tokens)
        }
        worker.pool.use_vocabulary([t for t, _ in vocabulary], [a for _, a in vocabulary])
    n_refs = 1 + max((r[0] for v in inputs for r in v.refs), default=0)
    captions = CaptionWork(cfg.jobs, parallel=len(inputs) >= CAPTION_POOL_MIN_VIDEOS)
    pending: dict[int, tuple[list[VideoPlan], Any]] = {}
    out: list[list[VideoScores]] = []

    def drain(block: bool) -> None:
        while pending:
            try:
                index, result = worker.done.get(block=block)
            except queue.Empty:
                return
            if isinstance(result, BaseException):
                raise result
            plans, ngram_of = pending.pop(index)
            ngram = ngram_of()
            meteor, best = result
            out[index] = [
                _finish(p, ngram, meteor, b, cfg, n_refs) for p, b in zip(plans, best, strict=True)
            ]
            bar.update(len(plans))  # a video counts once its METEOR scores are in

    try:
        bar = tqdm(total=len(inputs), unit="video", disable=not cfg.progress, desc="scoring")
        for index, start in enumerate(range(0, len(inputs), cfg.chunk)):
            chunk = inputs[start : start + cfg.chunk]
            plans = [
                plan_video(v, cfg.tious, cfg.overlap_thresholds, cfg.max_proposals, cfg.multi_ref)
                for v in chunk
            ]
            worker.todo.put((index, plans))
            groups = {g: None for p in plans for g in p.anet_groups if g}
            pending[index] = (plans, captions.submit(list(groups)))
            out.append([])
            drain(block=False)
        drain(block=True)
        bar.close()
    finally:
        worker.close()
        captions.close()
    assert len(NGRAM_METRICS) + 1 == len(CAPTION_METRICS)
    return [s for chunk_scores in out for s in chunk_scores]
