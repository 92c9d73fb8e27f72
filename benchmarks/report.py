"""The Markdown report of a throughput run (``results/throughput_<tag>.md``)."""

from __future__ import annotations

from typing import Any

#: H100/H200 SXM dense bf16 datasheet figure (for the MFU column only; ``--peak-tflops``).
PEAK_BF16_TFLOPS = 989.0


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| variant | tokens/s | tokens/step | peak GiB | useful TFLOP/s | MFU % |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("oom") or r.get("skipped"):
            lines.append(f"| {r['name']} | {'OOM' if r.get('oom') else 'skipped'} | | | | |")
        else:
            lines.append(
                f"| {r['name']} | {r['tokens_per_s']:.0f} | {r['tokens_per_step']:.0f} | "
                f"{r['peak_gib']} | {r['useful_tflops']} | {r['mfu_pct']} |"
            )
    return lines


def _best(s: dict[str, Any]) -> list[str]:
    if "speedup" not in s:
        return []
    return [
        "",
        f"Best: {s['best']}: {s['best_tokens_per_s']:.0f} tokens/s, **{s['speedup']}x** the "
        f"default step measured in the same run ({s['baseline_tokens_per_s']:.0f}).",
    ]


def _profile(res: dict[str, Any]) -> list[str]:
    """Markdown lines of the profile section."""
    lines = [
        f"## Profile: {res['variant']}, LoRA dropout {res['lora_dropout']}",
        "",
        f"{res['steps']} steps, {res['wall_ms_per_step']} ms a step ({res['tokens_per_s']:.0f} "
        f"tokens/s under the profiler); GPU kernels {res['gpu_busy_ms_per_step']} ms a step, "
        f"GPU idle {res['gpu_idle_pct']} %.",
        "",
        "| kernel kind | ms a step | % of wall |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v['ms_per_step']} | {v['pct_of_wall']} |" for k, v in res["kinds"].items()]
    lines += [
        "",
        "| matrix product | operand shapes | calls a step | ms a step |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {m['op']} | `{m['shapes']}` | {m['calls_per_step']:g} | {m['ms_per_step']} |"
        for m in res["matmuls_by_shape"]
    ]
    lines += ["", "| kernel | kind | calls a step | ms a step |", "|---|---|---|---|"]
    lines += [
        f"| `{k['name']}` | {k['kind']} | {k['calls_per_step']:g} | {k['ms_per_step']} |"
        for k in res["top_kernels"]
    ]
    return lines + [""]


def render_md(res: dict[str, Any], peak_tflops: float = PEAK_BF16_TFLOPS) -> str:
    """The Markdown report of a run's results (``throughput_<tag>.json``)."""
    env = res["env"]
    lines = [
        f"# Throughput: {env.get('gpu', env['device'])} ({env['preset']})",
        "",
        f"torch {env['torch']}, transformers {env['transformers']}, peft {env['peft']}, "
        f"varlen attention: {env.get('varlen_attn')}; LLM params {env.get('llm_params', 0) / 1e9:.2f} B, "
        f"LoRA params {env.get('lora_params', 0) / 1e6:.0f} M. Tokens/s counts real tokens (no "
        "padding). Useful TFLOP/s = tokens/s x 4 x LLM params; MFU against "
        f"{peak_tflops:.0f} TFLOP/s.",
        "",
        "Default step: `compmo-train`'s padded step (`packing: false`, the model's own attention "
        "and `labels=` loss, checkpointing as the shipped stage config). Fast: `compmo-train "
        "--packing true` (`none@<tokens>`; other checkpointing modes are bench-only).",
        "",
    ]
    sec = res["sections"]
    if "stage2" in sec and "error" not in sec["stage2"]:
        for key, s in sec["stage2"].items():
            lines += [
                f"## Stage 2 (adapter + LoRA), {key.replace('_', ' ')}",
                "",
                *_table(s["rows"]),
            ]
            lines += [*_best(s), ""]
    if "stage1" in sec and "rows" in sec["stage1"]:
        s = sec["stage1"]
        lines += ["## Stage 1 (LLM frozen, adapter only)", "", *_table(s["rows"]), *_best(s), ""]
    if "same_maths" in sec and sec["same_maths"].get("plain"):
        m = sec["same_maths"]
        lines += [
            "## Same maths",
            "",
            f"{m['steps']} steps, lr {m['lr']}, LoRA dropout off, same initialisation and batches. "
            f"Worst relative loss difference {m['max_rel_diff']:.2e} "
            f"({'within' if m['ok'] else 'NOT within'} 1 %).",
            "",
            "| step | default | " + " | ".join(m["fast"]) + " |",
            "|---|---|" + "---|" * len(m["fast"]),
        ]
        for i, p in enumerate(m["plain"]):
            vals = " | ".join(f"{v['losses'][i]:.4f}" for v in m["fast"].values())
            lines.append(f"| {i} | {p:.4f} | {vals} |")
        lines.append("")
    if "inference" in sec and "rows" in sec["inference"]:
        i = sec["inference"]
        lines += [
            "## Inference (greedy, KV cache, motion + ~120-token prompt, fixed new tokens)",
            "",
            "| batch | sequences/s | generated tokens/s |",
            "|---|---|---|",
        ]
        for r in i["rows"]:
            lines.append(
                f"| {r['batch']} | OOM | |"
                if r.get("oom")
                else f"| {r['batch']} | {r['sequences_per_s']} | {r['generated_tokens_per_s']} |"
            )
        if "ratio" in i:
            lines += [
                "",
                f"Best batch {i['best_batch']}: **{i['ratio']}x** the batch-1 sequences/s.",
            ]
        lines.append("")
    if "profile" in sec and "kinds" in sec["profile"]:
        lines += _profile(sec["profile"])
    if "compile_check" in sec:
        lines += [
            f"Compile check (relative gradient differences vs eager): {sec['compile_check']}",
            "",
        ]
    if "attention_check" in sec:
        lines += [f"Attention check (packed vs block-mask SDPA): {sec['attention_check']}", ""]
    errors = {k: v["error"] for k, v in sec.items() if isinstance(v, dict) and "error" in v}
    if errors:
        lines += [f"Errors: {errors}", ""]
    return "\n".join(lines)
