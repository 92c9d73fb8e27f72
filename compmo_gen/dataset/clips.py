"""Atomic clips for a build: the embedded library or a HumanML3D-layout folder, prepared
(decomposed) in parallel, then dealt into per-split pools."""

from __future__ import annotations

import logging
import math

from compmo_gen.composition.compose import Prepared, prepare
from compmo_gen.dataset.build_config import BuildConfig
from compmo_gen.dataset.splits import SPLITS, atomic_split, check_disjoint

log = logging.getLogger(__name__)


class BuildError(ValueError):
    """A build cannot proceed (bad source, mismatched output folder); one line."""


def _library_kind(args: tuple[int, int, int]) -> list[Prepared]:
    from compmo_gen.procedural import all_kinds, build_library

    seed, per_kind, index = args
    kinds = all_kinds()
    clips = build_library(seed, per_kind, kinds=[kinds[index]], first_index=index)
    return [prepare(c) for c in clips]


def _humanml3d_chunk(args) -> tuple[list[Prepared], dict]:
    from compmo_gen.sources.humanml3d import load_clips

    root, ids, opts = args
    clips, report = load_clips(root, ids, opts)
    return [prepare(c) for c in clips], report


def load_atoms(cfg: BuildConfig, pool) -> tuple[list[Prepared], dict]:
    """Prepared atomic clips (deterministic order) and a report of the source."""
    if cfg.source == "procedural":
        from compmo_gen.procedural import all_kinds

        jobs = [(cfg.seed, cfg.library.per_kind, i) for i in range(len(all_kinds()))]
        atoms = [a for part in _map(pool, _library_kind, jobs) for a in part]
        kinds = sorted({a.clip.kind for a in atoms})
        sides = {
            s: sum(1 for a in atoms if s in dict(a.clip.params).values()) for s in ("left", "right")
        }
        return atoms, {
            "source": "procedural",
            "kinds": len(kinds),
            "clips": len(atoms),
            "side_counts": sides,
        }
    from compmo_gen.sources.humanml3d import LoadReport, SourceError, chunked, list_ids

    root = cfg.source.split(":", 1)[1]
    try:
        ids = list_ids(root, cfg.humanml3d)
    except SourceError as exc:
        raise BuildError(str(exc)) from None
    report, atoms = LoadReport(), []
    for part, rep in _map(
        pool, _humanml3d_chunk, [(root, c, cfg.humanml3d) for c in chunked(ids, 500)]
    ):
        atoms.extend(part)
        report.merge(rep)
    if report.counts:
        log.info("humanml3d: %s", ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())))
    return atoms, {"source": "humanml3d", "clips": len(atoms), **report.as_dict()}


def _map(pool, fn, jobs):
    # one job at a time: the 31 library kinds take 0.1-0.25 s each, and chunks of 4 (the default
    # chunk size) left one worker idle at the end of the phase
    return pool.map(fn, jobs, chunksize=1) if pool is not None else [fn(j) for j in jobs]


#: Fewest distinct usable motions any build needs (a sequence joins at least two clips).
MIN_CLIPS = 2


def clips_needed(num: int) -> int:
    """Distinct usable atomic clips a build of ``num`` sequences needs: ``max(2, ceil(sqrt(num) / 2))``
    (60,000 sequences: 123; 2,000: 23; 100: 5). With ``k`` clips there are about ``k**2``
    ordered clip pairs; fewer than ``num / 4`` of them means the sequences mostly repeat."""
    return max(MIN_CLIPS, math.ceil(math.sqrt(max(num, 0)) / 2))


def check_enough_clips(
    pools: dict[str, list[Prepared]], ranges: list[tuple[str, int, int]], *, allow: bool
) -> list[str]:
    """Refuse (BuildError) a split whose pool holds fewer distinct source motions than its
    sequence count needs (:func:`clips_needed`; a clip, its mirror and its time crops are one
    motion: the composer never puts two of them side by side); with ``allow`` return the
    shortfalls as warnings instead. A pool of several clips of one motion is refused even then:
    no sequence of two or more actions can be drawn from it."""
    short = []
    num = sum(b - a for _, a, b in ranges)
    every = [p for pool in pools.values() for p in pool]
    groups = [("the source", every, num)]
    groups += [(f"split {n!r}", pools.get(n, []), b - a) for n, a, b in ranges]
    for name, pool, n in groups:
        motions = {p.clip.group for p in pool}
        if n > 0 and len(motions) == 1 and len({p.clip.id for p in pool}) > 1:
            raise BuildError(
                f"{name}: its {len(pool)} clips are all one motion (its mirror or time crops), "
                "which the composer never places side by side; add other motions"
            )
        if n > 0 and len(motions) < clips_needed(n):
            short.append(
                f"{name}: {len(motions)} distinct usable motion(s) for {n} sequences "
                f"(needs at least {clips_needed(n)})"
            )
            break  # the first shortfall says it
    if short and not allow:
        raise BuildError(
            "; ".join(short) + ": the sequences would mostly repeat the same clips; use a larger "
            "source, fewer sequences (--num), or --set allow_few_clips=true to build anyway"
        )
    return short


def make_pools(cfg: BuildConfig, atoms: list[Prepared]) -> tuple[dict[str, list[Prepared]], dict]:
    if not atoms:
        raise BuildError(f"{cfg.source}: no usable atomic clips")
    if cfg.split_by == "sequence":
        return {s: atoms for s in SPLITS}, {"split_by": "sequence"}
    by_id = {a.clip.id: a for a in atoms}
    clip_pools, report = atomic_split([a.clip for a in atoms], cfg.ratios, cfg.seed)
    problems = check_disjoint(clip_pools)
    if problems:  # cannot happen by construction; refuse to write a leaky split
        raise BuildError("atomic split is not disjoint: " + "; ".join(problems))
    pools = {}
    for s in SPLITS:
        pools[s] = [
            by_id[c.id]
            if c.captions == by_id[c.id].clip.captions
            else Prepared(c, *_rest(by_id[c.id]))
            for c in clip_pools[s]
        ]
    return pools, {"split_by": "atomic", **report}


def _rest(p: Prepared):
    return p.feats, p.psi0, p.xz0, p.stats
