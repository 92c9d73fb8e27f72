"""Real-data parity and the facts the README quotes about the released files.

    python -m scripts.real_data_report [--data DIR] [--pairs-videos 1500]

1. compmo-eval on the committed excerpts (tests/evaluation/fixtures/) against the goldens the
   reference evaluators produced there (densevid_eval, fujiso/SODA, PDVC), every metric;
2. with ``--data`` (the released files: val_1.json, val_2.json, yc2_val.json): segments ending after
   the duration, captions whose PTB tokens depend on the next line, and (``--pairs-videos N``) the
   METEOR statistics of every caption pair of the first N ActivityNet videos with the paraphrase
   table filtered to their words and whole.
Writes ``results/real_data.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIX = REPO / "tests" / "evaluation" / "fixtures"
CAPTION = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")


def _score(argv: list[str], out: Path) -> dict:
    cmd = [sys.executable, "-m", "evaluation.cli", *argv, "--out", str(out), "-q"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return json.loads(out.read_text())


def parity(tmp: Path) -> list[tuple[str, str, float, float]]:
    """(case, metric, reference, compmo) for every compared number (x100)."""
    a, y = FIX / "anet_val", FIX / "yc2_timechat"
    ga, gy = (json.loads((f / "goldens.json").read_text()) for f in (a, y))
    pred, v1, v2 = map(str, (a / "predictions.json", a / "val_1.json", a / "val_2.json"))
    demo = ["--protocol", "demo"]
    rows = []

    def densevid(case: str, gold: dict, mine: dict) -> None:
        for k in (*CAPTION, "Precision", "Recall"):
            rows.append((case, k, gold["densevid"][k], mine[k]))
        rows.append((case, "SODA_c (soda.py)", gold["soda"]["f1_score"], mine["SODA_c"]))

    m = _score(["score", pred, "--gt", v1, *demo], tmp / "1.json")["metrics"]
    densevid("ActivityNet excerpt, val_1", ga["single_val_1"], m)
    m = _score(["score", pred, "--gt", v1, v2, *demo], tmp / "2.json")["metrics"]
    densevid("val_1 + val_2, --multi-ref densevid", ga["val_1+val_2"], m)
    m = _score(["score", pred, "--gt", v1, v2, "--multi-ref", "soda-mr", *demo], tmp / "3.json")
    g = ga["val_1+val_2"]["soda_multi_reference"]
    rows.append(
        ("val_1 + val_2, --multi-ref soda-mr", "SODA_c", g["f1_score"], m["metrics"]["SODA_c"])
    )
    argv = ["score", pred, "--gt", v1, v2, "--multi-ref", "pdvc", "--garbage", "2018", *demo]
    m = _score(argv, tmp / "4.json")["metrics"]
    g = ga["val_1+val_2"]["pdvc"]
    rows.append(("val_1 + val_2, --multi-ref pdvc", "SODA_c", 100 * g["soda_c"], m["SODA_c"]))
    for k in ("METEOR", "Precision", "Recall"):
        rows.append(("val_1 + val_2, --multi-ref pdvc", k, 100 * g[f"dvc_{k}"], m[k]))
    argv = ["paragraph", pred, "--gt", str(a / "para_val_1.json"), str(a / "para_val_2.json")]
    m = _score(argv, tmp / "5.json")["metrics"]
    for k in CAPTION:
        rows.append(("PDVC paragraph metrics", k, 100 * g[f"para_{k}"], m[k]))
    argv = ["score", str(y / "timechat_pred.json"), "--gt", str(y / "yc2_val.json"), *demo]
    m = _score(argv, tmp / "6.json")["metrics"]
    densevid("TimeChat predictions on YouCook2 (as released)", gy["yc2_val"], m)
    return rows


def data_facts(data: Path, pairs_videos: int) -> dict:
    from compmo_gen.core.formats.extra import load_any
    from evaluation.text import ptb_tokenize_in_context, remove_nonascii

    facts: dict = {}
    caps = {}
    for name in ("val_1.json", "val_2.json", "yc2_val.json"):
        if not (data / name).is_file():
            continue
        (aset,) = load_any(data / name, role="gt", past_duration="keep")
        facts[f"{name}: GT segments ending > TIME_TOL after the duration"] = aset.report.counts[
            "gt_end_past_duration"
        ]
        facts[f"{name}: largest overrun (s)"] = round(aset.report.max_past_duration, 6)
        caps[name] = {
            remove_nonascii(s.caption) for a in aset.annotations.values() for s in a.segments
        }
    for label, names in (("ActivityNet val_1 + val_2", ("val_1.json", "val_2.json")),
                         ("YouCook2 val", ("yc2_val.json",))):  # fmt: skip
        distinct = set().union(*(caps.get(n, set()) for n in names))
        if distinct:
            _, variants = ptb_tokenize_in_context(sorted(distinct))
            facts[f"{label}: distinct captions"] = len(distinct)
            facts[f"{label}: captions whose PTB tokens depend on the next line"] = len(variants)
    if pairs_videos and (data / "val_1.json").is_file():
        facts.update(filtered_table(data, pairs_videos))
    return facts


def filtered_table(data: Path, n: int) -> dict:
    from compmo_gen.core.formats.extra import load_any
    from evaluation.meteor_driver import MeteorServer, driver_classes
    from evaluation.plan import plan_video
    from evaluation.scorer import EvalConfig, build_inputs

    (gt,) = load_any(data / "val_1.json", role="gt", past_duration="keep")
    v2 = json.loads((data / "val_2.json").read_text())
    sub = {"results": {k: [{"sentence": s, "timestamp": t} for t, s in
                           zip(v["timestamps"], v["sentences"])] for k, v in v2.items()}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "pred.json"
        p.write_text(json.dumps(sub))
        (pred,) = load_any(p, role="pred")
    cfg = EvalConfig()
    keep = dict(list(gt.annotations.items())[:n])
    inputs, _ = build_inputs(keep, pred.annotations, [], cfg)
    pairs: dict = {}
    for v in inputs:
        plan = plan_video(v, cfg.tious, cfg.overlap_thresholds, cfg.max_proposals)
        pairs.update((x, None) for g in plan.anet_groups for x in g)
        pairs.update((x, None) for x in plan.soda_pairs.values())
    words = {t for x in pairs for t in x}
    stats = []
    for full in (False, True):
        os.environ.pop("COMPMO_METEOR_FULL_TABLE", None)
        if full:
            os.environ["COMPMO_METEOR_FULL_TABLE"] = "1"
        with MeteorServer(driver_classes(), 2) as m:
            if not full:
                m.use_vocabulary(words)
            stats.append(m.stats(list(pairs)))
    os.environ.pop("COMPMO_METEOR_FULL_TABLE", None)
    differ = sum(a != b for a, b in zip(*stats, strict=True))
    return {f"METEOR pairs of the first {n} ActivityNet videos, filtered vs whole paraphrase table":
            f"{len(pairs)} pairs, {differ} differ"}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="folder of the released files")
    ap.add_argument("--pairs-videos", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "results" / "real_data")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="compmo-real-") as tmp:
        rows = parity(Path(tmp))
    worst = max(abs(r - m) for _, _, r, m in rows)
    lines = ["# compmo-eval on real dense-captioning data", "",
             "Parity on the committed excerpts (tests/evaluation/fixtures/, goldens from the "
             "reference code itself: scripts/reference_eval/real_goldens.py). x100.", "",
             "| case | metric | reference | compmo-eval | abs diff |", "|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {c} | {k} | {r!r} | {m!r} | {abs(r - m):.1e} |" for c, k, r, m in rows]
    lines += ["", f"Largest difference: {worst:.1e} ({len(rows)} numbers).", ""]
    facts = data_facts(args.data, args.pairs_videos) if args.data else {}
    if facts:
        lines += ["## The released files", "", "| fact | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in facts.items()]
    md = "\n".join(lines) + "\n"
    print(md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(md)
    doc = {"parity": rows, "largest_difference": worst, "facts": facts}
    args.out.with_suffix(".json").write_text(json.dumps(doc, indent=2) + "\n")
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
