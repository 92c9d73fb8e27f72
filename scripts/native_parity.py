"""Native PTB tokenizer and METEOR 1.5 against pycocoevalcap's jars, on every caption and pair.

python -m scripts.native_parity [--release DIR] [--anet DIR] [--out results/native_parity.md]

Per dataset (DEMO's release; with ``--anet DIR``, ActivityNet Captions' val_2 as predictions
against val_1, as scripts/bench_eval.py scores them): the PTB tokens of every caption occurrence
(GT, predictions and the garbage words, in the order compmo-eval writes them for the jar) and every
distinct pair compmo-eval scores (ActivityNet pairs at all tIoUs and SODA pairs), compared on the
METEOR statistics, the per-pair score the jar prints and the aggregate of every ActivityNet group;
each backend timed on the same pairs (wall and CPU seconds, resources already cached). Raw jar
output (before punctuation removal) against the native tokens: tests/evaluation/data/ptb_cases.txt,
12,000 adversarial lines, and with ``--anet`` every distinct caption of the real files found there
(val_1, val_2, YouCook2's yc2_val.json, TimeChat's example predictions), as one document each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_dataset(name: str, path: Path):
    """(GT, predictions, unparseable ids) of DEMO's release or of ActivityNet (val_2 vs val_1)."""
    from compmo_gen.core.formats import load_annotations, read_durations

    if name == "demo":
        durations = read_durations(str(path / "durations_imputed.json"), fps=20.0)
        kw = dict(durations=durations, motion_root=None, fps=20.0, dialect="demo", lenient=False)
        gt = load_annotations(str(path / "test.json"), role="gt", fmt="auto", **kw)
        pred = load_annotations(str(path / "result.json"), role="pred", fmt="auto", **kw)
        return gt, pred, pred.report.unparseable
    from scripts.bench_eval import anet_files

    work = Path(tempfile.mkdtemp(prefix="compmo-parity-"))
    pred_file, gt_file = anet_files(path, work)
    kw = dict(durations=None, motion_root=None, fps=20.0, dialect="demo", lenient=False)
    gt = load_annotations(str(gt_file), role="gt", fmt="auto", past_duration="keep", **kw)
    pred = load_annotations(str(pred_file), role="pred", fmt="auto", past_duration="keep", **kw)
    return gt, pred, ()


def release_inputs(name: str, path: Path):
    from evaluation.plan import plan_video
    from evaluation.scorer import EvalConfig, build_inputs

    gt, pred, unparseable = load_dataset(name, path)
    out = {}
    for kind in ("java", "native"):
        cfg = EvalConfig(protocol="demo", tokenizer=kind)
        t0 = time.perf_counter()
        inputs, _ = build_inputs(gt.annotations, pred.annotations, unparseable, cfg)
        out[kind] = (inputs, time.perf_counter() - t0)
    cfg = EvalConfig(protocol="demo")
    pairs: dict = {}
    groups: dict = {}
    for v in out["native"][0]:
        plan = plan_video(v, cfg.tious, cfg.overlap_thresholds, cfg.max_proposals)
        for g in plan.anet_groups:
            if g:
                groups.setdefault(g, None)
                pairs.update((x, None) for x in g)
        pairs.update((x, None) for x in plan.soda_pairs.values())
    return out, list(pairs), list(groups)


def tokenizer_parity(out) -> tuple[int, int, float, float]:
    java, t_java = out["java"]
    native, t_native = out["native"]
    fields = ("gt_tokens", "pred_tokens", "garbage_tokens")
    total = equal = 0
    for a, b in zip(java, native, strict=True):
        for f in fields:
            for x, y in zip(getattr(a, f), getattr(b, f), strict=True):
                total += 1
                equal += x == y
    return total, equal, t_java, t_native


def cases_parity(lines: list[str]) -> tuple[int, int, list[str]]:
    """Raw jar output (before punctuation removal) against the native tokens, line by line."""
    from evaluation.javatools import PTB_JAR, jar_path, java_executable
    from evaluation.ptb import tokenize_lines

    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write("\n".join(lines).encode())
    try:
        cmd = [java_executable(), "-cp", str(jar_path(PTB_JAR))]
        cmd += ["edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase", f.name]
        jar = subprocess.run(cmd, capture_output=True, check=True).stdout.decode().split("\n")
    finally:
        os.unlink(f.name)
    native = [" ".join(t.lower() for t in toks) for toks in tokenize_lines(lines)]
    bad = [line for line, a, b in zip(lines, jar, native, strict=False) if a != b]
    return len(lines), len(lines) - len(bad), bad


def run_backend(kind: str, pairs, groups):
    from evaluation import backends

    t0, c0 = time.perf_counter(), time.process_time()
    backend = backends.open_meteor(kind, 2, guard=False)  # the jar itself on every pair
    try:
        stats = backend.stats(pairs)
        index = {p: i for i, p in enumerate(pairs)}
        batches = [stats[k : k + 1000] for k in range(0, len(stats), 1000)]
        per_pair = [s for _, scores in backend.evaluate(batches) for s in scores]
        aggregates = [
            a for a, _ in backend.evaluate([[stats[index[p]] for p in g] for g in groups])
        ]
        # other processes: the JVM(s), or the native worker processes
        cpu = backend.cpu_seconds() if kind == "java" else backend.worker_cpu_seconds()
    finally:
        backend.close()
    wall = time.perf_counter() - t0
    cpu += time.process_time() - c0
    return stats, per_pair, aggregates, wall, cpu


