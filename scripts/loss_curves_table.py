"""Markdown table of the loss curves of several compmo-train runs, step by step (same data, seed).

    python -m scripts.loss_curves_table RUN_A RUN_B [...] [--names a,b]

Reads each run's ``log_history.json``; prints one row per logged step (the loss of each run and
each run's difference from the first), then each run's mean loss and ``train_report.json``'s
``fp8_base``. Exit 2 with one line when a run folder has no loss history.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from compmo_gen.core.errors import AnnotationError, CompmoError
from compmo_gen.core.readers import load_json


def curves(run: Path) -> dict[int, float]:
    """Logged training losses by optimizer step (the shared JSON loader; a bad record is an
    ``AnnotationError`` naming the file, the record and the field)."""
    path = run / "log_history.json"
    history = load_json(path)
    if not isinstance(history, list):
        raise AnnotationError(path, None, None, "expected a list of log records")
    out: dict[int, float] = {}
    for i, e in enumerate(history):
        if not isinstance(e, dict) or "loss" not in e or "step" not in e:
            continue  # evaluation and summary records carry no training loss
        step, loss = e["step"], e["loss"]
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise AnnotationError(path, str(i), "step", f"not a step number: {step!r}")
        if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not math.isfinite(loss):
            raise AnnotationError(path, str(i), "loss", f"not a finite number: {loss!r}")
        out[step] = float(loss)
    return out


def table(runs: list[Path], names: list[str]) -> str:
    loss = [curves(r) for r in runs]
    steps = sorted(set.intersection(*(set(c) for c in loss)))
    if not steps:
        raise AnnotationError(
            runs[0] / "log_history.json", None, "step", "no step logged by every run"
        )
    head = (
        "| step | " + " | ".join(names) + " | " + " | ".join(f"{n} - {names[0]}" for n in names[1:])
    )
    lines = [head + " |", "|---" * (1 + 2 * len(names) - 1) + "|"]
    for s in steps:
        vals = [c[s] for c in loss]
        diffs = [f"{v - vals[0]:+.3f}" for v in vals[1:]]
        lines.append(
            f"| {s} | " + " | ".join(f"{v:.3f}" for v in vals) + " | " + " | ".join(diffs) + " |"
        )
    means = [sum(c[s] for s in steps) / len(steps) for c in loss]
    diffs = [f"{m - means[0]:+.4f}" for m in means[1:]]
    lines.append(
        "| mean | " + " | ".join(f"{m:.4f}" for m in means) + " | " + " | ".join(diffs) + " |"
    )
    for r, n in zip(runs, names, strict=True):
        rep = r / "train_report.json"
        report = load_json(rep) if rep.is_file() else None
        fp8 = report.get("fp8_base") if isinstance(report, dict) else None
        lines.append(f"\n{n}: {r.name}, fp8_base {fp8}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--names", help="comma-separated names (default: the folder names)")
    args = ap.parse_args(argv)
    names = args.names.split(",") if args.names else [r.name for r in args.runs]
    if len(names) != len(args.runs):
        print("loss_curves_table: --names: one name per run", file=sys.stderr)
        return 2
    for r in args.runs:
        if not (r / "log_history.json").is_file():
            print(f"loss_curves_table: {r}: no log_history.json", file=sys.stderr)
            return 2
    try:
        print(table(args.runs, names), end="")
    except CompmoError as exc:
        print(f"loss_curves_table: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
