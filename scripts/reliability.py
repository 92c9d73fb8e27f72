"""Run compmo's hostile-input case families and write ``results/reliability.md``.

Each case (``tests/hostile.py``) runs a ``compmo-gen``/``compmo-eval`` command in a forked child
with a timeout; it *holds* when it ends with exit 2 and one error line (no traceback), or with
exit 0 and its output checked (every GT video accounted for, hostile clips skipped and counted).

    python -m scripts.reliability --label after                              # this checkout
    PYTHONPATH=/tmp/compmo-main:. python -P -m scripts.reliability --label before   # another checkout

The code under test is whatever ``compmo_gen``/``evaluation`` import resolves to (``-P`` keeps the
current folder off the front of the path, so PYTHONPATH's order decides);
each label's outcomes go to ``results/reliability_<label>.json``; the table shows every label
found there. ``--no-java`` skips the family that starts JVMs (slow), ``--no-slow`` the cases that
import torch (``compmo-train``/``compmo-infer`` in the ``pathkinds`` family). The general
families (``numbers``, ``nesting``, ``pathkinds``: ``tests/hostile_generic.py``) are described
in ``docs/reliability.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from tests.hostile import families, run_case

REPO = Path(__file__).resolve().parents[1]

FAMILIES = families()


def run(families: list[str], java: bool, slow: bool = True, cap: float | None = None) -> dict:
    out: dict = {}
    root = Path(tempfile.mkdtemp(prefix="compmo-reliability-"))
    try:
        for fam in families:
            rows = []
            for case in FAMILIES[fam]():
                if (case.java and not java) or (case.slow and not slow):
                    continue
                if cap is not None:
                    case.timeout = min(case.timeout, cap)
                res = run_case(case, root)
                rows.append({"case": case.name, "held": res.held, "why": res.why,
                             "rc": res.rc, "seconds": round(res.seconds, 2)})  # fmt: skip
                mark = "held" if res.held else "FAILED"
                print(f"{fam:10s} {case.name:40s} {mark:6s} {res.why[:90]}", flush=True)
            out[fam] = rows
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


def table(results: dict[str, dict]) -> str:
    labels = sorted(results, key=lambda x: (x != "before", x))
    fams = list(dict.fromkeys(f for r in results.values() for f in r))
    head = "| family | cases | " + " | ".join(f"{lab}: held | {lab}: failed" for lab in labels)
    lines = [head + " |", "|" + "---|" * (2 + 2 * len(labels))]
    tot = {lab: [0, 0] for lab in labels}
    for fam in fams:
        n = max(len(results[lab].get(fam, [])) for lab in labels)
        cells = []
        for lab in labels:
            rows = results[lab].get(fam, [])
            held = sum(r["held"] for r in rows)
            tot[lab][0] += held
            tot[lab][1] += len(rows) - held
            cells.append(f"{held} | {len(rows) - held}" if rows else "- | -")
        lines.append(f"| {fam} | {n} | " + " | ".join(cells) + " |")
    lines.append(
        f"| **all** | {max(sum(len(v) for v in r.values()) for r in results.values())} | "
        + " | ".join(f"**{tot[lab][0]}** | **{tot[lab][1]}**" for lab in labels)
        + " |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="name of this run in the table")
    parser.add_argument("--families", nargs="*", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--no-java", action="store_true", help="skip cases that start a JVM")
    parser.add_argument("--no-slow", action="store_true", help="skip cases that import torch")
    parser.add_argument(
        "--timeout", type=float, help="cap every case's timeout (s): for old code that hangs"
    )
    args = parser.parse_args()
    t0 = time.monotonic()
    res = run(args.families, java=not args.no_java, slow=not args.no_slow, cap=args.timeout)
    results_dir = REPO / "results"
    path = results_dir / f"reliability_{args.label}.json"
    if path.exists() and set(args.families) != set(FAMILIES):  # a partial rerun: merge
        res = {**json.loads(path.read_text())["families"], **res}
    path.write_text(
        json.dumps({"seconds": round(time.monotonic() - t0, 1), "families": res}, indent=1) + "\n"
    )
    allres = {
        p.stem.removeprefix("reliability_"): json.loads(p.read_text())["families"]
        for p in sorted(results_dir.glob("reliability_*.json"))
    }
    failed = {
        lab: [f"{fam}/{r['case']}: {r['why']}" for fam, rows in fams.items() for r in rows
              if not r["held"]]
        for lab, fams in allres.items()
    }  # fmt: skip
    md = [
        "# Reliability: hostile inputs, one-line errors, no hangs",
        "",
        "Written by `python -m scripts.reliability --label LABEL` (cases in `tests/hostile.py`; each",
        "runs in a forked child with a timeout). A case *holds* when it exits 2 with exactly one",
        "error line and no traceback, or exits 0 with its output checked (every GT video accounted",
        "for; a hostile HumanML3D clip skipped and counted), or (doctor, validate) exits 2 with a",
        "report on stdout. `before` = the code of 2026-11-24, before the first hardening; `before_hardening` =",
        "the code of 2026-12-03 (b533310), before the reading layer (each run with PYTHONPATH pointing at that checkout and this checkout's",
        "cases), `before_overwrite` = the code of 2026-12-07 (7dab1cd), before outputs were kept off",
        "inputs, FIFOs and sockets (the `overwrite` and `pathkinds` families only, `--no-java --timeout",
        "20`, the same way), `after` = the current code. Families: docs/reliability.md.",
        "",
        table(allres),
        "",
    ]
    for lab, items in failed.items():
        md += [f"## Cases that failed ({lab})", ""]
        md += [f"- {x}" for x in items] or ["- none"]
        md.append("")
    (results_dir / "reliability.md").write_text("\n".join(md))
    print(table(allres))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
