"""`compmo-gen stats DIR`: print the dataset card and save it as DIR/card.md (+ DIR/card.json)."""

from __future__ import annotations

import argparse
import json


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dir", help="dataset folder (built by compmo-gen build or compmo-gen babel)"
    )
    parser.add_argument("--no-save", action="store_true", help="print only")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compmo_gen.core.errors import AnnotationError, UserError
    from compmo_gen.core.formats import load_annotations
    from compmo_gen.core.io import write_atomic
    from compmo_gen.stats import dataset_card, render_card

    root = Path(args.dir)
    files = sorted((root / "metadata").glob("*.jsonl"))
    if not files:
        raise UserError(f"{root}: no metadata/*.jsonl (not a built dataset?)")
    ann = {}
    for split in ("train", "val", "test"):
        p = root / "annotations" / f"{split}.json"
        if p.is_file():
            ann.update(load_annotations(p, role="gt", fmt="anet-gt").annotations)
    records = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            try:
                rec = json.loads(line)
                rec["annotation"] = ann[rec["id"]]
                _ = rec["split"]  # composed datasets also have qc/transition, BABEL ones not
            except (ValueError, KeyError, TypeError) as exc:
                raise AnnotationError(f, f"line {n}", None, f"bad record ({exc!r})") from None
            records.append(rec)
    src = root / "sources.json"
    sources = json.loads(src.read_text(encoding="utf-8")) if src.is_file() else None
    card = dataset_card(records, sources)
    text = render_card(card)
    print(text, end="")
    if not args.no_save:
        write_atomic(root / "card.md", text)
        write_atomic(root / "card.json", json.dumps(card, indent=1, sort_keys=True) + "\n")
    return 0
