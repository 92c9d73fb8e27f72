"""Reference baselines that frame dense-captioning numbers, on any folder built by ``compmo-gen``.

A dataset folder holds ``motions/<id>.npy`` (T, 22, 3) joint positions and
``annotations/<split>.json`` (ActivityNet ground truth with durations). Two baselines:

- ``uniform``: every test motion cut into K equal segments, K = the training split's mean number
  of actions (rounded half up), each captioned with the most frequent training caption. It needs no
  motion at all: it measures what the caption and count priors alone score.
- ``nn-oracle``: the ground-truth boundaries (an oracle for localisation) with, for each segment,
  the caption of the nearest training segment under a simple motion descriptor (heading-normalised
  pose mean and spread, per-joint speeds, root velocity, yaw rate; z-scored on the training set).
  It measures what retrieval alone scores when localisation is perfect.

Both are deterministic: ties go to the first candidate in training-file order.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compmo_gen.core.constants import FPS, NUM_JOINTS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import load_annotations
from compmo_gen.core.io import resolve_under
from compmo_gen.core.segments import DenseAnnotation, Segment

log = logging.getLogger(__name__)

BASELINES = ("uniform", "nn-oracle")
# HumanML3D joint indices used to find the facing direction (hips 1, 2; shoulders 16, 17).
_L_HIP, _R_HIP, _L_SHOULDER, _R_SHOULDER = 1, 2, 16, 17
#: Length of the motion descriptor (mean pose, pose spread, joint speeds, root velocity, yaw rate).
DESCRIPTOR_DIM = 3 * NUM_JOINTS * 2 + NUM_JOINTS + 3 + 1


@dataclass(frozen=True)
class CaptionPrior:
    """What the uniform baseline learns from the training split."""

    mean_actions: float
    num_segments: int
    caption: str
    caption_count: int


def load_split(root: str | os.PathLike[str], split: str) -> dict[str, DenseAnnotation]:
    """The ground truth of ``<root>/annotations/<split>.json`` (validated, file order)."""
    path = Path(root) / "annotations" / f"{split}.json"
    if not path.is_file():
        raise AnnotationError(path, None, None, f"split {split!r} not found (no such file)")
    return load_annotations(path, role="gt", fmt="anet-gt").annotations


def caption_prior(train: Iterable[DenseAnnotation]) -> CaptionPrior:
    """Mean action count and the most frequent caption (ties: first seen) of the training split."""
    counts: Counter[str] = Counter()
    n_videos = n_segments = 0
    for ann in train:
        n_videos += 1
        n_segments += len(ann.segments)
        counts.update(seg.caption for seg in ann.segments)
    if n_videos == 0:
        raise ValueError("the training split is empty")
    mean = n_segments / n_videos
    caption, count = counts.most_common(1)[0]  # Counter keeps first-seen order among ties
    return CaptionPrior(mean, max(1, math.floor(mean + 0.5)), caption, count)


def _duration(ann: DenseAnnotation) -> float:
    if ann.duration is not None:
        return ann.duration
    return ann.segments[-1].end if ann.segments else 0.0


def uniform_predictions(
    test: Iterable[DenseAnnotation], prior: CaptionPrior
) -> list[DenseAnnotation]:
    """K equal segments over each motion's duration, all with the prior caption."""
    out = []
    k = prior.num_segments
    for ann in test:
        d = _duration(ann)
        bounds = [d * i / k for i in range(k)] + [d]
        segs = tuple(Segment(bounds[i], bounds[i + 1], prior.caption) for i in range(k))
        out.append(DenseAnnotation(ann.id, ann.duration, segs))
    return out


# --------------------------------------------------------------------------- motion descriptor


def _yaw(joints: np.ndarray) -> np.ndarray:
    """Per-frame facing angle about +y (0 = facing +z) from the hip and shoulder axes."""
    across = (joints[:, _L_HIP] - joints[:, _R_HIP]) + (
        joints[:, _L_SHOULDER] - joints[:, _R_SHOULDER]
    )
    # forward = up x across (x = the person's left): forward_x = across_z, forward_z = -across_x
    return np.arctan2(across[:, 2], -across[:, 0])


