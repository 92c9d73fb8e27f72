"""Compose long motions from atomic clips (temporal composition, as CompMo).

Pure functions: :func:`compose` turns a per-sequence RNG and a pool of prepared clips into joints,
contiguous ground-truth segments and metadata; :func:`build_sequence` adds the quality gate
(failing draws are resampled with the next attempt's RNG).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from compmo_gen.composition.atoms import AtomicClip
from compmo_gen.composition.kinematics import Features, concat, decompose, recompose, resample
from compmo_gen.composition.quality import Gate, SourceStats, assess, source_stats
from compmo_gen.composition.skeleton import FOOT_JOINTS
from compmo_gen.composition.transitions import join
from compmo_gen.core.config import setting
from compmo_gen.core.constants import FPS
from compmo_gen.core.segments import Segment

#: Segment duration law of CompMo (paper Eq. 4).
DURATION_ALPHA: float = 0.3
DURATION_BETA: float = 0.8
#: Actions per CompMo sequence.
MIN_ACTIONS: int = 2
MAX_ACTIONS: int = 10

#: Transition modes whose seams the quality gate checks.
GATED_MODES = ("crossfade", "inertial")


@dataclass(frozen=True)
class Prepared:
    """An atomic clip with its decomposed features and reference figures, computed once."""

    clip: AtomicClip
    feats: Features
    psi0: float
    xz0: np.ndarray
    stats: SourceStats


def prepare(clip: AtomicClip) -> Prepared:
    feats, psi0, xz0 = decompose(clip.joints)
    return Prepared(clip, feats, psi0, xz0, source_stats(clip.joints.astype(np.float64)))


#: Most atomic actions one sequence may be asked for (CompMo: 2-10).
MAX_ACTIONS_LIMIT = 100


@dataclass(frozen=True)
class ComposeConfig:
    """How atomic clips are drawn and joined into one sequence (``composition.*`` keys)."""

    #: Fewest atomic actions per sequence (K ~ U{min_actions..max_actions}).
    min_actions: int = setting(MIN_ACTIONS, ge=1, le=MAX_ACTIONS_LIMIT)
    #: Most atomic actions per sequence.
    max_actions: int = setting(MAX_ACTIONS, ge=1, le=MAX_ACTIONS_LIMIT)
    #: Paper Eq. 4 duration law: alpha (seconds).
    alpha: float = DURATION_ALPHA
    #: Paper Eq. 4 duration law: beta.
    beta: float = DURATION_BETA
    #: Seam blending: concat, slerp10, crossfade or inertial.
    transition: str = "inertial"
    window: int = 10  #: crossfade / slerp10 frames (even)
    half_life: float = 4.0  #: inertialization half-life (frames)
    #: Keep the feet on the floor across seams.
    ground_fix: bool = True
    #: Draws per sequence before the quality gate gives up on it.
    max_attempts: int = 5
    #: Thresholds of the quality gate.
    gate: Gate = field(default_factory=Gate)


@dataclass
class Composed:
    """A composed sequence: joints, its ground-truth segments (seconds) and build metadata."""

    joints: np.ndarray  # (T, 22, 3) float32
    segments: tuple[Segment, ...]
    #: Segment boundaries in frames (``len(segments) + 1`` values, from 0 to T).
    bounds: tuple[float, ...]
    meta: dict


def duration_bounds(
    t_gt: float, alpha: float = DURATION_ALPHA, beta: float = DURATION_BETA
) -> tuple[float, float]:
    """Paper Eq. 4: ``U[beta T + alpha, min((2 - beta) T + alpha, T + beta + 1)]`` (seconds)."""
    lo = beta * t_gt + alpha
    return lo, max(lo, min((2 - beta) * t_gt + alpha, t_gt + beta + 1))


def _copy(f: Features) -> Features:
    return Features(f.dirs.copy(), f.height.copy(), f.omega.copy(), f.vel.copy(), f.minfoot.copy())


def ground_fix(
    p: np.ndarray, target_minfoot: np.ndarray, windows: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Inside seam windows lift the pose so its lowest foot joint follows the blended sources'
    lowest-foot height (smoothed); then nothing goes below the floor; floor at y = 0."""
    t = len(p)
    mask = np.zeros(t)
    for lo, hi in windows:
        mask[max(lo - 3, 0) : min(hi + 3, t)] = 1.0
    if mask.any():
        offset = (target_minfoot - p[:, FOOT_JOINTS, 1].min(axis=1)) * mask
        p[..., 1] += gaussian_filter1d(offset, 2.0, mode="nearest")[:, None]
    below = np.maximum(0.0, -p[..., 1].min(axis=1))
    if below.any():
        p[..., 1] += gaussian_filter1d(
            maximum_filter1d(below, 7, mode="nearest"), 1.5, mode="nearest"
        )[:, None]
        p[..., 1] += np.maximum(0.0, -p[..., 1].min(axis=1))[:, None]  # exact: never below 0
    p[..., 1] -= p[..., 1].min()
    return p


