"""Peak memory and time of `compmo-eval score` on one video with N GT segments and N predictions.

    python -m scripts.bench_tiou_memory --n 10000 [--n 3000 ...] [--layout shifted|nested]
    python -m scripts.bench_tiou_memory --stage tiou --n 10000     # the tIoU work alone, CPU s

Each size runs in a fresh process (``compmo-eval score``, native backends, ``--jobs 1``); its peak
resident memory is that child's ``ru_maxrss`` (``os.wait4``, the ``getrusage`` record of exactly
that process), its time the wall clock and its CPU seconds. ``shifted``: contiguous GT of 1 s and predictions shifted by half a second (each overlaps
two GT segments, as real timelines do); ``nested``: every prediction spans the whole video (each
overlaps every GT segment: the densest tIoU work). Prints one Markdown row per run and the metrics'
SHA-256 so runs before and after a change can be compared for equality.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("walks", "runs", "jumps", "sits", "waves", "turns", "kicks", "bends", "crawls", "spins")


def caption(k: int) -> str:
    return f"a person {WORDS[k % 10]} {WORDS[(k // 10) % 10]} slowly"


def write_inputs(folder: Path, n: int, layout: str) -> tuple[Path, Path]:
    gt = {
        "v0": {
            "duration": float(n),
            "timestamps": [[float(i), float(i + 1)] for i in range(n)],
            "sentences": [caption(i) for i in range(n)],
        }
    }
    if layout == "shifted":
        spans = [[i + 0.5, min(i + 1.5, float(n))] for i in range(n)]
    else:
        spans = [[0.0, float(n)] for _ in range(n)]
    pred = {
        "results": {
            "v0": [{"timestamp": s, "sentence": caption(7 * i + 3)} for i, s in enumerate(spans)]
        }
    }
    g, p = folder / "gt.json", folder / "pred.json"
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps(pred))
    return g, p


def run_once(n: int, layout: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        g, p = write_inputs(folder, n, layout)
        out = folder / "res.json"
        cmd = [sys.executable, "-m", "evaluation.cli", "score", str(p), "--gt", str(g),
               "--jobs", "1", "-q", "--out", str(out)]  # fmt: skip
        t0 = time.perf_counter()
        with open(folder / "stderr.txt", "w") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not the largest
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            tail = (folder / "stderr.txt").read_text()[-500:]
            raise SystemExit(f"n={n}: exit {proc.returncode}: {tail}")
        doc = json.loads(out.read_text())
        digest = hashlib.sha256(
            json.dumps(
                {k: doc[k] for k in ("metrics", "per_tiou", "overlap_per_threshold")},
                sort_keys=True,
            ).encode()
        ).hexdigest()
    return {
        "n": n,
        "layout": layout,
        "wall_s": round(wall, 2),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "metrics_sha256": digest[:16],
        "SODA_c": doc["metrics"]["SODA_c"],
        "F1": doc["metrics"]["F1"],
    }


def tiou_stage(n: int, layout: str) -> None:
    """In this process: the tIoU work alone (plan_video, then one exact SODA DP with every cell
    scored 0.5); prints CPU seconds and peak RSS as JSON (run in a fresh process per size)."""
    import resource

    import numpy as np

    from evaluation.plan import VideoInput, plan_video
    from evaluation.protocol import OVERLAP_THRESHOLDS, TIOUS
    from evaluation.soda import soda_bounded

    gt = np.array([[float(i), float(i + 1)] for i in range(n)])
    if layout == "shifted":
        pred = np.array([[i + 0.5, min(i + 1.5, float(n))] for i in range(n)])
    else:
        pred = np.array([[0.0, float(n)]] * n)
    toks = tuple(caption(i) for i in range(n))
    video = VideoInput("v0", "ok", gt, toks, pred, toks, toks, True)
    t0 = time.process_time()
    plan = plan_video(video, TIOUS, OVERLAP_THRESHOLDS, 1000)
    t_plan = time.process_time() - t0
    value, _ = soda_bounded(plan.soda[0].iou, {c: 0.5 for c in plan.soda[0].pairs})
    t_all = time.process_time() - t0
    print(json.dumps({
        "n": n, "layout": layout, "plan_cpu_s": round(t_plan, 2), "cpu_s": round(t_all, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "soda_dp": value, "mean_tiou": plan.mean_tiou, "overlap_sum": float(plan.overlap.sum()),
        "pr_sum": float(plan.precision_recall.sum()),
    }))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, action="append", help="segments per side (repeatable)")
    ap.add_argument("--layout", choices=("shifted", "nested"), default="shifted")
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument(
        "--stage",
        choices=("score", "tiou"),
        default="score",
        help="score: the whole compmo-eval score run; tiou: the tIoU work alone (plan + SODA DP)",
    )
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        tiou_stage(args.n[0], args.layout)
        return
    if args.stage == "tiou":
        for n in sorted(args.n or [1000, 3000, 10000]):
            proc = subprocess.run(
                [sys.executable, __file__, "--inner", "--n", str(n), "--layout", args.layout],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            print(proc.stdout.strip(), flush=True)
        return
    sizes = sorted(args.n or [1000, 3000, 10000])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rows = []
    print("| N x N | layout | wall s | CPU s | peak RSS MiB | SODA_c | F1 | metrics sha256 |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        r = run_once(n, args.layout)
        rows.append(r)
        print(f"| {n:,} x {n:,} | {r['layout']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_mib']} | "
              f"{r['SODA_c']:.6f} | {r['F1']:.6f} | {r['metrics_sha256']} |", flush=True)  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
