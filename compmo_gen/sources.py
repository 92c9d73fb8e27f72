"""Atomic clips for a build: the embedded library or a HumanML3D-layout folder, prepared
(decomposed) in parallel, then dealt into per-split pools."""

from __future__ import annotations

import logging

from compmo_gen.build_config import BuildConfig
from compmo_gen.compose import Prepared, prepare
from compmo_gen.splits import SPLITS, atomic_split, check_disjoint

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
    from compmo_gen.humanml3d import load_clips

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
    from compmo_gen.humanml3d import LoadReport, SourceError, chunked, list_ids

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
    return pool.map(fn, jobs) if pool is not None else [fn(j) for j in jobs]


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
