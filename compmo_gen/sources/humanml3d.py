"""Load atomic clips from any folder in HumanML3D layout (``new_joints/*.npy`` + ``texts/*.txt``).

The "simple" subset keeps captions with at most ``max_verbs`` VERB tokens, counted from the
file's own POS tags (no NLP model). Captions with a time crop become their own clip
(``motion[int(start*20):int(end*20)]``). Bad files (unreadable, wrong shape, NaN, empty, no text)
and bad caption lines (malformed, infinite crop times, a ``mm:ss:ms -`` inside that DEMO strings
could not hold) are skipped and counted, never fatal; files reached through a symbolic link that
leads out of the folder are skipped (``outside_root``).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compmo_gen.composition.atoms import AtomicClip
from compmo_gen.core.config import setting
from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats.demo import splits_demo_string
from compmo_gen.core.io import MotionError, load_joints, read_text

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SourceError(ValueError):
    """The source folder itself is unusable (missing, not in HumanML3D layout)."""


@dataclass(frozen=True)
class LoadOptions:
    """Which HumanML3D clips and captions become atomic actions (``humanml3d.*`` keys)."""

    #: A split file name (train, val, test, train_val, all) or "files" (every npy).
    ids: str = "all"
    #: The "simple" subset: captions with at most this many verbs; none keeps every caption.
    max_verbs: int | None = 1
    #: Shortest clip kept (frames).
    min_frames: int = setting(40, ge=1, le=100_000)
    #: Longest clip kept (frames, exclusive, as the T2M family).
    max_frames: int = setting(200, ge=2, le=100_000)
    #: Keep M-prefixed (mirrored) motions.
    mirrors: bool = True


@dataclass
class LoadReport:
    counts: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # "id: reason" for the first skips

    def skip(self, vid: str, reason: str) -> None:
        self.counts[f"skipped_{reason}"] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{vid}: {reason}")

    def merge(self, other: LoadReport) -> None:
        self.counts.update(other.counts)
        self.examples.extend(other.examples[: max(0, 20 - len(self.examples))])

    def as_dict(self) -> dict:
        return {"counts": dict(sorted(self.counts.items())), "examples": list(self.examples)}


def list_ids(root: str | Path, opts: LoadOptions = LoadOptions()) -> list[str]:
    """Ids to load, in a deterministic order: from ``<ids>.txt`` or every ``new_joints/*.npy``."""
    root = Path(root)
    if not (root / "new_joints").is_dir() or not (root / "texts").is_dir():
        raise SourceError(f"{root}: not a HumanML3D folder (needs new_joints/ and texts/)")
    split = root / f"{opts.ids}.txt"
    if opts.ids != "files" and split.is_file():
        ids = [ln.strip() for ln in read_text(split, errors="replace").splitlines() if ln.strip()]
    elif opts.ids in ("all", "files"):
        ids = sorted(p.stem for p in (root / "new_joints").glob("*.npy"))
    else:
        raise SourceError(f"{split}: split file not found")
    if not opts.mirrors:
        ids = [i for i in ids if not i.startswith("M")]
    return list(dict.fromkeys(ids))


def _load_joints(path: Path, root: Path | None = None) -> tuple[np.ndarray | None, str]:
    """The joints of one clip through :func:`compmo_gen.core.io.load_joints`, or ``(None, reason)``
    (also ``outside_root`` for a symbolic link that leads out of ``root``)."""
    if root is not None and not _inside(root, path):
        return None, "outside_root"
    try:
        return load_joints(path), ""
    except MotionError as exc:
        return None, exc.reason


def _inside(root: Path, path: Path) -> bool:
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    return real == root or root in real.parents


def parse_caption_line(line: str) -> tuple[str, int, float, float] | None:
    """``caption#tokens#start#end`` -> (caption, verb count, start, end); None if malformed."""
    parts = line.rstrip("\n").split("#")
    if len(parts) != 4:
        return None
    caption = " ".join(parts[0].strip().lower().split()).rstrip(". ").strip()
    if not caption:
        return None
    verbs = sum(1 for tok in parts[1].split() if tok.endswith("/VERB"))
    try:
        start, end = float(parts[2]), float(parts[3])
    except ValueError:
        return None
    if math.isinf(start) or math.isinf(end) or max(abs(start), abs(end)) > 1e6:
        return None  # NaN means "whole clip"; infinite or absurd crop times are malformed
    return caption, verbs, start, end


def infer_parts(p: np.ndarray) -> tuple[str, ...]:
    """Body parts that move (STMC vocabulary), from the motion itself."""
    from compmo_gen.composition.quality import local_pose

    q = local_pose(p.astype(np.float64))
    rng = q.max(axis=0) - q.min(axis=0)
    span = np.linalg.norm(rng, axis=-1)  # per joint range of motion in the body frame (m)
    root_travel = float(np.linalg.norm(p[-1, 0, [0, 2]] - p[0, 0, [0, 2]]))
    parts = []
    if span[20] > 0.3:
        parts.append("left arm")
    if span[21] > 0.3:
        parts.append("right arm")
    if root_travel > 0.3 or max(span[10], span[11]) > 0.25 or np.ptp(p[:, 0, 1]) > 0.15:
        parts.append("legs")
    if span[15] - span[12] > 0.04:
        parts.append("head")
    if span[12] > 0.2:
        parts.append("spine")
    if not parts:  # the most active part
        best = int(np.argmax([span[20], span[21], span[10] + span[11], span[15], span[12]]))
        parts.append(("left arm", "right arm", "legs", "head", "spine")[best])
    return tuple(parts)


def load_clips(
    root: str | Path, ids: Iterable[str], opts: LoadOptions = LoadOptions()
) -> tuple[list[AtomicClip], LoadReport]:
    """Atomic clips of the given ids (one per distinct crop with kept captions)."""
    root = Path(root)
    real_root = root.resolve()
    report, clips = LoadReport(), []
    for vid in ids:
        report.counts["ids"] += 1
        if not _ID.match(vid):
            report.skip(vid, "bad_id")
            continue
        joints, why = _load_joints(root / "new_joints" / f"{vid}.npy", real_root)
        if joints is None:
            report.skip(vid, why)
            continue
        text = root / "texts" / f"{vid}.txt"
        if not text.exists():
            report.skip(vid, "no_text")
            continue
        if not _inside(real_root, text):
            report.skip(vid, "outside_root")
            continue
        try:
            lines = read_text(text).splitlines()
        except AnnotationError:
            report.skip(vid, "unreadable_text")
            continue
        crops: dict[tuple[int, int], list[str]] = {}
        for line in lines:
            if not line.strip():
                continue
            parsed = parse_caption_line(line)
            if parsed is None:
                report.counts["caption_lines_malformed"] += 1
                continue
            caption, verbs, start, end = parsed
            if splits_demo_string(caption):
                report.counts["caption_lines_time_pattern"] += 1  # DEMO strings could not hold it
                continue
            if opts.max_verbs is not None and verbs > opts.max_verbs:
                report.counts["caption_lines_not_simple"] += 1
                continue
            t = len(joints)
            whole = math.isnan(start) or math.isnan(end) or (start == 0 and end == 0)
            a, b = (0, t) if whole else (max(int(start * FPS), 0), min(int(end * FPS), t))
            if not opts.min_frames <= b - a < opts.max_frames:
                report.counts["caption_lines_bad_length"] += 1
                continue
            caps = crops.setdefault((a, b), [])
            if caption not in caps:
                caps.append(caption)
        if not crops:
            report.skip(vid, "no_usable_caption")
            continue
        group = vid[1:] if vid.startswith("M") else vid
        for (a, b), caps in sorted(crops.items()):
            whole = (a, b) == (0, len(joints))
            seg = joints[a:b]
            clips.append(AtomicClip(
                id=vid if whole else f"{vid}:{a}-{b}", group=group, joints=np.ascontiguousarray(seg),
                captions=tuple(caps), parts=infer_parts(seg), kind="humanml3d", source=f"humanml3d:{vid}",
                crop=None if whole else (a, b),
            ))  # fmt: skip
        report.counts["clips"] += len(crops)
    return clips, report


def chunked(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]
