"""A typed reader of BABEL's label files (``train.json`` ... and ``extra_train.json`` ...).

Dense files hold one annotation per sequence (``seq_ann``, ``frame_ann``); extra files hold the
labels of further annotators as lists (``seq_anns``, ``frame_anns``). ``frame_ann`` may be null:
the sequence labels then span the whole sequence. Every problem is an :class:`AnnotationError`
naming the file, the sequence and the field.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import load_json

log = logging.getLogger(__name__)

#: BABEL's dense and extra label files, in the order they are read.
DENSE_FILES = ("train", "val", "test")
EXTRA_FILES = ("extra_train", "extra_val")


@dataclass(frozen=True)
class BabelLabel:
    """One sequence or frame label; ``start``/``end`` are seconds of the AMASS sequence."""

    raw_label: str
    proc_label: str
    seg_id: str
    act_cat: tuple[str, ...]
    start: float
    end: float

    @property
    def is_transition(self) -> bool:
        """BABEL's own ``transition`` label (by category or processed text)."""
        return "transition" in self.act_cat or self.proc_label.strip().lower() == "transition"


@dataclass(frozen=True)
class BabelAnnotation:
    """The labels of one annotator (``frame=True``: frame labels, else sequence labels)."""

    babel_lid: str
    anntr_id: str
    mul_act: bool
    frame: bool
    labels: tuple[BabelLabel, ...]


@dataclass(frozen=True)
class BabelSequence:
    """One BABEL sequence with its annotations from the dense file and the extra file."""

    sid: str
    dur: float
    feat_p: str
    split: str  # the BABEL file it came from (train/val/test)
    dense: BabelAnnotation | None  # frame_ann, else seq_ann spanning [0, dur], else None
    extra: tuple[BabelAnnotation, ...] = ()

    @property
    def amass_path(self) -> str:
        """``CMU/CMU/141/141_05_poses.npz`` -> ``CMU/141/141_05_poses`` (no extension)."""
        return amass_key(self.feat_p, drop_first=True)


@dataclass
class BabelIndex:
    """Sequences by AMASS path, and what reading counted."""

    by_path: dict[str, BabelSequence]
    counts: Counter = field(default_factory=Counter)
    _norm: dict[str, BabelSequence] = field(default_factory=dict, repr=False)

    def lookup(self, source: str) -> tuple[BabelSequence | None, bool]:
        """The sequence of an AMASS path, and whether only the normalised path (case, spaces)
        matched."""
        if source in self.by_path:
            return self.by_path[source], False
        if not self._norm:
            self._norm = {normalise(k): v for k, v in self.by_path.items()}
        seq = self._norm.get(normalise(source))
        return seq, seq is not None


def normalise(path: str) -> str:
    """A looser AMASS key: lower case, spaces as underscores."""
    return path.lower().replace(" ", "_")


def amass_key(path: str, *, drop_first: bool = False) -> str:
    """A path to an AMASS file as a comparable key: posix, no ``./``, no extension."""
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in (".", "")]
    if drop_first:
        parts = parts[1:]
    if not parts:
        return ""
    stem = parts[-1]
    for ext in (".npz", ".npy"):
        stem = stem.removesuffix(ext)
    return "/".join([*parts[:-1], stem])


def _str(value: Any, file: str, sid: str, fld: str, *, optional: bool = False) -> str:
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise AnnotationError(file, sid, fld, f"expected a string, got {type(value).__name__}")
    return value


