"""Splits of the H3D+BABEL setting, and the leakage report.

- ``humanml3d``: HumanML3D's own ``train.txt``/``val.txt``/``test.txt``;
- ``unimotion``: UniMotion's ``train_ft.txt``/``val_ft.txt``/``test_ft.txt`` lists;
- ``source``: by source AMASS sequence: all clips of one AMASS sequence (and their mirrors) go to one
  split, so no source is shared between train and test.

The leakage report counts, for every pair of splits, the AMASS sources and the mirror pairs
(``X`` / ``MX``) they share, and, when both kinds of list are given, how UniMotion's lists cross
HumanML3D's.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import read_text

SPLITS = ("train", "val", "test")
UNIMOTION_LISTS = {"train": "train_ft.txt", "val": "val_ft.txt", "test": "test_ft.txt"}


def read_id_list(path: Path) -> list[str]:
    """Ids of a split list, one per line (blank lines ignored, order kept, duplicates once)."""
    try:
        text = read_text(path)  # a regular UTF-8 file: never a FIFO's endless wait
    except AnnotationError as exc:
        if exc.message == "file not found":
            raise AnnotationError(path, None, None, "split list not found") from None
        raise
    return list(dict.fromkeys(ln.strip() for ln in text.splitlines() if ln.strip()))


def list_splits(root: Path, names: Mapping[str, str]) -> dict[str, str]:
    """``{id: split}`` from split lists in ``root`` (a missing val list is allowed)."""
    out: dict[str, str] = {}
    for split, name in names.items():
        path = root / name
        if split == "val" and not os.path.lexists(path):
            continue
        for vid in read_id_list(path):
            if vid in out and out[vid] != split:
                raise AnnotationError(path, vid, None, f"id also in the {out[vid]} list")
            out[vid] = split
    return out


def humanml3d_splits(h3d: Path) -> dict[str, str]:
    return list_splits(h3d, {s: f"{s}.txt" for s in SPLITS})


def unimotion_splits(folder: Path) -> dict[str, str]:
    return list_splits(folder, UNIMOTION_LISTS)


def source_splits(sources: Mapping[str, str], ratios: Sequence[float], seed: int) -> dict[str, str]:
    """``{id: split}`` dealing whole AMASS sources (with their mirrors) to test, val, then train."""
    groups: dict[str, list[str]] = {}
    for vid, src in sorted(sources.items()):
        groups.setdefault(src, []).append(vid)
    names = sorted(groups)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 16]))
    total = float(sum(ratios))
    target = {"test": len(sources) * ratios[2] / total, "val": len(sources) * ratios[1] / total}
    filled: Counter = Counter()
    out: dict[str, str] = {}
    for i in rng.permutation(len(names)):
        members = groups[names[i]]
        split = "train"
        for cand in ("test", "val"):
            if (
                filled[cand] < target[cand]
                and filled[cand] + len(members) <= target[cand] * 1.05 + 1
            ):
                split = cand
                break
        filled[split] += len(members)
        out.update({vid: split for vid in members})
    return out


def leakage_report(
    assignment: Mapping[str, str],
    sources: Mapping[str, str],
    *,
    other: Mapping[str, str] | None = None,
    other_name: str = "humanml3d",
) -> dict:
    """Sources and mirror pairs shared between splits; and the crossing with another assignment."""
    src_by_split = {s: {sources[v] for v, sp in assignment.items() if sp == s} for s in SPLITS}
    base_by_split = {
        s: {v.removeprefix("M") for v, sp in assignment.items() if sp == s} for s in SPLITS
    }
    report: dict = {"shared_sources": {}, "shared_mirror_pairs": {}}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            shared = sorted(src_by_split[a] & src_by_split[b])
            report["shared_sources"][f"{a}-{b}"] = len(shared)
            if shared:
                report.setdefault("examples", {})[f"{a}-{b}"] = shared[:3]
            report["shared_mirror_pairs"][f"{a}-{b}"] = len(base_by_split[a] & base_by_split[b])
    report["train_test_source_leak"] = report["shared_sources"]["train-test"] > 0
    if other is not None:
        cross = Counter(f"{sp}->{other.get(v, 'none')}" for v, sp in assignment.items())
        report[f"vs_{other_name}"] = dict(sorted(cross.items()))
        report[f"test_ids_in_{other_name}_train"] = cross.get("test->train", 0)
    return report
