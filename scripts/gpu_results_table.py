"""Markdown tables from what scripts/gpu_score.sh wrote: metrics of the model and the baselines,
plus timings and throughput of the GPU run.

    python -m scripts.gpu_results_table DIR/by_sequence [DIR/by_atomic ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

METRICS = ["SODA_c", "CIDEr", "METEOR", "ROUGE_L", "Bleu_1", "Bleu_4", "tIoU", "F1"]


def _row(name: str, path: Path) -> str:
    m = json.loads(path.read_text())["metrics"]
    return f"| {name} | " + " | ".join(f"{m[k]:.2f}" for k in METRICS) + " |"


def table(d: Path) -> str:
    lines = [f"### {d.name}", "", "| method | " + " | ".join(METRICS) + " |"]
    lines.append("|---" * (len(METRICS) + 1) + "|")
    rows = [
        ("DEMO recipe, SmolLM2-135M (this run)", d / "model.results.json"),
        ("uniform segments + most frequent caption", d / "uniform_test.results.json"),
        ("nn-oracle (GT boundaries + nearest train caption)", d / "nn-oracle_test.results.json"),
    ]
    lines += [_row(n, p) for n, p in rows if p.is_file()]
    lines.append("")
    s1 = json.loads((d / "s1_report.json").read_text())
    s2 = json.loads((d / "s2_report.json").read_text())
    inf = json.loads((d / "infer_report.json").read_text())
    lines += [
        "| step | examples | epochs | wall s (Trainer) | tokens/s |",
        "|---|---|---|---|---|",
        f"| stage 1 | {s1['examples']} | {s1['epoch']:.2f} | {s1['train_runtime']:.1f} | {s1['tokens_per_s']} |",
        f"| stage 2 | {s2['examples']} | {s2['epoch']:.2f} | {s2['train_runtime']:.1f} | {s2['tokens_per_s']} |",
        f"| inference | {inf['examples']} | - | {inf['generate_s']:.1f} | {inf['new_tokens_per_s']} new |",
        "",
        f"Unparseable generations: {inf['unparseable']} of {inf['examples']}; empty: "
        f"{inf['empty_predictions']}. Final training losses: stage 1 {s1['train_loss']:.3f}, "
        f"stage 2 {s2['train_loss']:.3f}.",
    ]
    t = d / "timings.txt"
    if t.is_file():
        lines += [
            "",
            "Wall times of each command (s, incl. model loading):",
            "```",
            t.read_text().strip(),
            "```",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print("\n\n".join(table(Path(a)) for a in sys.argv[1:]))