def _num(value: Any, file: str, sid: str, fld: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AnnotationError(file, sid, fld, f"expected a finite number, got {value!r}")
    return float(value)


def _label(
    d: Any, file: str, sid: str, fld: str, frame: bool, dur: float, counts: Counter
) -> BabelLabel:
    if not isinstance(d, Mapping):
        raise AnnotationError(file, sid, fld, "expected an object")
    cats = d.get("act_cat")
    if cats is None:
        counts["labels_without_act_cat"] += 1
        cats = []
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise AnnotationError(file, sid, f"{fld}.act_cat", "expected a list of strings")
    raw = _str(d.get("raw_label"), file, sid, f"{fld}.raw_label", optional=True)
    proc = _str(d.get("proc_label"), file, sid, f"{fld}.proc_label", optional=True)
    if not raw.strip() and not proc.strip():
        raise AnnotationError(file, sid, fld, "label has neither raw_label nor proc_label")
    if frame:
        start = _num(d.get("start_t"), file, sid, f"{fld}.start_t")
        end = _num(d.get("end_t"), file, sid, f"{fld}.end_t")
        if start < 0 or end < start:
            raise AnnotationError(file, sid, fld, f"bad interval start_t={start} end_t={end}")
    else:
        start, end = 0.0, dur
    seg_id = d.get("seg_id")
    return BabelLabel(raw, proc, str(seg_id or ""), tuple(cats), start, end)


def _annotation(
    d: Any, file: str, sid: str, fld: str, frame: bool, dur: float, counts: Counter
) -> BabelAnnotation:
    if not isinstance(d, Mapping):
        raise AnnotationError(file, sid, fld, f"expected an object, got {type(d).__name__}")
    labels = d.get("labels")
    if not isinstance(labels, list):
        raise AnnotationError(file, sid, f"{fld}.labels", "expected a list")
    return BabelAnnotation(
        babel_lid=str(d.get("babel_lid") or ""),
        anntr_id=str(d.get("anntr_id") or ""),
        mul_act=bool(d.get("mul_act", False)),
        frame=frame,
        labels=tuple(
            _label(x, file, sid, f"{fld}.labels[{i}]", frame, dur, counts)
            for i, x in enumerate(labels)
        ),
    )


def _annotations(
    value: Any, file: str, sid: str, fld: str, frame: bool, dur: float, counts: Counter
) -> list[BabelAnnotation]:
    """A dense (object or null) or extra (list, null, or a lone object) annotation field."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [
        _annotation(
            x, file, sid, f"{fld}[{i}]" if isinstance(value, list) else fld, frame, dur, counts
        )
        for i, x in enumerate(items)
    ]


def parse_sequence(
    key: str, entry: Any, file: str, split: str, counts: Counter
) -> tuple[BabelSequence, list[BabelAnnotation]]:
    """One record of a BABEL file: the sequence and all its annotations (frame ones first)."""
    if not isinstance(entry, Mapping):
        raise AnnotationError(file, key, None, f"expected an object, got {type(entry).__name__}")
    sid = str(entry.get("babel_sid", key))
    dur = _num(entry.get("dur"), file, sid, "dur")
    feat_p = _str(entry.get("feat_p"), file, sid, "feat_p")
    if not amass_key(feat_p, drop_first=True):
        raise AnnotationError(file, sid, "feat_p", f"not an AMASS path: {feat_p!r}")
    extra = "seq_anns" in entry or "frame_anns" in entry
    f_key, s_key = ("frame_anns", "seq_anns") if extra else ("frame_ann", "seq_ann")
    if f_key not in entry and s_key not in entry:
        raise AnnotationError(file, sid, f_key, "missing (neither frame nor sequence labels)")
    frames = _annotations(entry.get(f_key), file, sid, f_key, True, dur, counts)
    seqs = _annotations(entry.get(s_key), file, sid, s_key, False, dur, counts)
    if entry.get(f_key) is None:
        counts["null_frame_ann"] += 1
    anns = frames or seqs
    seq = BabelSequence(sid, dur, feat_p, split, anns[0] if anns and not extra else None)
    return seq, anns


def read_babel_dir(root: str | Path) -> BabelIndex:
    """Read every dense and extra file present in ``root`` into sequences keyed by AMASS path.

    A sequence in an extra file adds its annotators to the dense sequence (``extra``); a sequence
    only in an extra file is kept with ``dense=None``.
    """
    root = Path(root)
    # present: anything by that name (a FIFO, folder or link loop is then refused by load_json)
    names = (*DENSE_FILES, *EXTRA_FILES)
    present = [n for n in names if os.path.lexists(root / f"{n}.json")]
    if not any(n in DENSE_FILES for n in present):
        raise AnnotationError(
            root, None, None, "no BABEL label file (train.json, val.json, test.json)"
        )
    counts: Counter = Counter()
    by_sid: dict[str, BabelSequence] = {}
    for name in present:
        path = root / f"{name}.json"
        data = load_json(path)
        if not isinstance(data, Mapping):
            raise AnnotationError(path, None, None, "expected an object keyed by babel_sid")
        split = name.removeprefix("extra_")
        for key, entry in data.items():
            seq, anns = parse_sequence(str(key), entry, str(path), split, counts)
            counts[f"sequences_{name}"] += 1
            if name in DENSE_FILES:
                if seq.sid in by_sid:
                    raise AnnotationError(path, seq.sid, "babel_sid", "sequence in two dense files")
                by_sid[seq.sid] = seq
                if seq.dense is None:
                    counts["sequences_without_labels"] += 1
                continue
            counts["extra_annotations"] += len(anns)
            old = by_sid.get(seq.sid)
            if old is None:
                counts["sequences_only_in_extra"] += 1
                by_sid[seq.sid] = BabelSequence(
                    seq.sid, seq.dur, seq.feat_p, split, None, tuple(anns)
                )
            else:
                by_sid[seq.sid] = BabelSequence(
                    old.sid, old.dur, old.feat_p, old.split, old.dense, old.extra + tuple(anns)
                )
    by_path: dict[str, BabelSequence] = {}
    for seq in by_sid.values():
        if seq.amass_path in by_path:
            counts["duplicate_amass_paths"] += 1
            continue
        by_path[seq.amass_path] = seq
    log.info("BABEL: %d sequences from %s", len(by_path), ", ".join(present))
    return BabelIndex(by_path, counts)
