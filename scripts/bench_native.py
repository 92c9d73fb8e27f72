"""Speed of compmo-eval with the native tokenizer and METEOR against the Java path.

python -m scripts.bench_native [--release DIR] [--repeat 1] [--out results/native_speed.md]

Runs `compmo-eval --protocol demo` on DEMO's release (6,000 videos) with `--tokenizer native
--meteor native` and with `--tokenizer java --meteor java` (each in a fresh process, alternating),
then a 10-video evaluation (the release's first 10 videos) natively, timing its parts in-process:
start-up (loading the cached resources) and scoring (tokenize + score_videos). Resource indexes are
built before timing. Wall and CPU seconds (user + sys, children included) per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.bench_eval import adopt_descendants, reap_descendants

ROOT = Path(__file__).resolve().parents[1]


def cli_run(release: Path, kind: str, out: Path) -> tuple[float, float, dict]:
    cmd = [sys.executable, "-m", "evaluation.cli", str(release / "result.json")]
    cmd += [
        "--gt",
        str(release / "test.json"),
        "--durations",
        str(release / "durations_imputed.json"),
    ]
    cmd += ["--protocol", "demo", "--tokenizer", kind, "--meteor", kind, "-q", "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        cmd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    wall = time.perf_counter() - t0
    reap_descendants()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out.read_text())["metrics"]


def ten_videos(release: Path) -> tuple[float, float, float]:
    """(start-up, tokenize + score, total) seconds for the release's first 10 videos, native."""
    from compmo_gen.core.formats import load_annotations, read_durations
    from evaluation.meteor_native import NativeMeteor
    from evaluation.report import summarize
    from evaluation.scorer import EvalConfig, build_inputs, score_videos

    durations = read_durations(str(release / "durations_imputed.json"), fps=20.0)
    kw = dict(durations=durations, motion_root=None, fps=20.0, dialect="demo", lenient=False)
    gt = load_annotations(str(release / "test.json"), role="gt", fmt="auto", **kw)
    pred = load_annotations(str(release / "result.json"), role="pred", fmt="auto", **kw)
    ids = list(gt.annotations)[:10]
    g = {k: gt.annotations[k] for k in ids}
    p = {k: pred.annotations[k] for k in ids if k in pred.annotations}
    cfg = EvalConfig(protocol="demo", jobs=2)
    t0 = time.perf_counter()
    meteor = NativeMeteor(cfg.jobs)
    meteor.stats([("a person walks", "someone walks")])  # loads the lexicon and paraphrase index
    t1 = time.perf_counter()
    inputs, _ = build_inputs(g, p, (), cfg)
    summarize(score_videos(inputs, cfg, meteor), cfg)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, t2 - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", default=str(ROOT.parent / "shared" / "data" / "demo_release"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "results" / "native_speed.md"))
    args = ap.parse_args()
    adopt_descendants()
    release = Path(args.release)
    from evaluation.meteor_native.resources import index_dir

    index_dir()  # build the cache outside the timings
    load = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float]]] = {"native": [], "java": []}
    metrics = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for kind in ("native", "java"):
                wall, cpu, m = cli_run(release, kind, Path(tmp) / f"{kind}.json")
                runs[kind].append((wall, cpu))
                metrics[kind] = m
    startup, scoring, total = ten_videos(release)
    same = metrics["native"] == metrics["java"]
    lines = [
        "# compmo-eval: native tokenizer + METEOR vs the Java path (DEMO release, --protocol demo)",
        "",
        f"Command: `python -m scripts.bench_native --repeat {args.repeat}`. Machine: "
        f"{os.cpu_count()} cores, {platform.platform()}; load average before: {load:.2f}, after: "
        f"{os.getloadavg()[0]:.2f} (a shared machine: compare runs of one table only).",
        "",
        "| run | wall s | CPU s (user+sys) |",
        "|---|---|---|",
    ]
    for kind in ("native", "java"):
        for k, (wall, cpu) in enumerate(runs[kind]):
            lines.append(f"| 6,000 videos, --tokenizer {kind} --meteor {kind} (run {k + 1}) "
                         f"| {wall:.1f} | {cpu:.1f} |")  # fmt: skip
    lines += [
        "",
        f"All metrics identical between the two runs: {same}.",
        "",
        "| 10 videos, native (in-process) | seconds |",
        "|---|---|",
        f"| start-up: load the cached lexicon and paraphrase index | {startup:.2f} |",
        f"| scoring: tokenize + all metrics | {scoring:.2f} |",
        f"| total | {total:.2f} |",
        "",
    ]
    from compmo_gen.core.io import write_atomic

    write_atomic(Path(args.out), "\n".join(lines))
    print("\n".join(lines))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
