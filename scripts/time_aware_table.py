"""results/model_time_aware.md from what scripts/gpu_time_aware_run.sh brought back.

    python -m scripts.time_aware_table DIR [--out results/model_time_aware.md] [--images results/time_aware]

DIR holds ``<recipe>.tar.gz`` (demo, index, seconds). Per recipe this unpacks the archive into
DIR/<recipe>/, scores ``predictions.json`` against ``gt_test.json`` with ``compmo-eval score``
(strict protocol), scores the same predictions snapped to the 0.4 s window grid (the snapping
ablation), runs the error analysis (evaluation/boundaries.py) on both, draws the training loss
curves (from ``s1_log_history.json`` / ``s2_log_history.json``, the same scalars as the TensorBoard
events) and the first-boundary histograms, and writes one markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from compmo_gen.core.formats import dump_annotations, load_annotations  # noqa: E402
from compmo_gen.core.segments import DenseAnnotation  # noqa: E402
from evaluation.boundaries import analyse, plot  # noqa: E402
from modeling.timeaware import snap_segments  # noqa: E402

NAMES = {
    "demo": "today's DEMO recipe (mm:ss:ms answers)",
    "index": "time-aware: index stamps before each motion token",
    "seconds": "time-aware: seconds stamps before each motion token",
    "demo_eq": "control: today's recipe at the index recipe's optimizer steps (564 / 972)",
    "index_eq": "control: index stamps at today's optimizer steps (502 / 740)",
}
GRID = 0.4
METRICS = ["SODA_c", "CIDEr", "METEOR", "tIoU", "F1"]


def _score(pred: Path, gt: Path, out: Path) -> dict:
    if not out.is_file():
        cmd = ["compmo-eval", "score", str(pred), "--gt", str(gt), "--out", str(out), "-q"]
        subprocess.run(cmd, check=True)
    return json.loads(out.read_text())["metrics"]


def _snapped(pred: Path, gt: Path, out: Path) -> None:
    g = load_annotations(gt, role="gt")
    durations = {k: a.duration for k, a in g.annotations.items()}
    p = load_annotations(pred, role="pred", durations=durations)
    anns = [
        DenseAnnotation(k, a.duration, snap_segments(a.segments, a.duration, GRID)[0])
        for k, a in p.annotations.items()
    ]
    dump_annotations(anns, out, fmt="anet-pred", role="pred")


def _curves(d: Path, name: str, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, stage in zip(axes, ("s1", "s2")):
        path = d / f"{stage}_log_history.json"
        if not path.is_file():
            continue
        hist = [h for h in json.loads(path.read_text()) if "loss" in h]
        ax.plot([h["step"] for h in hist], [h["loss"] for h in hist])
        ax.set_title(f"{name}: stage {stage[1]} loss")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("training loss")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def recipe_rows(d: Path, name: str, images: Path) -> list[dict]:
    gt, pred = d / "gt_test.json", d / "predictions.json"
    snap = d / "predictions_snapped.json"
    if not snap.is_file():
        _snapped(pred, gt, snap)
    rows = []
    for label, p in (("", pred), (f" + snapped to {GRID} s", snap)):
        m = _score(p, gt, d / (p.stem + ".results.json"))
        g = load_annotations(gt, role="gt")
        a = analyse(
            load_annotations(
                p, role="pred", durations={k: x.duration for k, x in g.annotations.items()}
            ).annotations,
            g.annotations,
            grid=GRID,
        )
        (d / (p.stem + ".analysis.json")).write_text(json.dumps(a, indent=1) + "\n")
        rows.append({"name": NAMES.get(name, name) + label, "metrics": m, "analysis": a, "pred": p})
    images.mkdir(parents=True, exist_ok=True)
    _curves(d, name, images / f"loss_{name}.png")
    plot(rows[0]["analysis"], str(images / f"first_boundary_{name}.png"), NAMES.get(name, name))
    return rows


def _line(r: dict) -> str:
    m, a = r["metrics"], r["analysis"]
    b = a["boundary_error_s"]
    cells = [f"{m[k]:.2f}" for k in METRICS]
    med = "-" if b["median"] is None else f"{b['median']:.2f}"
    cells += [
        med,
        f"{100 * a['count_accuracy']:.1f}",
        f"{100 * a['top_first_share']:.1f} ({100 * a['gt_top_first_share_grid']:.1f})",
    ]
    return f"| {r['name']} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "model_time_aware_table.md")
    ap.add_argument("--images", type=Path, default=ROOT / "results" / "time_aware")
    args = ap.parse_args(argv)
    rows = []
    for name in NAMES:
        tgz = args.dir / f"{name}.tar.gz"
        if not tgz.is_file():
            continue
        d = args.dir / name
        if not (d / "predictions.json").is_file():
            d.mkdir(parents=True, exist_ok=True)
            with tarfile.open(tgz) as tf:
                tf.extractall(d, filter="data")
        rows += recipe_rows(d, name, args.images)
    head = METRICS + [
        "median boundary error s",
        "count right %",
        f"top first boundary % (GT on the {GRID} s grid)",
    ]
    lines = ["| recipe (by-atomic, 400 test sequences) | " + " | ".join(head) + " |"]
    lines.append("|---" * (len(head) + 1) + "|")
    lines += [_line(r) for r in rows]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
