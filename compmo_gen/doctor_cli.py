"""`compmo-gen doctor PATH`: check a HumanML3D (or AMASS-derived) folder, print what is wrong and
how to fix it. Exit 0: no errors; 1: errors, but some clips are usable; 2: unusable."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the HumanML3D folder (new_joints/, texts/, split files)")  # fmt: skip
    parser.add_argument("--limit", type=int, help="check the files of only the first N ids (a quick look)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the findings as JSON")


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.errors import UserError
    from compmo_gen.core.io import write_atomic
    from compmo_gen.doctor import diagnose

    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit {args.limit}: use at least 1")
    d = diagnose(args.path, limit=args.limit, quiet=args.quiet)
    for f in d.findings:
        print(f.line())
    counts = ", ".join(f"{k} {v}" for k, v in sorted(d.counts.items()))
    verdict = "unusable" if d.usable == 0 else "usable with errors" if d.errors else "ok"
    print(f"{args.path}: {verdict}: {d.usable} usable ids; {counts}")
    if args.json:
        write_atomic(args.json, json.dumps({**d.as_dict(), "verdict": verdict}, indent=1) + "\n")
    return 2 if d.usable == 0 else 1 if d.errors else 0
