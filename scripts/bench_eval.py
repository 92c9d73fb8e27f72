"""Benchmark `compmo-eval score --protocol demo` against the reference evaluation scripts.

Side by side, in one run, on two datasets:
- DEMO's released test predictions (``--data``, default ``../shared/data/demo_release``);
- ActivityNet Captions as released (``--anet DIR`` holding ``val_1.json`` and ``val_2.json``, e.g.
  from github.com/ttengwang/PDVC data/anet/captiondata/): val_2 as predictions against val_1;
  plus a 10-video excerpt of it (the small-evaluation case);
1. the reference: DEMO's ``eval/cider.py -v`` (densevid_eval), ``eval/soda.py`` and
   ``eval/overlap.py``, copied at run time from the local mirror of github.com/41xu/DEMO into a
   temporary directory (never into the repo), on ActivityNet-format files (DEMO's strings converted
   by ``scripts/reference_eval/prepare_demo_release.py``); only their print formats are widened;
2. ``compmo-eval score --protocol demo`` on the same files (DEMO: the released files directly).
Prints a table and writes ``results/raw/eval_speed_real_data/<date>_<commit>.md`` and ``.json``
(then add the run's row to ``results/eval_speed_real_data.md``).

    python -m scripts.bench_eval [--data DIR] [--anet DIR] [--mirror CLONE] [--skip-reference]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evaluation.published import RELEASE_TARGETS as TARGETS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "demo_release"
#: A clone of github.com/41xu/DEMO (docs/evaluation.md, "Reference sources"): --mirror or this.
DEFAULT_MIRROR = os.environ.get("COMPMO_DEMO_REPO")
SCRIPTS = ("cider.py", "soda.py", "overlap.py", "utils.py", "dataset.py")
#: A stand-in for torchmetrics.Metric (only add_state and float32 tensor states are used).
TORCHMETRICS_SHIM = """import torch
class Metric:
    def __init__(self, **kwargs):
        pass
    def add_state(self, name, default, dist_reduce_fx=None):
        setattr(self, name, default.clone())
