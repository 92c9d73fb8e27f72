"""`compmo-gen validate`'s checks: a built dataset against its manifest, never crashing.

The manifest's and ``derived.json``'s paths stay inside the dataset (absolute paths, ``..`` and
symbolic links out of it are problems, never opened); every file not accounted for is reported,
hidden ones (a stale ``.train.json.xxxx.tmp`` of an interrupted run) included.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import CompmoError
from compmo_gen.core.formats import load_annotations
from compmo_gen.core.io import load_json, sha256_file
from compmo_gen.dataset.splits import SPLITS


def _inside(root: Path, rel: Any) -> Path | None:
    """``root / rel`` when ``rel`` is a relative path that stays inside ``root``, else None."""
    if not isinstance(rel, str) or not rel or "\0" in rel or Path(rel).is_absolute():
        return None
    if any(len(os.fsencode(part)) > 255 for part in Path(rel).parts):
        return None
    try:
        real = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return root / rel if real == root or root.resolve() in real.parents else None


def _hash_entries(
    out: Path, entries: dict[str, Any], source: str, deep: bool, problems: list[str]
) -> None:
    for rel, entry in entries.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else entry
        p = _inside(out, rel)
        if p is None:
            problems.append(f"{out / MANIFEST_NAME}: path {rel!r} ({source}) escapes the dataset")
        elif not p.is_file():
            problems.append(f"{p}: missing" + ("" if source == "the manifest" else f" ({source})"))
        elif deep:
            try:
                same = sha256_file(p) == digest
            except OSError as exc:
                problems.append(f"{p}: unreadable ({exc.strerror or exc})")
                continue
            if not same:
                problems.append(f"{p}: sha256 differs from {source}")


MANIFEST_NAME = "manifest.json"


def _motion_problems(out: Path, ids: list[str]) -> list[str]:
    """The joint-file rules (shape, finite, plausible) on each listed motion that exists."""
    from compmo_gen.core.io import load_joints

    problems = []
    for vid in ids:
        path = _inside(out, f"motions/{vid}.npy")
        if path is None or not path.is_file():
            continue  # reported by the manifest's entries
        try:
            load_joints(path, record=vid)
        except CompmoError as exc:
            problems.append(str(exc))
    return problems


def check_dataset(
    out: str | Path, *, deep: bool, derived_name: str, untracked: tuple[str, ...]
) -> tuple[list[str], dict]:
    """Problems found in ``out`` against its manifest (empty list = valid) and a summary."""
    out = Path(out)
    path = out / MANIFEST_NAME
    try:
        manifest = load_json(path)
    except CompmoError as exc:
        return [f"missing or unreadable manifest: {exc}"], {}
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return [f"{path}: malformed manifest (no 'files' object)"], {}
    files = manifest["files"]
    counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
    problems: list[str] = []
    _hash_entries(out, files, "the manifest", deep, problems)
    derived: dict[str, Any] = {}
    if (out / derived_name).exists():
        try:
            loaded = load_json(out / derived_name)
            derived = loaded if isinstance(loaded, dict) else {}
            if not isinstance(loaded, dict):
                problems.append(f"{out / derived_name}: not an object")
        except CompmoError as exc:
            problems.append(str(exc))
    _hash_entries(out, derived, derived_name, deep, problems)
    tracked = {*map(str, files), *map(str, derived), MANIFEST_NAME, derived_name, *untracked}
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames.sort()
        for name in sorted(filenames):
            rel = (Path(dirpath) / name).relative_to(out).as_posix()
            if rel not in tracked:
                problems.append(f"{out / rel}: not in the manifest")
    summary = {"files": len(files), "counts": counts}
    for split in SPLITS:
        ann = out / "annotations" / f"{split}.json"
        if f"annotations/{split}.json" not in files or not ann.is_file():
            continue
        try:
            gt = load_annotations(ann, role="gt", fmt="anet-gt")
        except CompmoError as exc:
            problems.append(str(exc))
            continue
        if len(gt.annotations) != counts.get(split):
            problems.append(
                f"{ann}: {len(gt.annotations)} sequences, manifest says {counts.get(split)}"
            )
        from compmo_gen.dataset.multitrack_check import check_split

        config = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
        strict = bool((config.get("multitrack") or {}).get("enabled"))
        multi_problems, n_multi = check_split(out, split, gt.annotations, strict=strict)
        problems += multi_problems
        if n_multi:
            summary.setdefault("multitrack", {})[split] = n_multi
        missing = [vid for vid in gt.annotations if f"motions/{vid}.npy" not in files]
        if missing:
            problems.append(f"{ann}: {len(missing)} ids without a motion (e.g. {missing[0]})")
        if deep:  # a hash tells of a changed file, not of one written wrong with its hash updated
            problems += _motion_problems(out, [v for v in gt.annotations if v not in missing])
    return problems, summary
