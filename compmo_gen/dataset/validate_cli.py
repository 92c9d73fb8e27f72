"""`compmo-gen validate DIR`: check a built dataset against its manifest (hashes, counts, files)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="dataset folder (with manifest.json)")
    parser.add_argument(
        "--fast", action="store_true", help="check presence and annotations only, not file hashes"
    )


def run(args: argparse.Namespace) -> int:
    from compmo_gen.dataset.files import validate_dataset

    problems, summary = validate_dataset(args.dir, deep=not args.fast)
    for p in problems[:50]:
        print(f"error: {p}")
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more")
    if problems:
        return 2
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
    print(f"{args.dir}: valid ({summary['files']} files; {counts})")
    return 0