def real_captions(anet: Path) -> dict[str, list[str]]:
    """Every distinct caption (ASCII, as compmo-eval hands them over) of the real files in ``anet``."""
    from evaluation.text import remove_nonascii

    def strings(x, key: str | None = None):
        if isinstance(x, dict):
            for k, v in x.items():
                yield from strings(v, k)
        elif isinstance(x, list):
            for v in x:
                yield from strings(v, key)
        elif isinstance(x, str) and key in ("sentences", "sentence", "caption"):
            yield x

    out = {}
    for name in ("val_1.json", "val_2.json", "yc2_val.json", "timechat_example_pred.json"):
        f = anet / name
        if f.is_file():
            caps = {
                remove_nonascii(c).replace("\n", " ").strip()
                for c in strings(json.loads(f.read_text()))
            }
            out[name] = sorted(c for c in caps if c)
    return out


def dataset_rows(name: str, path: Path) -> tuple[list[str], bool]:
    out, pairs, groups = release_inputs(name, path)
    tok_total, tok_equal, t_java, t_native = tokenizer_parity(out)
    j = run_backend("java", pairs, groups)
    n = run_backend("native", pairs, groups)
    stats_equal = sum(
        tuple(float(x) for x in a.split()) == b for a, b in zip(j[0], n[0], strict=True)
    )
    score_equal = sum(a == b for a, b in zip(j[1], n[1], strict=True))
    agg_equal = sum(a == b for a, b in zip(j[2], n[2], strict=True))
    score_diff = max(abs(a - b) for a, b in zip(j[1], n[1], strict=True))
    agg_diff = max(abs(a - b) for a, b in zip(j[2], n[2], strict=True))
    title = "DEMO release (6,000 videos)" if name == "demo" else (
        "ActivityNet Captions, val_2 as predictions vs val_1 (4,917 videos)")  # fmt: skip
    lines = [
        f"## {title}",
        "",
        "| check | compared | equal | unequal | max abs diff |",
        "|---|---|---|---|---|",
        f"| PTB tokens of every caption occurrence (GT, predictions, garbage words) | {tok_total} "
        f"| {tok_equal} | {tok_total - tok_equal} | - |",
        f"| METEOR statistics (SCORE) of every distinct pair | {len(pairs)} | {stats_equal} "
        f"| {len(pairs) - stats_equal} | - |",
        f"| METEOR per-pair score (EVAL, as the Python side reads it) | {len(pairs)} "
        f"| {score_equal} | {len(pairs) - score_equal} | {score_diff:.3g} |",
        f"| METEOR aggregate of every ActivityNet group (pair list of a video at a tIoU) "
        f"| {len(groups)} | {agg_equal} | {len(groups) - agg_equal} | {agg_diff:.3g} |",
        "",
        "| step | java (jar) | native |",
        "|---|---|---|",
        f"| tokenize the captions (build_inputs), wall s | {t_java:.2f} | {t_native:.2f} |",
        f"| METEOR of all pairs + groups, wall s (incl. start-up) | {j[3]:.2f} | {n[3]:.2f} |",
        f"| METEOR of all pairs + groups, CPU s (all processes) | {j[4]:.2f} | {n[4]:.2f} |",
        "",
    ]
    ok = tok_equal == tok_total and stats_equal == len(pairs)
    return lines, ok and score_equal == len(pairs) and agg_equal == len(groups)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", default=str(ROOT.parent / "shared" / "data" / "demo_release"))
    ap.add_argument("--anet", help="folder with ActivityNet's val_1.json, val_2.json (and more)")
    ap.add_argument("--out", default=str(ROOT / "results" / "native_parity.md"))
    args = ap.parse_args()
    release = Path(args.release)
    load = os.getloadavg()
    from tests.evaluation.ptb_fuzz import fuzz_lines

    documents = {
        "tests/evaluation/data/ptb_cases.txt lines": (
            ROOT / "tests/evaluation/data/ptb_cases.txt").read_text().split("\n"),
        "12,000 adversarial lines (tests/evaluation/ptb_fuzz.py, seeds 1-3)": [
            x for s in (1, 2, 3) for x in fuzz_lines(s, 4000)],
    }  # fmt: skip
    if args.anet:
        for name, caps in real_captions(Path(args.anet)).items():
            documents[f"every distinct caption of {name}"] = caps
    lines = [
        "# Native PTB tokenizer and METEOR 1.5 vs pycocoevalcap's jars",
        "",
        f"Command: `python -m scripts.native_parity{' --anet DIR' if args.anet else ''}`. "
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; load average before: "
        f"{load[0]:.2f} (shared machine: timings are noisy). Equality is `==` on Python floats "
        "(the jar's printed value parsed by `float`).",
        "",
        "## PTB tokenizer, raw jar output (before punctuation removal), line by line",
        "",
        "| document | lines | equal | unequal |",
        "|---|---|---|---|",
    ]
    ok = True
    bad: list[str] = []
    for title, doc in documents.items():
        total, equal, wrong = cases_parity(doc)
        lines.append(f"| {title} | {total} | {equal} | {total - equal} |")
        bad += wrong
        ok = ok and not wrong
    lines.append("")
    if bad:
        lines += ["Unequal tokenizer lines:", ""] + [f"- `{x!r}`" for x in bad[:50]] + [""]
    datasets = [("demo", release)] + ([("anet", Path(args.anet))] if args.anet else [])
    for name, path in datasets:
        rows, good = dataset_rows(name, path)
        lines += rows
        ok = ok and good
    lines.append(f"Load average after: {os.getloadavg()[0]:.2f}.")
    from compmo_gen.core.io import write_atomic

    write_atomic(Path(args.out), "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
