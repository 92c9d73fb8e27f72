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
    parser.add_argument("--num", type=int, default=2000, help="sequence count of the build to check the clip count against (default: 2000, datasets/default.yaml)")  # fmt: skip


def build_needs(usable: int, num: int) -> dict:
    """How the number of usable motions (an id and its mirror count once) compares with what
    ``compmo-gen build --num num`` needs."""
    from compmo_gen.dataset.clips import clips_needed

    need = clips_needed(num)
    most = 4 * usable * usable if usable >= 2 else 0  # largest num with clips_needed(num) <= usable
    ok = usable >= need
    line = (
        f"build: {usable} usable motion(s) (an id and its mirror count once; before the build's "
        "caption and length filters); "
        f"--num {num} needs >= {need}, 60,000 (datasets/compmo.yaml) needs >= {clips_needed(60000)}"
        f"; at most {most} sequences without --set allow_few_clips=true"
        + ("" if ok else f": NOT ENOUGH for --num {num}")
    )
    return {"usable_motions": usable, "num": num, "clips_needed": need, "enough": ok,
            "max_sequences": most, "line": line}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.errors import UserError
    from compmo_gen.core.io import write_atomic
    from compmo_gen.sources.doctor import diagnose

    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit {args.limit}: use at least 1")
    if not 1 <= args.num <= 10**9:
        raise UserError(f"--num {args.num}: use 1 to 1,000,000,000")
    d = diagnose(args.path, limit=args.limit, quiet=args.quiet)
    for f in d.findings:
        print(f.line())
    counts = ", ".join(f"{k} {v}" for k, v in sorted(d.counts.items()))
    verdict = "unusable" if d.usable == 0 else "usable with errors" if d.errors else "ok"
    need = build_needs(len(d.motions), args.num)
    print(f"{args.path}: {verdict}: {d.usable} usable ids; {counts}")
    print(need["line"])
    if args.json:
        data = {
            **d.as_dict(),
            "verdict": verdict,
            "build": {k: v for k, v in need.items() if k != "line"},
        }
        write_atomic(args.json, json.dumps(data, indent=1) + "\n")
    return 2 if d.usable == 0 else 1 if d.errors else 0
