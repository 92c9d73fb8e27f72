"""The files of a built dataset: annotations, DEMO lists, timelines, metadata, card, manifest.

Layout::

    motions/<id>.npy              (T, 22, 3) float32, HumanML3D conventions
    annotations/<split>.json      ActivityNet ground truth with durations
    demo/<split>.json             DEMO's released format [{"id", "motion", "gt"}]
    timelines/<split>.txt         STMC timelines with body parts
    metadata/<split>.jsonl        per sequence: source clips, crops, seams, QC figures
    stats.json                    dataset card figures
    sources.json build_config.json chunks/*.jsonl   (provenance, resume and shard merging)
    manifest.json                 config, seed, versions, counts and the sha256 of every file
"""

from __future__ import annotations

import json
import math
import platform
from pathlib import Path

from compmo_gen.core.formats import dump_annotations
from compmo_gen.core.formats.demo import demo_entry
from compmo_gen.core.io import load_json, sha256_file, write_atomic
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.dataset.build_config import BuildConfig
from compmo_gen.dataset.chunks import ANNOTATION_FIELDS, chunk_annotation, chunk_path, read_chunk
from compmo_gen.dataset.splits import SPLITS

MANIFEST = "manifest.json"
#: Files a user may add next to a dataset without invalidating it.
UNTRACKED = ("card.md", "card.json")
#: Files derived later from a built dataset (``compmo-gen stage-json``), with their hashes.
DERIVED = "derived.json"


def record_derived(dataset: Path, path: Path, meta: dict) -> bool:
    """Record ``path`` (a file written inside ``dataset`` after the build) in ``derived.json`` with
    its SHA-256, so ``validate`` checks it instead of reporting it. False when ``path`` is outside."""
    dataset, path = Path(dataset).resolve(), Path(path).resolve()
    if dataset not in path.parents or not (dataset / MANIFEST).is_file():
        return False
    index_path = dataset / DERIVED
    index = _read_derived(index_path)
    index[path.relative_to(dataset).as_posix()] = {**meta, "sha256": sha256_file(path)}
    write_atomic(
        index_path, json.dumps(dict(sorted(index.items())), indent=1) + "\n", replaces_input=True
    )
    return True


def _read_derived(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        index = load_json(path)
    except (OSError, ValueError):
        return {}
    return index if isinstance(index, dict) else {}


def demo_representable(ann: DenseAnnotation) -> bool:
    """Whether DEMO's start-time strings hold ``ann`` exactly (contiguous, ending at the duration)."""
    try:
        demo_entry(ann, "gt", "motions/{id}.npy", False)
    except ValueError:
        return False
    return True


def _versions() -> dict[str, str]:
    import numpy
    import scipy

    from compmo_gen.core import __version__

    return {
        "compmo": __version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


#: Record fields the card and the annotations need (the rest streams to metadata/*.jsonl).
_COMPACT = ("id", "split", "qc", "transition", "sha256")


def _stream_records(out: Path, n_chunks: int) -> tuple[list[dict], list[str]]:
    """Compact records in id order; full per-sequence metadata streams to metadata/<split>.jsonl
    (temp files renamed at the end), so memory stays small whatever the dataset size."""
    (out / "metadata").mkdir(exist_ok=True)
    tmp = {s: out / "metadata" / f".{s}.jsonl.tmp" for s in SPLITS}
    handles = {s: open(p, "w", encoding="utf-8") for s, p in tmp.items()}  # noqa: SIM115
    compact, present = [], set()
    try:
        for c in range(n_chunks):
            path = chunk_path(out, c)
            for rec in read_chunk(path):
                meta = {k: v for k, v in rec.items() if k not in ANNOTATION_FIELDS}
                handles[rec["split"]].write(
                    json.dumps(meta, sort_keys=True, ensure_ascii=False) + "\n"
                )
                compact.append(
                    {
                        **{k: rec[k] for k in _COMPACT},
                        "annotation": chunk_annotation(rec, str(path)),
                    }
                )
                present.add(rec["split"])
    finally:
        for h in handles.values():
            h.close()
    for s, p in tmp.items():
        if s in present:
            p.replace(out / "metadata" / f"{s}.jsonl")
        else:
            p.unlink()
    return compact, sorted(present)


def finalize(out: Path, cfg: BuildConfig) -> dict:
    """Write the per-split files, the card figures and the manifest from the chunk records."""
    records, _ = _stream_records(out, math.ceil(cfg.num / cfg.chunk))
    sources = load_json(out / "sources.json")
    return write_dataset_files(
        out, records, sources, config=cfg.to_dict(), config_sha256=cfg.sha256(), seed=cfg.seed
    )


def write_dataset_files(
    out: Path,
    records: list[dict],
    sources: dict,
    *,
    config: dict,
    config_sha256: str,
    seed: int,
) -> dict:
    """Annotations in every format, ``stats.json`` and the manifest, from compact records
    (``id``, ``split``, ``annotation``, ``sha256`` of the motion; ``qc``/``transition`` when built
    by the composer). Shared by ``compmo-gen build`` and ``compmo-gen babel``."""
    from compmo_gen.dataset.stats import dataset_card

    by_split: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for rec in records:
        by_split[rec["split"]].append(rec)
    omitted: dict[str, list[str]] = {}
    for split, recs in by_split.items():
        if not recs:
            continue
        anns = [r["annotation"] for r in recs]
        # DEMO strings keep start times only: gaps and overlaps cannot be written (counted).
        demo_ok = [a for a in anns if demo_representable(a)]
        if len(demo_ok) < len(anns):
            omitted[split] = sorted({a.id for a in anns} - {a.id for a in demo_ok})
        for sub, fmt, ext, items in (
            ("annotations", "anet-gt", "json", anns),
            ("demo", "demo", "json", demo_ok),
            ("timelines", "stmc", "txt", anns),
        ):
            dump_annotations(
                items, out / sub / f"{split}.{ext}", fmt=fmt, motion_template="motions/{id}.npy"
            )
    card = dataset_card(records, sources)
    if omitted:
        card["demo_list_omitted"] = {
            s: {"count": len(ids), "examples": ids[:5]} for s, ids in omitted.items()
        }
    write_atomic(out / "stats.json", json.dumps(card, indent=1, sort_keys=True) + "\n")
    files = {}
    # Motions were hashed when written (and verified on resume): no second pass over them.
    files.update({f"motions/{r['id']}.npy": r["sha256"] for r in records})
    tops = [p for p in out.iterdir() if p.name != "motions"]
    others = [p for t in tops for p in ([t] if t.is_file() else t.rglob("*")) if p.is_file()]
    for path in others:
        rel = path.relative_to(out).as_posix()
        if rel == MANIFEST or rel in UNTRACKED or path.name.startswith("."):
            continue
        files[rel] = sha256_file(path)
    files = dict(sorted(files.items()))
    manifest = {
        "format": "compmo-dataset/1",
        "config": config,
        "config_sha256": config_sha256,
        "seed": seed,
        "versions": _versions(),
        "counts": {s: len(r) for s, r in by_split.items()},
        "sources": sources,
        "files": files,
    }
    if "qc" in card:
        manifest["qc"] = card["qc"]
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def validate_dataset(out: str | Path, *, deep: bool = True) -> tuple[list[str], dict]:
    """Problems found in ``out`` against its manifest (empty list = valid) and a summary; see
    :func:`compmo_gen.dataset.check.check_dataset`."""
    from compmo_gen.dataset.check import check_dataset

    return check_dataset(out, deep=deep, derived_name=DERIVED, untracked=UNTRACKED)
