"""Multi-track composition: a base timeline plus actions overlaid on disjoint body parts.

The base is exactly the sequential composer's sequence (:func:`compmo_gen.composition.compose.build_sequence`,
same seed key, same quality gate). A second generator, ``SeedSequence([*seed_key, OVERLAY_STREAM])``,
then walks the base segments: with probability ``overlay_prob`` (then ``second_prob`` for a second
one) it draws a clip whose body parts are all overlayable (head, arms, spine) and disjoint from the
base segment's parts and from any overlay already there, fits it inside the base segment (at most
``max_share`` of it, compressed in time by at most ``min_speed``), and plays its parts on top with
:func:`compmo_gen.composition.overlay.overlay`. Each overlay is checked (bone lengths, foot skating, joint speed
at its edges, floor); a failing draw is discarded and another tried (counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compmo_gen.composition.compose import Composed, Prepared
from compmo_gen.composition.overlay import (
    OVERLAY_PARTS,
    fade_weights,
    overlay,
    overlay_checks,
    resample_joints,
)
from compmo_gen.core.constants import FPS
from compmo_gen.core.segments import Segment

#: Third word of the overlay generator's seed key (the base uses attempt numbers 0, 1, ...).
OVERLAY_STREAM = 0x6D74  # "mt"
#: Parts given to a base action that names none (standing idle) in a multi-track sequence.
IDLE_PARTS: tuple[str, ...] = ("legs",)


@dataclass(frozen=True)
class MultitrackOptions:
    """Overlaid actions on disjoint body parts (``multitrack.*`` keys)."""

    #: Overlay actions on the base timeline (off: the sequential build, byte for byte).
    enabled: bool = False
    #: Chance that a base segment gets an overlay.
    overlay_prob: float = 0.6
    #: Chance of a second overlay (on other parts) in a segment that got one.
    second_prob: float = 0.25
    #: Body parts an overlay may move (STMC names; "spine" is the torso).
    parts: tuple[str, ...] = OVERLAY_PARTS
    #: Shortest overlay (seconds).
    min_seconds: float = 1.0
    #: Longest overlay, as a share of its base segment.
    max_share: float = 0.8
    #: Overlays play at most this much faster than their source (1 / time compression).
    min_speed: float = 0.5
    #: Fade in and out over this many frames (bone directions slerped).
    fade: int = 8
    #: Largest joint speed at an overlay's edges, relative to the base's and the source's p99.
    seam_speed_ratio: float = 2.5
    #: Deepest a moved joint may go below the floor (m).
    penetration: float = 0.005
    #: Clips drawn per overlay before giving up on it.
    max_tries: int = 8

    def validate(self, where: str) -> list[str]:
        """Problems with these options (empty when valid)."""
        out = []
        if not (0 <= self.overlay_prob <= 1 and 0 <= self.second_prob <= 1):
            out.append(f"{where}: multitrack.overlay_prob and second_prob must be in [0, 1]")
        bad = [p for p in self.parts if p not in OVERLAY_PARTS]
        if bad or not self.parts:
            out.append(
                f"{where}: multitrack.parts must be some of {', '.join(OVERLAY_PARTS)} (got {bad})"
            )
        if not (0 < self.max_share <= 1 and 0 < self.min_speed <= 1):
            out.append(f"{where}: multitrack.max_share and min_speed must be in (0, 1]")
        if self.fade < 1 or self.max_tries < 1 or self.min_seconds <= 0:
            out.append(f"{where}: multitrack.fade, max_tries >= 1 and min_seconds > 0")
        return out


def overlay_candidates(pool: Sequence[Prepared], parts: Sequence[str]) -> list[int]:
    """Indices of clips whose (non-empty) body parts can all be overlaid."""
    allowed = set(parts)
    return [i for i, p in enumerate(pool) if p.clip.parts and set(p.clip.parts) <= allowed]


def _place(
    rng: np.random.Generator,
    joints: np.ndarray,
    span: tuple[int, int],
    taken: set[str],
    cands: list[int],
    pool: Sequence[Prepared],
    opts: MultitrackOptions,
    rejected: list[str],
) -> tuple[np.ndarray, dict] | None:
    a, b = span
    for _ in range(opts.max_tries):
        e = pool[cands[int(rng.integers(len(cands)))]]
        parts = tuple(e.clip.parts)
        n = e.clip.frames
        n_t = min(n, int(opts.max_share * (b - a)))
        if set(parts) & taken or n_t < opts.min_seconds * FPS or n_t < opts.min_speed * n:
            continue  # the draw does not fit: not a quality rejection
        start = a + int(rng.integers(0, b - a - n_t + 1))
        caption = e.clip.captions[int(rng.integers(len(e.clip.captions)))]
        src = resample_joints(e.clip.joints.astype(np.float64), n_t)
        new = joints.copy()
        w = fade_weights(n_t, opts.fade)
        new[start : start + n_t] = overlay(joints[start : start + n_t], src, parts, w)
        checks = overlay_checks(joints, new, src, parts, (start, start + n_t), opts.fade, FPS)
        checks["penetration"] = float(max(0.0, -new[start : start + n_t, :, 1].min()))
        failed = [
            k
            for k, limit in (
                ("bone_error", 1e-4),
                ("skate_added", 1e-4),
                ("seam_speed_ratio", opts.seam_speed_ratio),
                ("penetration", opts.penetration),
            )
            if checks[k] > limit
        ]
        if failed:
            rejected.extend(failed)
            continue
        meta = {"id": e.clip.id, "source": e.clip.source, "kind": e.clip.kind,
                "caption": caption, "parts": list(parts), "source_frames": n, "frames": n_t,
                "start_frame": start, "end_frame": start + n_t,
                "checks": {k: float(f"{v:.4g}") for k, v in checks.items()}}  # fmt: skip
        return new, meta
    return None


def add_overlays(
    base: Composed, pool: Sequence[Prepared], seed_key: Sequence[int], opts: MultitrackOptions
) -> Composed:
    """``base`` with overlaid actions; segments sorted by (start, end), each with its parts."""
    rng = np.random.default_rng(np.random.SeedSequence([*seed_key, OVERLAY_STREAM]))
    cands = overlay_candidates(pool, opts.parts)
    joints = base.joints.astype(np.float64)
    original = joints.copy()
    placed: list[dict] = []
    rejected: list[str] = []
    for n, seg in enumerate(base.segments):
        if not cands:
            break
        span = (int(round(base.bounds[n])), int(round(base.bounds[n + 1])))
        taken = set(seg.parts)
        for chance in (opts.overlay_prob, opts.second_prob):
            if rng.random() >= chance:
                break
            got = _place(rng, joints, span, taken, cands, pool, opts, rejected)
            if got is None:
                break
            joints, meta = got
            taken |= set(meta["parts"])
            meta["base_segment"] = n
            placed.append(meta)
    # A part-less base action (standing idle) is held by the legs while other parts act.
    segments = [
        s if s.parts else Segment(s.start, s.end, s.caption, IDLE_PARTS) for s in base.segments
    ]
    segments += [
        Segment(m["start_frame"] / FPS, m["end_frame"] / FPS, m["caption"], tuple(m["parts"]))
        for m in placed
    ]
    segments.sort(key=lambda s: (s.start, s.end))
    meta = dict(base.meta)
    qc = dict(meta["qc"])
    figures = dict(qc["figures"])
    checks = [m["checks"] for m in placed]
    figures.update(
        {
            "overlays": len(placed),
            "overlay_bone_error": float(
                f"{np.abs(_lengths(joints) - _lengths(original)).max():.2e}"
            ),
            "overlay_skate_added": max((c["skate_added"] for c in checks), default=0.0),
            "overlay_seam_speed_ratio": max((c["seam_speed_ratio"] for c in checks), default=0.0),
        }
    )
    qc["figures"] = figures
    qc["overlay_rejected"] = rejected
    meta["qc"] = qc
    meta["overlays"] = placed
    return Composed(joints.astype(np.float32), tuple(segments), base.bounds, meta)


def _lengths(p: np.ndarray) -> np.ndarray:
    from compmo_gen.composition.overlay import bone_lengths

    return bone_lengths(p)
