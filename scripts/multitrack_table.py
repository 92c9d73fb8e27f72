"""Markdown table of scripts/gpu_multitrack_run.sh's result files (both builds, both scorers).

python -m scripts.multitrack_table OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SEQ = ("SODA_c", "CIDEr", "METEOR", "tIoU", "F1")
#: Result files of one build (``<mode>.<tag>.json``) and their row names.
TAGS = {
    "results": "model",
    "part_aware.results": "model, part-aware",
    "uniform.results": "uniform baseline",
    "nn-oracle.results": "nn-oracle (GT boundaries)",
    "gt_as_pred.results": "GT as prediction",
}
MT = ("F1", "Precision", "Recall", "tIoU", "SODA_c", "SODA_c_track_mean", "concurrency_recall")


def _fmt(x: object) -> str:
    return "n/a" if x is None else f"{x:.2f}" if isinstance(x, (int, float)) else str(x)


def main(out: Path) -> str:
    lines = [
        "| build | scored | " + " | ".join(SEQ) + " | MT " + " | MT ".join(MT) + " |",
        "|---|---|" + "---|" * (len(SEQ) + len(MT)),
    ]
    for mode in ("multitrack", "sequential"):
        for tag in TAGS:
            path = out / f"{mode}.{tag}.json"
            if not path.is_file():
                continue
            r = json.loads(path.read_text())
            m, mt = r.get("metrics", {}), r.get("multitrack", {})
            name = TAGS[tag]
            lines.append(
                f"| {mode} | {name} | "
                + " | ".join(_fmt(m.get(k)) for k in SEQ)
                + " | "
                + " | ".join(_fmt(mt.get(k)) for k in MT)
                + " |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main(Path(sys.argv[1])), end="")
