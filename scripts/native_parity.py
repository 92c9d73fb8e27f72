"""Native PTB tokenizer and METEOR 1.5 against pycocoevalcap's jars, on every caption and pair.

python scripts/native_parity.py [--release DIR] [--out results/native_parity.md]

Tokenizer: every distinct caption of DEMO's release (GT, predictions and the garbage words, in the
order compmo-eval writes them for the jar) and every line of tests/evaluation/data/ptb_cases.txt
(raw jar output, before punctuation removal). METEOR: every distinct pair compmo-eval scores on the
release (ActivityNet pairs at all tIoUs and SODA pairs), compared on the statistics, the per-pair
score the jar prints and the aggregate of every ActivityNet group; each backend timed on the same
pairs (wall and CPU seconds, resources already cached).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def release_inputs(release: Path):
    from compmo_gen.core.formats import load_annotations, read_durations
    from evaluation.plan import plan_video
    from evaluation.scorer import EvalConfig, build_inputs

    durations = read_durations(str(release / "durations_imputed.json"), fps=20.0)
    kw = dict(durations=durations, motion_root=None, fps=20.0, dialect="demo", lenient=False)
    gt = load_annotations(str(release / "test.json"), role="gt", fmt="auto", **kw)
    pred = load_annotations(str(release / "result.json"), role="pred", fmt="auto", **kw)
    out = {}
    for kind in ("java", "native"):
        cfg = EvalConfig(protocol="demo", tokenizer=kind)
        t0 = time.perf_counter()
        inputs, _ = build_inputs(gt.annotations, pred.annotations, pred.report.unparseable, cfg)
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
    backend = backends.open_meteor(kind, 2)
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", default=str(ROOT.parent / "shared" / "data" / "demo_release"))
    ap.add_argument("--out", default=str(ROOT / "results" / "native_parity.md"))
    args = ap.parse_args()
    release = Path(args.release)
    load = os.getloadavg()
    out, pairs, groups = release_inputs(release)
    tok_total, tok_equal, t_java, t_native = tokenizer_parity(out)
    from tests.evaluation.ptb_fuzz import fuzz_lines

    cases = (ROOT / "tests/evaluation/data/ptb_cases.txt").read_text().split("\n")
    case_total, case_equal, case_bad = cases_parity(cases)
    fuzz_total, fuzz_equal, fuzz_bad = cases_parity(
        [x for s in (1, 2, 3) for x in fuzz_lines(s, 4000)]
    )
    j = run_backend("java", pairs, groups)
    n = run_backend("native", pairs, groups)
    stats_equal = sum(
        tuple(float(x) for x in a.split()) == b for a, b in zip(j[0], n[0], strict=True)
    )
    score_equal = sum(a == b for a, b in zip(j[1], n[1], strict=True))
    agg_equal = sum(a == b for a, b in zip(j[2], n[2], strict=True))
    score_diff = max(abs(a - b) for a, b in zip(j[1], n[1], strict=True))
    agg_diff = max(abs(a - b) for a, b in zip(j[2], n[2], strict=True))
    lines = [
        "# Native PTB tokenizer and METEOR 1.5 vs pycocoevalcap's jars (DEMO release)",
        "",
        f"Command: `python scripts/native_parity.py` (release: `{release.name}`). Machine: "
        f"{os.cpu_count()} cores, {platform.platform()}; load average before: "
        f"{load[0]:.2f}, after: {os.getloadavg()[0]:.2f} (shared machine: timings are noisy).",
        "",
        "| check | compared | equal | unequal | max abs diff |",
        "|---|---|---|---|---|",
        f"| PTB tokens of every caption occurrence (GT, predictions, garbage words) | {tok_total} "
        f"| {tok_equal} | {tok_total - tok_equal} | - |",
        f"| PTB raw jar output, tests/evaluation/data/ptb_cases.txt lines | {case_total} "
        f"| {case_equal} | {case_total - case_equal} | - |",
        f"| PTB raw jar output, 12,000 adversarial lines (tests/evaluation/ptb_fuzz.py, "
        f"seeds 1-3) | {fuzz_total} | {fuzz_equal} | {fuzz_total - fuzz_equal} | - |",
        f"| METEOR statistics (SCORE) of every distinct pair | {len(pairs)} | {stats_equal} "
        f"| {len(pairs) - stats_equal} | - |",
        f"| METEOR per-pair score (EVAL, as the Python side reads it) | {len(pairs)} "
        f"| {score_equal} | {len(pairs) - score_equal} | {score_diff:.3g} |",
        f"| METEOR aggregate of every ActivityNet group (pair list of a video at a tIoU) "
        f"| {len(groups)} | {agg_equal} | {len(groups) - agg_equal} | {agg_diff:.3g} |",
        "",
        "Equality is `==` on Python floats (the jar's printed value parsed by `float`).",
        "",
        "| step | java (jar) | native |",
        "|---|---|---|",
        f"| tokenize the release's captions (build_inputs), wall s | {t_java:.2f} | {t_native:.2f} |",
        f"| METEOR of all pairs + groups, wall s (incl. start-up) | {j[3]:.2f} | {n[3]:.2f} |",
        f"| METEOR of all pairs + groups, CPU s (all processes) | {j[4]:.2f} | {n[4]:.2f} |",
        "",
    ]
    if case_bad or fuzz_bad:
        bad = case_bad + fuzz_bad
        lines += ["Unequal tokenizer lines:", ""] + [f"- `{x!r}`" for x in bad[:50]] + [""]
    from compmo_gen.core.io import write_atomic

    write_atomic(Path(args.out), "\n".join(lines))
    print("\n".join(lines))
    ok = tok_equal == tok_total and case_equal == case_total and fuzz_equal == fuzz_total
    ok = ok and stats_equal == len(pairs)
    return 0 if ok and score_equal == len(pairs) and agg_equal == len(groups) else 1


if __name__ == "__main__":
    raise SystemExit(main())