def compose(pool: Sequence[Prepared], rng: np.random.Generator, cfg: ComposeConfig) -> Composed:
    """One composed sequence drawn from ``pool`` with ``rng`` (no quality gate)."""
    k = int(rng.integers(cfg.min_actions, cfg.max_actions + 1))
    picks: list[int] = []
    while len(picks) < k:
        i = int(rng.integers(len(pool)))
        if not picks or pool[i].clip.group != pool[picks[-1]].clip.group or len(pool) == 1:
            picks.append(i)
    pieces, starts, bounds, windows, clips_meta, lengths = [], [], [0.0], [], [], []
    total = 0
    for n, i in enumerate(picks):
        e = pool[i]
        caption = e.clip.captions[int(rng.integers(len(e.clip.captions)))]
        lo, hi = duration_bounds(e.clip.frames / FPS, cfg.alpha, cfg.beta)
        frames = max(int(round(rng.uniform(lo, hi) * FPS)), 8)
        piece = resample(e.feats, frames)
        if piece is e.feats:  # same length: resample returned the pool's own arrays
            piece = _copy(piece)
        if n:
            piece, boundary, (wlo, whi) = join(
                cfg.transition, pieces[-1], piece, window=cfg.window, half_life=cfg.half_life
            )
            bounds.append(total + boundary)
            windows.append((total + wlo, total + whi))
        starts.append(total)
        pieces.append(piece)
        lengths.append(frames)
        total += len(piece)
        clips_meta.append({"id": e.clip.id, "source": e.clip.source, "crop": list(e.clip.crop) if e.clip.crop else None,
                           "kind": e.clip.kind, "caption": caption, "source_frames": e.clip.frames, "frames": frames})  # fmt: skip
    bounds.append(float(total))
    feats = concat(pieces)
    first = pool[picks[0]]
    p = recompose(feats, first.psi0, first.xz0)
    if cfg.ground_fix:
        p = ground_fix(p, feats.minfoot, windows)
    segments = []
    for n, i in enumerate(picks):
        s, e_ = bounds[n], bounds[n + 1]
        segments.append(Segment(s / FPS, e_ / FPS, clips_meta[n]["caption"], pool[i].clip.parts))
        clips_meta[n]["start_frame"], clips_meta[n]["end_frame"] = s, e_
    meta = {"transition": cfg.transition, "frames": total, "clips": clips_meta,
            "seams": [{"boundary": bounds[n + 1], "window": list(w)} for n, w in enumerate(windows)],
            "_seam_frames": [int(round(b)) for b in bounds[1:-1]], "_lengths": lengths,
            "_refs": [pool[i].stats for i in picks]}  # fmt: skip
    return Composed(p, tuple(segments), tuple(bounds), meta)


def build_sequence(
    pool: Sequence[Prepared], seed_key: Sequence[int], cfg: ComposeConfig
) -> Composed:
    """Compose with the quality gate: attempt ``a`` uses ``SeedSequence([*seed_key, a])``; the
    first accepted draw wins, else the one failing the fewest checks (flagged in metadata)."""
    best = None
    rejected = []
    # The paper's ablation modes are hard or short seams on purpose: gate them on bones and floor.
    gate = cfg.gate if cfg.transition in GATED_MODES else replace(cfg.gate, check_seams=False)
    for attempt in range(cfg.max_attempts):
        rng = np.random.default_rng(np.random.SeedSequence([*seed_key, attempt]))
        c = compose(pool, rng, cfg)
        c.joints = c.joints.astype(np.float32)  # judge what is written
        ok, figures, failed = assess(
            c.joints.astype(np.float64),
            c.meta["_seam_frames"],
            c.meta["_refs"],
            c.meta["_lengths"],
            gate,
        )
        c.meta["qc"] = {"figures": figures, "failed": failed, "attempt": attempt}
        if ok:
            best = c
            break
        rejected.append(failed)
        if best is None or len(failed) < len(best.meta["qc"]["failed"]):
            best = c
    assert best is not None
    for key in ("_seam_frames", "_lengths", "_refs"):
        best.meta.pop(key)
    best.meta["qc"]["rejected"] = rejected
    best.meta["qc"]["accepted"] = not best.meta["qc"]["failed"]
    return best
