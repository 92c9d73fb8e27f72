"""Build the H3D+BABEL dataset folder: BABEL frame labels placed on real HumanML3D motions.

One sequence per HumanML3D clip (``new_joints/<id>.npy``, mirrors included) whose AMASS source has
BABEL labels; the output has the layout and formats of ``compmo-gen build`` (motions, annotations
in every format, metadata, ``stats.json``, manifest) plus UniMotion's files under ``unimotion/``.
Everything skipped, dropped or changed is counted in ``sources.json`` and the card.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from compmo_gen.babel.config import BabelConfig
from compmo_gen.babel.export import local_gt_entries, to_unimotion_csv
from compmo_gen.babel.placement import ClipPlacement, place_labels, read_index
from compmo_gen.babel.policies import segments_for_clip
from compmo_gen.babel.reader import BabelIndex, BabelLabel, BabelSequence, read_babel_dir
from compmo_gen.babel.splits import (
    SPLITS,
    humanml3d_splits,
    leakage_report,
    source_splits,
    unimotion_splits,
)
from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError, CompmoError
from compmo_gen.core.io import MotionError, load_joints, resolve_under, write_atomic
from compmo_gen.core.segments import DenseAnnotation

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
#: BABEL durations and motion files agree within this (seconds); a clip ending later is counted.
DUR_TOL = 0.25


class BabelBuildError(CompmoError):
    """The inputs or the output folder cannot be used (one line)."""


@dataclass
class Inputs:
    """Everything read before anything is written."""

    babel: BabelIndex
    placements: dict[str, ClipPlacement]
    humanact12: set[str]
    ids: list[str]
    assignment: dict[str, str]
    counts: Counter = field(default_factory=Counter)
    unmatched: list[str] = field(default_factory=list)  # first AMASS paths BABEL does not have


def _labels(seq: BabelSequence, how: str, counts: Counter) -> list[BabelLabel]:
    anns = []
    if seq.dense is not None:
        anns.append(seq.dense)
    if how == "all" or (how == "dense-then-extra" and not anns):
        anns.extend(seq.extra)
        counts["clips_using_extra_annotators"] += int(bool(seq.extra))
    if seq.dense is None and how == "dense":
        counts["clips_extra_only_ignored"] += 1
    for a in anns:
        counts["sequence_level_labels_used" if not a.frame else "frame_level_labels_used"] += len(
            a.labels
        )
    return [lab for a in anns for lab in a.labels]


def find_index(h3d: Path) -> Path:
    """HumanML3D's ``index.csv``: in the data folder, else beside it (the repository's layout)."""
    for cand in (h3d / "index.csv", h3d.parent / "index.csv"):
        if os.path.lexists(cand):  # a FIFO or folder there: read_index says so
            return cand
    raise BabelBuildError(f"{h3d}: no index.csv here or in {h3d.parent} (use --index)")


def read_inputs(
    babel_dir: Path, h3d: Path, cfg: BabelConfig, unimotion: Path | None, index: Path | None = None
) -> Inputs:
    """Read BABEL, ``index.csv``, the clip ids and the split lists; assign splits."""
    if not (h3d / "new_joints").is_dir():
        raise BabelBuildError(f"{h3d}: not a HumanML3D folder (needs new_joints/)")
    babel = read_babel_dir(babel_dir)
    placements, humanact12, counts = read_index(index or find_index(h3d))
    ids = sorted(p.stem for p in (h3d / "new_joints").glob("*.npy"))
    if not cfg.mirrors:
        counts["mirrors_excluded"] += sum(1 for i in ids if i.startswith("M"))
        ids = [i for i in ids if not i.startswith("M")]
    counts["clips_found"] = len(ids)
    sources = {}
    for vid in ids:
        base = vid.removeprefix("M")
        if base in placements:
            sources[vid] = placements[base].source
        elif base in humanact12:
            counts["clips_humanact12"] += 1
        else:
            counts["clips_not_in_index"] += 1
    if cfg.split_by == "humanml3d":
        assignment = humanml3d_splits(h3d)
    elif cfg.split_by == "unimotion":
        if unimotion is None:
            raise BabelBuildError("--split-by unimotion needs --unimotion DIR (train_ft.txt ...)")
        assignment = unimotion_splits(unimotion)
    else:
        placed = {v: s for v, s in sources.items() if babel.lookup(s)[0] is not None}
        assignment = source_splits(placed, cfg.ratios, cfg.seed)
    return Inputs(
        babel, placements, humanact12, [v for v in ids if v in sources], assignment, counts
    )


def clip_record(vid: str, joints_frames: int, inputs: Inputs, cfg: BabelConfig) -> dict | None:
    """The annotation and provenance of one clip (None, counted, when it yields no sequence)."""
    counts = inputs.counts
    place = inputs.placements[vid.removeprefix("M")]
    seq, loose = inputs.babel.lookup(place.source)
    if seq is None:
        counts["clips_without_babel_labels"] += 1
        if len(inputs.unmatched) < 5:
            inputs.unmatched.append(place.source)
        return None
    counts["clips_matched_by_normalised_path"] += int(loose)
    if vid not in inputs.assignment:
        counts["clips_in_no_split_list"] += 1
        return None
    n = joints_frames
    if n < cfg.min_frames or (cfg.max_frames and n >= cfg.max_frames):
        counts["clips_length_filtered"] += 1
        return None
    duration = n / FPS
    end = place.end if place.end is not None else place.start + duration
    if abs((end - place.start) - duration) > DUR_TOL:
        counts["clips_index_length_mismatch"] += 1
    if place.start + duration > seq.dur + DUR_TOL:
        counts["clips_beyond_babel_duration"] += 1
    labels = _labels(seq, cfg.annotators, counts)
    local = place_labels(labels, place.start, duration, counts)
    mirrored = vid.startswith("M")
    segs = segments_for_clip(local, n, cfg, mirrored, counts)
    if not segs:
        counts["clips_without_labels_in_span"] += 1
        return None
    counts["clips_mirrored"] += int(mirrored)
    meta = {
        "source": place.source,
        "babel_sid": seq.sid,
        "babel_file": seq.split,
        "clip_s": [round(place.start, 3), round(place.start + duration, 3)],
        "cut_s": place.cut,
        "mirrored": mirrored,
        "frames": n,
        "labels_placed": len(local),
        "labels_clipped": sum(1 for x in local if x.clipped),
    }
    return {
        "id": vid,
        "split": inputs.assignment[vid],
        "annotation": DenseAnnotation(vid, duration, tuple(segs)),
        "meta": meta,
    }


def _npy_bytes(joints: np.ndarray) -> bytes:
    from compmo_gen.dataset.build import npy_bytes

    return npy_bytes(joints)


def build_babel(
    babel_dir: str | Path,
    h3d: str | Path,
    out: str | Path,
    cfg: BabelConfig,
    *,
    unimotion: str | Path | None = None,
    index: str | Path | None = None,
    progress: bool = True,
) -> dict:
    """Build the dataset in ``out`` (new or empty); returns the manifest.

    Everything is written into a temporary sibling folder renamed to ``out`` at the end: a failure
    leaves no half-written dataset.
    """
    from compmo_gen.core.io import atomic_dir
    from compmo_gen.core.staging import remove_dead_staging

    out, h3d = Path(out), Path(h3d)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BabelBuildError(f"{out}: exists and is not an empty folder; use another --out")
    if out.parent.is_dir():
        stale = remove_dead_staging(out.parent, out.name)
        if stale:
            log.warning(
                "removed %d unfinished output folder(s) of killed runs (%s)",
                len(stale),
                ", ".join(p.name for p in stale[:3]),
            )
    inputs = read_inputs(
        Path(babel_dir),
        h3d,
        cfg,
        Path(unimotion) if unimotion else None,
        Path(index) if index else None,
    )
    with atomic_dir(out) as tmp:
        manifest = _write(tmp, h3d, inputs, cfg, unimotion, progress)
    return manifest


def _write(
    out: Path,
    h3d: Path,
    inputs: Inputs,
    cfg: BabelConfig,
    unimotion: str | Path | None,
    progress: bool,
) -> dict:
    """Write every file of the dataset into ``out`` (a fresh folder)."""
    import dataclasses

    from tqdm import tqdm

    from compmo_gen.dataset.files import write_dataset_files

    counts = inputs.counts
    records, metas = [], {s: [] for s in SPLITS}
    (out / "motions").mkdir(parents=True)
    for vid in tqdm(inputs.ids, desc="babel", unit="clip", disable=not progress):
        try:  # a symbolic link (or an id) leading out of the HumanML3D folder is not followed
            path = resolve_under(h3d, f"new_joints/{vid}.npy", file=str(h3d), record=vid, field="new_joints")  # fmt: skip
        except AnnotationError:
            counts["clips_bad_motion_outside_root"] += 1
            continue
        try:
            joints = load_joints(path, record=vid)
        except MotionError as exc:
            counts[f"clips_bad_motion_{exc.reason}"] += 1
            continue
        rec = clip_record(vid, len(joints), inputs, cfg)
        if rec is None:
            continue
        data = _npy_bytes(joints)
        rec["sha256"] = hashlib.sha256(data).hexdigest()
        (out / "motions" / f"{vid}.npy").write_bytes(data)
        meta = {"id": vid, "split": rec["split"], **rec.pop("meta"), "sha256": rec["sha256"]}
        metas[rec["split"]].append(meta)
        records.append(rec)
    if not records:
        found = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        raise BabelBuildError(f"no clip of {h3d} got BABEL labels ({found})")
    sources_of = {r["id"]: inputs.placements[r["id"].removeprefix("M")].source for r in records}
    assignment = {r["id"]: r["split"] for r in records}
    has_h3d_lists = (h3d / "train.txt").is_file() and (h3d / "test.txt").is_file()
    other = humanml3d_splits(h3d) if cfg.split_by != "humanml3d" and has_h3d_lists else None
    leak = leakage_report(assignment, sources_of, other=other)
    if unimotion and cfg.split_by != "unimotion":
        uni = unimotion_splits(Path(unimotion))
        leak["vs_unimotion"] = leakage_report(
            assignment, sources_of, other=uni, other_name="unimotion"
        )["vs_unimotion"]
    for split, rows in metas.items():
        if rows:
            lines = (json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)
            write_atomic(out / "metadata" / f"{split}.jsonl", lines)
    exports = write_unimotion(out, records, counts)
    report = {
        "config": dataclasses.asdict(cfg),
        "counts": dict(sorted((k, v) for k, v in counts.items() if v)),
        "babel_files": dict(sorted(inputs.babel.counts.items())),
        "sources_without_babel_labels_examples": inputs.unmatched,
        "leakage": leak,
        "exports": exports,
    }
    by_split = Counter(r["split"] for r in records)
    sources = {
        "source": {"source": "babel+humanml3d", "clips": len(records), "by_split": dict(by_split)},
        "splits": {"split_by": cfg.split_by, **leak},
        "babel": json.loads(json.dumps(report)),
    }
    write_atomic(out / "sources.json", json.dumps(sources, indent=1, sort_keys=True) + "\n")
    return write_dataset_files(
        out, records, sources, config=cfg.to_dict(), config_sha256=cfg.sha256(), seed=cfg.seed
    )


def write_unimotion(out: Path, records: list[dict], counts: Counter) -> dict:
    """``unimotion/<split>/<id>.csv`` (``text,length``) and ``unimotion/<split>_local.json``."""
    written = Counter()
    for split in SPLITS:
        anns = [r["annotation"] for r in records if r["split"] == split]
        if not anns:
            continue
        for ann in anns:
            text = to_unimotion_csv(ann)
            if text is None:
                counts["unimotion_csv_skipped_overlap"] += 1
                continue
            write_atomic(out / "unimotion" / split / f"{ann.id}.csv", text)
            written[f"{split}_csv"] += 1
        entries, _ = local_gt_entries(anns)
        write_atomic(
            out / "unimotion" / f"{split}_local.json",
            json.dumps(entries, indent=1, ensure_ascii=False) + "\n",
        )
        written[f"{split}_local"] = len(entries)
    return dict(sorted(written.items()))