def motion_descriptor(joints: np.ndarray, fps: float = FPS) -> np.ndarray:
    """A fixed-length description of a clip (T, 22, 3), invariant to position and heading.

    Poses are expressed relative to the pelvis and rotated so the clip's mean heading faces +z.
    """
    p = np.asarray(joints, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (NUM_JOINTS, 3) or p.shape[0] < 1:
        raise ValueError(f"expected (T, {NUM_JOINTS}, 3) joints, got {p.shape}")
    yaw = _yaw(p)
    mean_yaw = math.atan2(float(np.sin(yaw).mean()), float(np.cos(yaw).mean()))
    c, s = math.cos(mean_yaw), math.sin(mean_yaw)
    # rotate by -mean_yaw about +y so that the mean facing direction becomes +z
    rot = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    q = p @ rot.T
    rel = q - q[:, :1] * np.array([1.0, 0.0, 1.0])  # pelvis x/z removed, height kept
    if len(q) > 1:
        vel = np.diff(q, axis=0) * fps
        speeds = np.linalg.norm(vel, axis=2).mean(axis=0)
        root_vel = vel[:, 0].mean(axis=0)
        dyaw = np.angle(np.exp(1j * np.diff(yaw)))
        yaw_rate = np.array([dyaw.mean() * fps])
    else:
        speeds, root_vel, yaw_rate = np.zeros(NUM_JOINTS), np.zeros(3), np.zeros(1)
    feats = [rel.mean(axis=0).ravel(), rel.std(axis=0).ravel(), speeds, root_vel, yaw_rate]
    return np.concatenate(feats).astype(np.float32)


def load_motion(root: Path, vid: str) -> np.ndarray:
    """``<root>/motions/<vid>.npy`` as float32 (T, 22, 3); errors name the file."""
    path = resolve_under(root, f"motions/{vid}.npy", file=str(root), record=vid, field="motion")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        reason = str(exc).split(". ")[0].strip() or type(exc).__name__
        raise AnnotationError(path, vid, "motion", f"cannot read motion ({reason})") from None
    if arr.ndim != 3 or arr.shape[1:] != (NUM_JOINTS, 3) or not np.isfinite(arr).all():
        raise AnnotationError(path, vid, "motion", f"expected finite (T, 22, 3), got {arr.shape}")
    return arr


def segment_descriptors(
    root: Path, anns: Iterable[DenseAnnotation], fps: float = FPS, *, progress: bool = False
) -> tuple[np.ndarray, list[str]]:
    """One descriptor per segment (rows in annotation order) and the segments' captions."""
    from tqdm import tqdm

    anns = list(anns)
    rows: list[np.ndarray] = []
    captions: list[str] = []
    for ann in tqdm(anns, desc="descriptors", unit="motion", disable=not progress):
        motion = load_motion(root, ann.id)
        n = len(motion)
        for seg in ann.segments:
            a = min(max(int(round(seg.start * fps)), 0), n - 1)
            b = min(max(int(round(seg.end * fps)), a + 1), n)
            rows.append(motion_descriptor(motion[a:b], fps))
            captions.append(seg.caption)
    if not rows:
        return np.zeros((0, DESCRIPTOR_DIM), np.float32), captions
    return np.stack(rows), captions


def nearest_rows(query: np.ndarray, bank: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Index of the nearest (Euclidean) bank row for every query row; ties go to the first."""
    bank64 = bank.astype(np.float64)
    bank_sq = (bank64**2).sum(axis=1)
    out = np.empty(len(query), dtype=np.int64)
    for i in range(0, len(query), chunk):
        q = query[i : i + chunk].astype(np.float64)
        d = bank_sq[None, :] - 2.0 * q @ bank64.T
        out[i : i + chunk] = np.argmin(d, axis=1)
    return out


def nn_oracle_predictions(
    root: str | os.PathLike[str],
    train: Mapping[str, DenseAnnotation],
    test: Mapping[str, DenseAnnotation],
    fps: float = FPS,
    *,
    progress: bool = False,
) -> list[DenseAnnotation]:
    """Ground-truth boundaries, each captioned with its nearest training segment's caption."""
    root = Path(root)
    bank, bank_caps = segment_descriptors(root, train.values(), fps, progress=progress)
    if not len(bank):
        raise ValueError("the training split has no segments")
    mu = bank.mean(axis=0)
    sd = bank.std(axis=0)
    sd[sd < 1e-6] = 1.0
    query, _ = segment_descriptors(root, test.values(), fps, progress=progress)
    idx = nearest_rows((query - mu) / sd, (bank - mu) / sd)
    out, k = [], 0
    for ann in test.values():
        segs = []
        for seg in ann.segments:
            segs.append(Segment(seg.start, seg.end, bank_caps[idx[k]]))
            k += 1
        out.append(DenseAnnotation(ann.id, ann.duration, tuple(segs)))
    return out
