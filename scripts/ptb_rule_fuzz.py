"""Differential fuzz of the native PTB tokenizer against the jar over every lexer rule.

python -m scripts.ptb_rule_fuzz [--seeds 0 1 2 3] [--per-rule 2000] [--out results/ptb_rule_fuzz.md]

For each seed, :func:`evaluation.ptb_fuzz.fuzz_document` generates ``--per-rule`` lines from each
rule of :data:`evaluation.ptb_rules.RULES` (strings sampled from its token pattern and trailing
context, among neighbours and other rules' samples, some followed by a next line that opens a
sentence); the document goes through the jar (``PTBTokenizer -preserveLines -lowerCase``, one JVM)
and the native tokenizer, and every line is compared. Exit status 1 if any line differs; the
differences are listed in the report (and belong in tests/evaluation/data/ptb_rule_regressions.txt
once fixed).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from evaluation.ptb_fuzz import fuzz_document, jar_lines, native_lines, sample
    from evaluation.ptb_rules import RULES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--per-rule", type=int, default=2000)
    ap.add_argument("--out", default=str(ROOT / "results" / "ptb_rule_fuzz.md"))
    args = ap.parse_args(argv)

    import random

    unsampled = [k for k, (tok, _, _) in enumerate(RULES) if sample(tok, random.Random(k)) is None]
    rows, diffs, total = [], [], 0
    for seed in args.seeds:
        doc = fuzz_document(seed, args.per_rule)
        t0 = time.perf_counter()
        jar = jar_lines(doc)
        t1 = time.perf_counter()
        native = native_lines(doc)
        t2 = time.perf_counter()
        bad = [(doc[k], jar[k], native[k]) for k in range(len(doc)) if jar[k] != native[k]]
        diffs += bad
        total += len(doc)
        rows.append((seed, len(doc), len(bad), t1 - t0, t2 - t1))
        print(f"seed {seed}: {len(doc)} lines, {len(bad)} unequal "
              f"(jar {t1 - t0:.1f} s, native {t2 - t1:.1f} s)")  # fmt: skip
    lines = [
        "# PTB tokenizer: differential fuzz of every lexer rule (native vs the jar)",
        "",
        f"Command: `python -m scripts.ptb_rule_fuzz --seeds {' '.join(map(str, args.seeds))} "
        f"--per-rule {args.per_rule}` ({platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}).",
        "",
        f"Lines are generated from each of the {len(RULES)} rules of `evaluation/ptb_rules.py` "
        "(`evaluation/ptb_fuzz.py`: strings sampled from the rule's token pattern and trailing "
        "context, alone, between neighbour characters, chained with other rules' samples, some "
        "followed by a line that opens a sentence); each document is tokenized by "
        "stanford-corenlp-3.4.1.jar (`PTBTokenizer -preserveLines -lowerCase`) and natively.",
        f"Rules that could not be sampled: {unsampled or 'none'}.",
        "",
        "| seed | lines | unequal | jar s | native s |",
        "|---:|---:|---:|---:|---:|",
        *(f"| {s} | {n:,} | {b} | {tj:.1f} | {tn:.1f} |" for s, n, b, tj, tn in rows),
        f"| all | {total:,} | {len(diffs)} | | |",
        "",
    ]
    if diffs:
        lines += ["## Unequal lines (first 50)", "", "| line | jar | native |", "|---|---|---|"]
        lines += [f"| `{d!r}` | `{j}` | `{n}` |" for d, j, n in diffs[:50]]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{total} lines, {len(diffs)} unequal -> {args.out}")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
