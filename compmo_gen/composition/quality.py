"""Self-check motion metrics (STMC-style checks: foot skate, penetration, bone error, seam jumps) and the per-sequence quality gate.

All positions are metres at 20 fps (``FPS``). Metrics need no learned model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from compmo_gen.composition.skeleton import FOOT_JOINTS, bone_error, heading_angles
from compmo_gen.core.constants import FPS

#: HumanML3D foot-contact rule: squared per-frame displacement below this (m^2) ...
CONTACT_DISP2 = 0.002
#: ... and, here, the foot joint close to the floor (m): ankles (7, 8) and toes (10, 11).
CONTACT_HEIGHT = (0.09, 0.09, 0.04, 0.04)


def jerk_per_frame(p: np.ndarray) -> np.ndarray:
    """Mean joint jerk magnitude per frame (T-3,), m/s^3."""
    j = (p[3:] - 3 * p[2:-1] + 3 * p[1:-2] - p[:-3]) * FPS**3
    return np.linalg.norm(j, axis=-1).mean(axis=-1)


def local_pose(p: np.ndarray) -> np.ndarray:
    """Pelvis-relative pose in the (smoothed) heading frame, (T, 22, 3)."""
    psi = heading_angles(p)
    rel = p - p[:, :1] * np.array([1.0, 0.0, 1.0])
    c, s = np.cos(psi)[:, None], np.sin(psi)[:, None]
    out = rel.copy()
    out[..., 0] = c * rel[..., 0] - s * rel[..., 2]
    out[..., 2] = s * rel[..., 0] + c * rel[..., 2]
    return out


def transition_distance(p: np.ndarray) -> np.ndarray:
    """Mean joint displacement of the local pose between consecutive frames (T-1,), m/frame."""
    q = local_pose(p)
    return np.linalg.norm(np.diff(q, axis=0), axis=-1).mean(axis=-1)


def foot_contacts(p: np.ndarray) -> np.ndarray:
    """(T-1, 4) contact flags for joints 7, 8, 10, 11 between frames t and t+1."""
    d = np.diff(p[:, FOOT_JOINTS], axis=0)
    low = p[:-1, FOOT_JOINTS, 1] < np.array(CONTACT_HEIGHT)
    return (np.einsum("...i,...i->...", d, d) < CONTACT_DISP2) & low


def _foot_speed(p: np.ndarray) -> np.ndarray:
    d = np.diff(p[:, FOOT_JOINTS][..., [0, 2]], axis=0)
    return np.sqrt(np.einsum("...i,...i->...", d, d)) * FPS


def foot_skate(p: np.ndarray, frames: np.ndarray | None = None) -> float:
    """Mean horizontal speed (m/s) of feet in contact (optionally only at ``frames`` of T-1)."""
    speed, c = _foot_speed(p), foot_contacts(p)
    if frames is not None:
        speed, c = speed[frames], c[frames]
    return float(speed[c].mean()) if c.any() else 0.0


def penetration(p: np.ndarray) -> float:
    """Mean over frames of how far the lowest joint is below the floor (m)."""
    return float(np.maximum(0.0, -p[..., 1].min(axis=1)).mean())


@dataclass(frozen=True)
class SourceStats:
    """Reference figures of an atomic clip at its own length."""

    jerk_p99: float
    tdist_max: float
    frames: int


def source_stats(p: np.ndarray) -> SourceStats:
    return SourceStats(
        float(np.percentile(jerk_per_frame(p), 99)) if len(p) > 4 else 0.0,
        float(transition_distance(p).max()) if len(p) > 1 else 0.0,
        len(p),
    )


@dataclass(frozen=True)
class Gate:
    """Thresholds of the quality gate. Ratios are relative to the two clips around a seam."""

    #: Largest seam jerk relative to the two clips' own.
    seam_jerk_ratio: float = 2.5
    #: Largest transition distance at a seam relative to the clips' own.
    seam_tdist_ratio: float = 1.5
    #: Floor (m/frame) under the reference transition distance, so calm clips do not reject
    #: every ordinary change of pose.
    tdist_floor: float = 0.01
    #: Largest mean foot speed during ground contact near a seam.
    seam_skate: float = 0.35
    #: Deepest floor penetration (m).
    penetration: float = 0.005
    #: Largest bone-length error.
    bone_error: float = 1e-4
    #: Apply the seam checks (off: only penetration and bone length).
    check_seams: bool = True


def assess(
    p: np.ndarray,
    seams: Sequence[int],
    refs: Sequence[SourceStats],
    lengths: Sequence[int],
    gate: Gate,
    half_window: int = 5,
) -> tuple[bool, dict[str, float], list[str]]:
    """Figures of a composed motion and the checks it fails (empty = accepted).

    ``seams`` are boundary frames, ``refs[k]`` the stats of clip k at its source length and
    ``lengths[k]`` its length in the sequence (jerk scales with the cube of the time stretch).
    """
    jerk, tdist = jerk_per_frame(p), transition_distance(p)
    speed, contact = _foot_speed(p), foot_contacts(p)
    worst = {"seam_jerk_ratio": 0.0, "seam_tdist_ratio": 0.0, "seam_skate": 0.0}
    for k, s in enumerate(seams):
        lo, hi = max(s - half_window, 0), min(s + half_window, len(p) - 1)
        scale = [(refs[i].frames / max(lengths[i], 1)) for i in (k, k + 1)]
        ref_j = max(refs[i].jerk_p99 * scale[n] ** 3 for n, i in enumerate((k, k + 1)))
        ref_t = max(refs[i].tdist_max * scale[n] for n, i in enumerate((k, k + 1)))
        if hi - 3 > lo:
            worst["seam_jerk_ratio"] = max(
                worst["seam_jerk_ratio"], float(jerk[lo : hi - 3].max()) / max(ref_j, 1.0)
            )
        worst["seam_tdist_ratio"] = max(
            worst["seam_tdist_ratio"], float(tdist[lo:hi].max()) / max(ref_t, gate.tdist_floor)
        )
        c = contact[lo:hi]
        if c.any():
            worst["seam_skate"] = max(worst["seam_skate"], float(speed[lo:hi][c].mean()))
    figures = {
        **{k: round(v, 4) for k, v in worst.items()},
        "penetration": round(penetration(p), 5),
        "bone_error": float(f"{bone_error(p):.2e}"),
    }
    failed = [k for k in ("penetration", "bone_error") if figures[k] > getattr(gate, k)]
    if gate.check_seams:
        failed += [k for k in worst if figures[k] > getattr(gate, k)]
    return not failed, figures, failed


def summarize(figures: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Median, p95 and max of each figure over sequences."""
    out = {}
    for key in figures[0] if figures else ():
        v = np.array([f[key] for f in figures], dtype=np.float64)
        out[key] = {
            "median": float(np.median(v)),
            "p95": float(np.percentile(v, 95)),
            "max": float(v.max()),
        }
    return out
