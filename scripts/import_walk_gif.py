"""Render the README's "imported walk" GIF: a real CMU BVH walk (test fixture) imported with
`compmo-gen import-motion`, drawn with `compmo-gen render`, and its walk statistics.

    python -m scripts.import_walk_gif    # -> docs/import_walk.gif, results/import_walk.md
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BVH = REPO / "tests/compmo_gen/data/bvh/cmu_12_01_walk_30fps.bvh"


def fixed_point_lines() -> list[str]:
    """Real HumanML3D clips (the shared sample, when present) re-imported: how far they move."""
    from compmo_gen.motion_import import ImportOptions, import_motion

    sample = REPO.parent.parent / "shared/data/humanml3d_sample/new_joints"
    if not sample.is_dir():
        sample = REPO.parent / "shared/data/humanml3d_sample/new_joints"
    rows = []
    for f in sorted(sample.glob("*.npy")) if sample.is_dir() else []:
        j, _ = import_motion(f, ImportOptions(fps=20.0))
        rows.append(f"| {f.name} | {len(j)} | {np.abs(j - np.load(f)).max():.1e} |")
    if not rows:
        return []
    return [
        "Real HumanML3D clips (`new_joints`, shared sample) imported as 20-fps joint arrays are a",
        "fixed point of the import:",
        "",
        "| clip | frames | max joint change (m) |",
        "|---|---|---|",
        *rows,
        "",
    ]


def main() -> None:
    import os

    from compmo_gen.cli import main as gen

    os.chdir(REPO)  # relative source paths in the report
    out_gif = REPO / "docs/import_walk.gif"
    with tempfile.TemporaryDirectory() as tmp:
        assert gen(["import-motion", str(BVH.relative_to(REPO)), "--out", tmp, "-q"]) == 0
        npy = Path(tmp) / "new_joints" / f"{BVH.stem}.npy"
        joints = np.load(npy)
        report = (Path(tmp) / "import_report.json").read_text()
        assert gen(["render", str(npy), "--out", str(out_gif), "--width", "360", "-q"]) == 0
    t = len(joints) / 20
    travel = joints[-1, 0] - joints[0, 0]
    ahead = np.sign(joints[:, 7, 2] - joints[:, 8, 2])
    steps = int(np.count_nonzero(np.diff(ahead[ahead != 0])))
    lines = [
        "# Imported walk (CMU 12_01, BVH)",
        "",
        f"`python -m scripts.import_walk_gif` imports `{BVH.relative_to(REPO)}` and renders "
        f"`docs/import_walk.gif` ({out_gif.stat().st_size / 1024:.0f} KiB).",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| frames at 20 fps | {len(joints)} ({t:.2f} s) |",
        f"| root travel (x, z) m | {travel[0]:.2f}, {travel[2]:.2f} |",
        f"| walking speed m/s | {np.hypot(travel[0], travel[2]) / t:.2f} |",
        f"| steps (left/right ankle order changes) | {steps} |",
        f"| mean pelvis height m | {joints[:, 0, 1].mean():.3f} |",
        f"| lowest joint m (floor) | {joints[..., 1].min():.4f} |",
        "",
        *fixed_point_lines(),
        "Import report:",
        "",
        "```json",
        report.strip(),
        "```",
        "",
    ]
    (REPO / "results/import_walk.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