"""
WIDEN = {
    "cider.py": [("'| %s: %2.4f'", "'| %s: %r'")],
    "soda.py": [('f"\\t{k}:{v*100:2.4f}"', 'f"\\t{k}:{v*100!r}"')],
}


CPU = {}  # command label -> CPU seconds (user + sys, the process and every waited descendant)


def adopt_descendants() -> None:
    """Become the reaper of every orphaned process started from here (Linux), so that
    ``RUSAGE_CHILDREN`` counts them: compmo-eval's workers are children of its fork server,
    which outlives compmo-eval by a moment and is not waited for by it."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_descendants(limit_s: float = 30.0) -> None:
    """Wait for the adopted descendants of the last command (see :func:`adopt_descendants`)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)
    print(f"descendants still running after {limit_s:.0f} s: CPU undercounted", file=sys.stderr)


def _run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    reap_descendants()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[" ".join(cmd)] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, proc.stdout


NUM = r"(?:np\.float\d+\()?([-+\d.eE]+)\)?"


def parse_reference(out_c: str, out_s: str, out_o: str) -> dict[str, float]:
    """Numbers (x100) from the widened outputs of cider.py -v, soda.py and overlap.py."""
    avg = out_c.split("Average across all tIoUs")[-1]
    metrics = {m: float(v) for m, v in re.findall(rf"\| (\w+): {NUM}", avg)}
    metrics["SODA_c"] = float(re.search(rf"f1_score:{NUM}", out_s).group(1))
    metrics["F1 (float32)"] = float(re.search(rf"'F1': {NUM}", out_o).group(1))
    metrics["tIoU"] = float(re.search(rf"'Avg. TIoU': {NUM}", out_o).group(1)) * 100
    return metrics


def _scripts(mirror: Path, work: Path) -> dict:
    """DEMO's scripts into ``work`` (widened prints); the environment to run them."""
    for name in SCRIPTS:
        text = subprocess.run(
            ["git", "-C", str(mirror), "show", f"HEAD:eval/{name}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        for old, new in WIDEN.get(name, []):
            assert old in text, f"{name}: print format changed upstream"
            text = text.replace(old, new)
        (work / name).write_text(text)
    env = dict(os.environ)
    try:
        import torchmetrics  # noqa: F401
    except ImportError:
        shim = work / "shim" / "torchmetrics"
        shim.mkdir(parents=True, exist_ok=True)
        (shim / "__init__.py").write_text(TORCHMETRICS_SHIM)
        env["PYTHONPATH"] = os.pathsep.join([str(shim.parent), env.get("PYTHONPATH", "")])
    return env


def reference(pred: Path, gt: Path, work: Path, env: dict, prep: float = 0.0) -> dict:
    """Run DEMO's three scripts on ActivityNet files; their numbers (x100), wall and CPU times."""
    py = sys.executable
    CPU.clear()
    t_cider, out_c = _run([py, "cider.py", "-v", "-s", str(pred), "-r", str(gt)], work, env)
    t_soda, out_s = _run([py, "soda.py", "-p", str(pred), "-r", str(gt)], work, env)
    t_ov, out_o = _run(
        [py, "overlap.py", "--pred_file", str(pred), "--ref_file", str(gt)], work, env
    )
    return {
        "cpu_seconds": sum(CPU.values()),
        "metrics": parse_reference(out_c, out_s, out_o),
        "seconds": {"prepare": prep, "cider.py -v": t_cider, "soda.py": t_soda,
                    "overlap.py": t_ov, "three scripts": t_cider + t_soda + t_ov},
    }  # fmt: skip


def ours(args: list[str], work: Path, jobs: int | None, repeat: int) -> dict:
    """Run compmo-eval ``repeat`` times (the machine is shared: every wall time is reported)."""
    out = work / "compmo.json"
    cmd = [sys.executable, "-m", "evaluation.cli", "score", *args]
    cmd += ["--protocol", "demo", "--out", str(out), "-q"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    walls, cpus = [], []
    for _ in range(max(1, repeat)):
        CPU.clear()
        walls.append(_run(cmd, REPO)[0])
        cpus.append(sum(CPU.values()))
    doc = json.loads(out.read_text())
    return {
        "cpu_seconds": float(statistics.median(cpus)),
        "cpu_runs": cpus,
        "metrics": doc["metrics"],
        "counts": doc["counts"],
        "seconds": {"compmo-eval": float(statistics.median(walls)), "runs": walls},
        "signature": doc["signature"],
    }


def anet_files(anet: Path, work: Path, n: int | None = None) -> tuple[Path, Path]:
    """val_2.json as an ActivityNet submission, and val_1.json (the first ``n`` videos of each)."""
    v1 = json.loads((anet / "val_1.json").read_text())
    v2 = json.loads((anet / "val_2.json").read_text())
    keep = list(v1)[:n] if n else list(v1)
    results = {
        k: [{"sentence": s, "timestamp": t} for t, s in zip(v["timestamps"], v["sentences"])]
        for k, v in v2.items()
        if k in set(keep)
    }
    sub = {"version": "VERSION 1.0", "results": results, "external_data": {"used": False}}
    tag = f"_{n}" if n else ""
    pred, gt = work / f"anet_val_2_as_pred{tag}.json", work / f"anet_val_1{tag}.json"
    pred.write_text(json.dumps(sub))
    gt.write_text(json.dumps({k: v1[k] for k in keep}))
    return pred, gt


COMPARED = ("SODA_c", "CIDEr", "METEOR", "ROUGE_L", "Bleu_1", "Bleu_4", "Precision", "Recall",
            "F1", "tIoU")  # fmt: skip


def section(name: str, ref: dict | None, mine: dict, targets: dict | None) -> list[str]:
    """One dataset's markdown: metrics side by side, wall and CPU seconds, speed-ups."""
    lines = [f"## {name}", ""]
    head = "| metric (x100) | " + ("target | " if targets else "")
    lines += [head + "reference scripts here | compmo-eval | abs(compmo - reference) |"]
    lines += ["|---|" + ("---|" if targets else "") + "---|---|---|"]
    for key in COMPARED:
        r = None if ref is None else ref["metrics"].get("F1 (float32)" if key == "F1" else key)
        m = mine["metrics"][key]
        t = f"{targets[key]!r} | " if targets else ""
        d = "-" if r is None else f"{abs(m - r):.1e}"
        lines.append(f"| {key} | {t}{'-' if r is None else repr(r)} | {m!r} | {d} |")
    lines += ["", "F1: overlap.py accumulates in float32, compmo-eval in float64.", ""]
    lines += ["| run | wall seconds | CPU seconds |", "|---|---|---|"]
    if ref is not None:
        for k, v in ref["seconds"].items():
            lines.append(f"| reference {k} | {v:.1f} | |")
        lines.append(f"| reference, all three (CPU) | | {ref['cpu_seconds']:.1f} |")
    runs = ", ".join(f"{x:.2f}" for x in mine["seconds"]["runs"])
    lines.append(
        f"| compmo-eval score --protocol demo (median of: {runs}) | "
        f"{mine['seconds']['compmo-eval']:.2f} | {mine['cpu_seconds']:.1f} |"
    )
    if ref is not None:
        t_ref, t_ours = ref["seconds"]["three scripts"], mine["seconds"]["compmo-eval"]
        best = min(mine["seconds"]["runs"])
        lines += ["", f"Speed-up, wall clock: **{t_ref / t_ours:.1f}x** (median run), "
                  f"{t_ref / best:.1f}x (best run); CPU time: "
                  f"{ref['cpu_seconds'] / mine['cpu_seconds']:.1f}x."]  # fmt: skip
    return lines + [""]


def report(results: dict, load: tuple) -> tuple[str, dict]:
    lines = ["# compmo-eval vs the reference evaluation scripts, side by side", ""]
    lines += [f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average "
              f"before/after: {load[0]:.2f} / {load[1]:.2f} (a shared machine: every run's wall "
              "time is listed; CPU seconds are user + sys of every process).", ""]  # fmt: skip
    lines += ["Reference: DEMO's eval/cider.py -v (densevid_eval), eval/soda.py (SODA_c) and "
              "eval/overlap.py, github.com/41xu/DEMO; compmo-eval: `compmo-eval score "
              "--protocol demo` on the same files (DEMO: the released string files).", ""]  # fmt: skip
    for name, (ref, mine, targets) in results.items():
        lines += section(name, ref, mine, targets)
    doc = {"results": results, "cpus": os.cpu_count(), "loadavg": load}
    return "\n".join(lines), doc


def default_out() -> Path:
    """``results/raw/eval_speed_real_data/<date>_<commit>`` (the commit of the code measured)."""
    rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    stem = f"{time.strftime('%Y-%m-%d')}_{rev or 'nogit'}"
    return REPO / "results" / "raw" / "eval_speed_real_data" / stem


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="DEMO's release folder")
    ap.add_argument("--anet", type=Path, help="folder with ActivityNet's val_1.json, val_2.json")
    ap.add_argument(
        "--mirror",
        type=Path,
        default=DEFAULT_MIRROR,
        help="a clone of 41xu/DEMO (default: $COMPMO_DEMO_REPO)",
    )
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--jobs", type=int, help="METEOR threads for compmo-eval (default: its own)")
    ap.add_argument("--repeat", type=int, default=3, help="compmo-eval runs (median reported)")
    ap.add_argument("--out", type=Path, default=default_out(), help="output stem (.md, .json)")
    args = ap.parse_args()
    have_demo = (args.data / "result.json").is_file()
    have_anet = args.anet is not None and (args.anet / "val_1.json").is_file()
    if not have_demo and not have_anet:
        print("no DEMO release and no --anet folder: nothing to benchmark", file=sys.stderr)
        return 2
    adopt_descendants()
    load0 = os.getloadavg()[0]
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="compmo-bench-") as tmp:
        work = Path(tmp)
        env = None
        if args.skip_reference:
            print("reference side skipped (--skip-reference)")
        elif args.mirror is None:
            print("reference side skipped: no DEMO clone (--mirror or $COMPMO_DEMO_REPO)")
        elif not (args.mirror / "HEAD").exists() and not (args.mirror / ".git").exists():
            print(f"reference side skipped: no DEMO mirror at {args.mirror}")
        else:
            env = _scripts(args.mirror, work)
        if have_demo:
            d = args.data
            from scripts.reference_eval.prepare_demo_release import convert

            ref = None
            if env is not None:
                t0 = time.perf_counter()
                gt, pred = convert(d / "test.json", d / "result.json",
                                   d / "durations_imputed.json", work / "data")  # fmt: skip
                ref = reference(pred, gt, work, env, time.perf_counter() - t0)
            mine = ours([str(d / "result.json"), "--gt", str(d / "test.json"), "--durations",
                         str(d / "durations_imputed.json")], work, args.jobs, args.repeat)  # fmt: skip
            results["DEMO release (6,000 videos)"] = (ref, mine, TARGETS)
        if have_anet:
            for n, label, repeat in ((None, "ActivityNet Captions: val_2 as predictions vs val_1 "
                                      "(4,917 videos)", args.repeat),
                                     (10, "ActivityNet Captions, first 10 videos of val_1 "
                                      "(small evaluation)", max(5, args.repeat))):  # fmt: skip
                pred, gt = anet_files(args.anet, work, n)
                ref = None if env is None else reference(pred, gt, work, env)
                mine = ours([str(pred), "--gt", str(gt)], work, args.jobs, repeat)
                results[label] = (ref, mine, None)
    md, doc = report(results, (load0, os.getloadavg()[0]))
    print(md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(md)
    args.out.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
