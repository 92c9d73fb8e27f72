"""Where compmo-eval's CPU time goes, stage by stage, on one dataset (single process).

python -m scripts.eval_breakdown --pred PRED --gt GT [--durations D] [--out results/eval_breakdown.md]

Runs ``compmo-eval score --protocol demo``'s steps in this process with ``--jobs 1`` (every stage's
CPU seconds counted once, in the thread that does it: no worker processes) and prints a table:
reading, tokenising, planning (tIoU, localisation, pair lists), BLEU/ROUGE-L/CIDEr-D, METEOR
(loading the paraphrase entries, aligning the distinct pairs, scoring statistics) and the SODA DP.
Appends to ``--out`` (a section per dataset).
"""

from __future__ import annotations

import argparse
import collections
import functools
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPENT: collections.Counter = collections.Counter()


def timed(owner, name: str, label: str) -> None:
    """Count the thread CPU time of ``owner.name`` calls under ``label``."""
    f = getattr(owner, name)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        t0 = time.thread_time()
        try:
            return f(*args, **kwargs)
        finally:
            SPENT[label] += time.thread_time() - t0

    setattr(owner, name, wrapper)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pred", required=True)
    ap.add_argument("--gt", required=True)
    ap.add_argument("--durations")
    ap.add_argument("--name", default=None, help="section title (default: the predictions file)")
    ap.add_argument("--out", default=str(ROOT / "results" / "eval_breakdown.md"))
    args = ap.parse_args()
    import evaluation.scorer as sc
    from compmo_gen.core.formats import load_annotations, read_durations
    from evaluation.captions import CaptionScorer
    from evaluation.meteor_native import NativeMeteor
    from evaluation.report import summarize

    timed(sc, "plan_video", "plan: tIoU, localisation metrics, pair lists")
    timed(sc, "soda_bounded", "SODA_c: bounded DP rounds")
    timed(CaptionScorer, "score", "BLEU@1-4, ROUGE-L, CIDEr-D")
    timed(NativeMeteor, "use_vocabulary", "METEOR: paraphrase entries of the vocabulary")
    timed(NativeMeteor, "stats", "METEOR: align the distinct pairs")
    timed(NativeMeteor, "evaluate", "METEOR: scores and aggregates from statistics")
    c0 = time.process_time()
    durations = read_durations(args.durations, fps=20.0) if args.durations else None
    kw = dict(durations=durations, motion_root=None, fps=20.0, dialect="demo", lenient=False)
    gt = load_annotations(args.gt, role="gt", fmt="auto", past_duration="keep", **kw)
    pred = load_annotations(args.pred, role="pred", fmt="auto", past_duration="keep", **kw)
    c1 = time.process_time()
    cfg = sc.EvalConfig(protocol="demo", jobs=1, progress=False)
    inputs, _ = sc.build_inputs(gt.annotations, pred.annotations, pred.report.unparseable, cfg)
    c2 = time.process_time()
    summarize(sc.score_videos(inputs, cfg), cfg)
    c3 = time.process_time()
    rows = [("read the files", c1 - c0), ("PTB-tokenise the distinct captions", c2 - c1)]
    rows += sorted(SPENT.items(), key=lambda kv: -kv[1])
    rows.append(
        ("everything else in scoring (orchestration, report)", c3 - c2 - sum(SPENT.values()))
    )
    total = c3 - c0
    name = args.name or Path(args.pred).name
    lines = [f"## {name}", "", f"`python -m scripts.eval_breakdown --pred {Path(args.pred).name} "
             f"--gt {Path(args.gt).name}{' --durations ...' if args.durations else ''}` "
             f"(native backends, one process, {len(inputs)} videos)", "",
             "| stage | CPU s | share |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {k} | {v:.2f} | {100 * v / total:.0f} % |" for k, v in rows]
    lines += [f"| total | {total:.2f} | |", ""]
    print("\n".join(lines))
    out = Path(args.out)
    head = "# compmo-eval: CPU time by stage\n\n" if not out.is_file() else out.read_text()
    from compmo_gen.core.io import write_atomic

    write_atomic(out, head + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
