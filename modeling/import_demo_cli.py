"""`compmo-train import-demo CKPT --out RUN`: a DEMO checkpoint folder (41xu/DEMO's stage-2 save,
a LLaVA-style LoRA save with ``non_lora_trainables.bin``, or a stage-1 ``mm_projector.bin``) to a
compmo run folder that ``compmo-infer --run RUN`` runs with DEMO's prompt and decoding."""

from __future__ import annotations

import argparse
import json


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ckpt", help="DEMO checkpoint folder (e.g. logs/stage2 or the released weights)")  # fmt: skip
    parser.add_argument("--out", required=True, help="new compmo run folder")
    parser.add_argument("--base", help="base LLM folder for LoRA / stage-1 checkpoints (Llama-3.1-8B-Instruct)")  # fmt: skip
    parser.add_argument("--rotate-z-up", action="store_true", help="feed motions rotated y-up -> z-up as DEMO's inference.py does (its training did not)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from modeling.demo_ckpt import import_demo

    report = import_demo(args.ckpt, args.out, base=args.base, rotate_z_up=args.rotate_z_up)
    print(f"{args.out}: {json.dumps(report)}")
    return 0
