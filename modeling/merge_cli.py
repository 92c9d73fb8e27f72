"""`compmo-train merge RUN --out DIR`: fold the LoRA weights into the LLM (no PEFT needed after)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="a stage-2 run folder")
    parser.add_argument("--out", required=True, help="new run folder with the merged LLM")


def run(args: argparse.Namespace) -> int:
    from modeling.merge import merge_run

    out = merge_run(args.run, args.out)
    print(f"merged {args.run} -> {out}")
    return 0
