"""`compmo-gen stats DIR`: print the dataset card and save it as DIR/card.md (+ DIR/card.json)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NoReturn


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir", help="dataset folder (built by compmo-gen build or compmo-gen babel)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_record(rec: Any, file: Path, where: str, first: dict | None) -> None:
    """Refuse a metadata record the card cannot use, naming its field (:class:`AnnotationError`);
    ``first``: the first record, whose QC figure names every other record must share."""
    from compmo_gen.core.errors import AnnotationError
    from compmo_gen.dataset.splits import SPLITS

    def bad(field: str | None, message: str) -> NoReturn:
        raise AnnotationError(file, where, field, message)

    if not isinstance(rec, dict):
        bad(None, "expected an object")
    if not isinstance(rec.get("id"), str):
        bad("id", "missing or not a string")
    if rec.get("split") not in SPLITS:
        bad("split", f"missing or not one of {', '.join(SPLITS)}")
    if "qc" not in rec:
        return
    qc = rec["qc"]
    if not isinstance(qc, dict):
        bad("qc", "expected an object")
    if type(qc.get("attempt")) is not int or qc["attempt"] < 0:
        bad("qc.attempt", "missing or not an integer >= 0")
    if not isinstance(qc.get("accepted"), bool):
        bad("qc.accepted", "missing or not true/false")
    rejected = qc.get("rejected")
    if not isinstance(rejected, list) or not all(
        isinstance(x, list) and all(isinstance(r, str) for r in x) for x in rejected
    ):
        bad("qc.rejected", "missing or not a list of lists of check names")
    figures = qc.get("figures")
    if not isinstance(figures, dict) or not all(_number(v) for v in figures.values()):
        bad("qc.figures", "missing or not an object of numbers")
    if first is not None and "qc" in first and set(figures) != set(first["qc"]["figures"]):
        bad("qc.figures", "names differ from the first record's")


def check_sources(sources: Any, file: Path) -> None:
    """Refuse a ``sources.json`` whose parts the card reads are not objects."""
    from compmo_gen.core.errors import AnnotationError

    if not isinstance(sources, dict):
        raise AnnotationError(file, None, None, "expected an object")
    for key in ("source", "splits", "babel"):
        if key in sources and not isinstance(sources[key], dict):
            raise AnnotationError(file, None, key, "expected an object")
    side = sources.get("source", {}).get("side_counts", {"left": 0, "right": 0})
    if "kinds" in sources.get("source", {}) and not (
        isinstance(side, dict) and {"left", "right"} <= set(side)
    ):
        raise AnnotationError(file, None, "source.side_counts", "expected {left, right}")
    for key in ("config", "leakage", "counts"):
        if not isinstance(sources.get("babel", {}).get(key, {}), dict):
            raise AnnotationError(file, None, f"babel.{key}", "expected an object")


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.errors import AnnotationError, UserError
    from compmo_gen.core.formats import load_annotations
    from compmo_gen.core.io import load_json, loads_json, read_text, write_atomic
    from compmo_gen.dataset.stats import dataset_card, render_card

    root = Path(args.dir)
    files = sorted((root / "metadata").glob("*.jsonl"))
    if not files:
        raise UserError(f"{root}: no metadata/*.jsonl (not a built dataset?)")
    ann = {}
    for split in ("train", "val", "test"):
        p = root / "annotations" / f"{split}.json"
        if p.is_file():
            ann.update(load_annotations(p, role="gt", fmt="anet-gt").annotations)
    records: list[dict] = []
    for f in files:
        for n, line in enumerate(read_text(f).splitlines(), 1):
            rec = loads_json(line, f, f"line {n}")
            check_record(rec, f, f"line {n}", records[0] if records else None)
            if rec["id"] not in ann:
                raise AnnotationError(f, f"line {n}", "id", "not in annotations/*.json")
            records.append({**rec, "annotation": ann[rec["id"]]})
    src = root / "sources.json"
    sources = load_json(src) if src.exists() else None
    if sources is not None:
        check_sources(sources, src)
    card = dataset_card(records, sources)
    text = render_card(card)
    print(text, end="")
    if not args.no_save:
        write_atomic(root / "card.md", text)
        write_atomic(root / "card.json", json.dumps(card, indent=1, sort_keys=True) + "\n")
    return 0
