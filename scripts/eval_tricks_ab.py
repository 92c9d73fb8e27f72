"""A/B of compmo-eval speed tricks that had no figure of their own: BLEU/ROUGE-L/CIDEr-D of large
runs in worker processes (``scorer.CAPTION_POOL_MIN_VIDEOS``; the long PTB document split over two
processes was measured too, then removed). Each variant runs ``compmo-eval score --protocol
demo`` in a fresh process with the trick's threshold raised out of reach, on DEMO's release and
(``--anet DIR``, val_1.json and val_2.json) ActivityNet's val_2 scored against val_1; variants
interleave over rounds; wall and CPU seconds (the process and its workers) are medians; every
variant's metrics must equal the default's.

    python -m scripts.eval_tricks_ab --data ../shared/data/demo_release --anet DIR --rounds 6
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scripts.bench_eval import CPU, REPO, _run, adopt_descendants, anet_files

#: variant -> (module, constant) thresholds raised out of reach
#: (The PTB split's variants, "no PTB split" and "neither", were measured on 2026-12-06 before the
#: split was removed for a gain under 5 %: ``results/eval_tricks_ab.md``.)
VARIANTS: dict[str, list[tuple[str, str]]] = {
    "default": [],
    "no caption workers": [("evaluation.scorer", "CAPTION_POOL_MIN_VIDEOS")],
}
RUNNER = """
import importlib, sys
for spec in sys.argv[1].split(","):  # "module:NAME" (out of reach) or "module:NAME=value"
    if spec:
        mod, name = spec.split(":")
        name, _, value = name.partition("=")
        setattr(importlib.import_module(mod), name, int(value) if value else 10**12)
from evaluation.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_once(variant: str, inputs: list[str], out: Path, jobs: int) -> tuple[float, float, dict]:
    """(wall s, CPU s of the CLI and all its workers, metrics) of one fresh ``compmo-eval``."""
    specs = ",".join(f"{m}:{c}" for m, c in VARIANTS[variant])
    argv = ["score", *inputs, "--protocol", "demo", "--jobs", str(jobs), "--out", str(out), "-q"]
    CPU.clear()
    wall, _ = _run([sys.executable, "-c", RUNNER, specs, *argv], REPO)
    return wall, sum(CPU.values()), json.loads(out.read_text()).get("metrics", {})


def measure(inputs: list[str], rounds: int, jobs: int, tmp: Path, label: str) -> list[str]:
    """Markdown lines of one data set's A/B."""
    times: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    metrics: dict[str, dict] = {}
    for r in range(rounds):
        for v in VARIANTS:
            wall, cpu, m = run_once(v, inputs, tmp / "r.json", jobs)
            times[v].append((wall, cpu))
            metrics[v] = m
            print(f"{label} round {r + 1} {v}: {wall:.2f} s wall, {cpu:.2f} CPU s", file=sys.stderr)
    same = all(metrics[v] == metrics["default"] for v in VARIANTS)
    base = statistics.median(w for w, _ in times["default"])
    lines = [
        f"## {label}", "",
        f"Every variant's ten metrics equal the default's: **{'yes' if same else 'NO'}**.", "",
        "| variant | wall s (median) | wall vs default | CPU s (median) | rounds (wall s) |",
        "|---|---|---|---|---|",
    ]  # fmt: skip
    for v, ts in times.items():
        wall = statistics.median(w for w, _ in ts)
        cpu = statistics.median(c for _, c in ts)
        runs = ", ".join(f"{w:.2f}" for w, _ in ts)
        lines.append(f"| {v} | {wall:.2f} | {wall / base:.2f}x | {cpu:.2f} | {runs} |")
    if not same:
        raise SystemExit(f"{label}: a variant changed the metrics")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/demo_release"))
    ap.add_argument("--anet", type=Path, help="folder with ActivityNet's val_1.json, val_2.json")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("results/eval_tricks_ab.md"))
    args = ap.parse_args(argv)
    if not (args.data / "result.json").is_file():
        print(f"{args.data}: DEMO's release not found", file=sys.stderr)
        return 2
    adopt_descendants()  # the workers (children of compmo-eval's fork server) count as ours
    d = args.data
    lines = [
        "# compmo-eval: two speed tricks measured on their own", "",
        f"`python -m scripts.eval_tricks_ab --data DEMO_RELEASE{' --anet DIR' if args.anet else ''} "
        f"--rounds {args.rounds} --jobs {args.jobs}` on {os.cpu_count()} CPUs "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). Each variant raises one trick's "
        "threshold out of reach in a fresh `compmo-eval score --protocol demo` process (`no caption "
        "workers`: `scorer.CAPTION_POOL_MIN_VIDEOS`); "
        "variants interleave; medians over the rounds. CPU s: the CLI process and its workers.", "",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        demo = [str(d / "result.json"), "--gt", str(d / "test.json"),
                "--durations", str(d / "durations_imputed.json")]  # fmt: skip
        lines += measure(demo, args.rounds, args.jobs, Path(tmp), "DEMO's release (6,000 videos)")
        if args.anet is not None:
            pred, gt = anet_files(args.anet, Path(tmp))
            lines += measure([str(pred), "--gt", str(gt)], args.rounds, args.jobs, Path(tmp),
                             "ActivityNet Captions val_2 against val_1 (4,917 videos)")  # fmt: skip
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
