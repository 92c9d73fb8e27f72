"""Markdown table of scripts/gpu_train_8b_speed.sh's train reports (one row per variant).

python -m scripts.train_8b_speed_table OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

VARIANTS = {
    "plain": "plain padded HF step (batch 4, checkpointing)",
    "auto": "time-aware recipe, compmo-train's step (autotune)",
    "auto_nodrop": "the same without LoRA dropout",
    "auto_fused": "the recipe with the fused LoRA forward (--fused-lora true)",
    "auto_fp8": "the recipe, frozen weights' products in float8 per row (--fp8-base rowwise)",
    "auto_fp8t": "the recipe, frozen weights' products in float8 per tensor (--fp8-base tensorwise)",
    "auto_bounds": "the recipe, attention bounds from the data (--compile-bounds data)",
    "auto_fp8_bounds": "the recipe, float8 per row and attention bounds from the data",
    # runs before the default became PEFT's forward: "auto" was fused, this one was not
    "auto_peft": "the recipe with PEFT's own LoRA forward (not fused)",
}


def _f(x: object, nd: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{nd}f}" if isinstance(x, (int, float)) else str(x)


def main(out: Path) -> str:
    rows = []
    reports = {v: out / f"{v}.json" for v in VARIANTS}
    base = None
    for v, path in reports.items():
        if not path.is_file():
            continue
        r = json.loads(path.read_text())
        steady = r.get("steady_tokens_per_s")
        base = steady if v == "plain" else base
        tuned = (r.get("autotune") or {}).get("chosen") or {}
        step = (
            f"packed {tuned.get('tokens_per_step')} tokens, "
            f"{'compiled' if tuned.get('compile') else 'eager'}"
            if tuned.get("packing")
            else "padded"
        )
        ratio = "1.00x" if v == "plain" else f"{steady / base:.2f}x" if base and steady else "n/a"
        rows.append(
            f"| {VARIANTS[v]} | {step} | {_f(steady)} | {ratio} | {_f(r.get('tokens_per_s'))} | "
            f"{_f(r.get('first_step_s'), 2)} | {r.get('optimizer_steps')} | "
            f"{_f(r.get('cuda_peak_gib'), 1)} | {_f(r.get('train_loss'), 3)} |"
        )
    head = [
        "| run | step | steady tokens/s | vs plain | runtime-wide tokens/s | first step s | "
        "steps | peak GiB | train loss |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(head + rows) + "\n"


if __name__ == "__main__":
    print(main(Path(sys.argv[1])), end="")
