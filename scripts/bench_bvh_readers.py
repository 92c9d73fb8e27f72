"""Compare BVH readers on PyPI on a real CMU walk: read + forward kinematics (all joints, all frames).

    PYTHONPATH=/tmp/bvhio_t:/tmp/bvh_t python -m scripts.bench_bvh_readers [BVH]

(``pip install --target /tmp/bvhio_t bvhio==1.5.4`` and ``--target /tmp/bvh_t bvh==0.3`` keep the
candidates out of the project's environment; a reader that is not importable is listed as such.)
Writes results/bvh_readers.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "tests/compmo_gen/data/bvh/cmu_12_01_walk_30fps.bvh"


def with_pybvh(path: Path) -> np.ndarray:
    import pybvh

    return pybvh.read_bvh_file(path).joint_positions()


def with_bvhio(path: Path) -> np.ndarray:
    import bvhio

    root = bvhio.readAsHierarchy(str(path))
    joints = root.layout()
    out = []
    for f in range(root.getKeyframeRange()[1] + 1):
        root.loadPose(f)
        out.append([tuple(j.PositionWorld) for j, *_ in joints])
    return np.asarray(out)


def with_bvh(path: Path) -> np.ndarray:
    from bvh import Bvh  # parser only: channels and offsets, no forward kinematics

    mocap = Bvh(path.read_text())
    return np.asarray([mocap.frame_joint_channels(f, "Hips", ["Xposition"]) for f in range(mocap.nframes)])  # fmt: skip


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows, arrays = [], {}
    for name, fn, what in (
        ("pybvh 0.9.0", with_pybvh, "read + FK, all joints"),
        ("bvhio 1.5.4", with_bvhio, "read + FK, all joints"),
        ("bvh 0.3", with_bvh, "read + one channel per frame (no FK in the package)"),
    ):
        try:
            t = time.perf_counter()
            arr = fn(path)
            arrays[name.split()[0]] = arr
            rows.append(f"| {name} | {what} | {time.perf_counter() - t:.3f} | {arr.shape} |")
        except ImportError as exc:
            rows.append(f"| {name} | not importable ({exc.name}) | - | - |")
    agreement = ""
    if "pybvh" in arrays and "bvhio" in arrays:
        diff = float(np.abs(arrays["pybvh"] - arrays["bvhio"]).max())
        agreement = f"pybvh and bvhio joint positions agree to {diff:.2e} (file units) at every joint and frame."  # fmt: skip
    text = "\n".join(
        [
            "# BVH readers on PyPI",
            "",
            f"`python -m scripts.bench_bvh_readers {path.relative_to(REPO) if path.is_relative_to(REPO) else path}` (one run, 2 shared cores).",  # fmt: skip
            "",
            "| package | what was timed | seconds | output shape |",
            "|---|---|---|---|",
            *rows,
            "",
            agreement,
            "",
        ]
    )
    (REPO / "results/bvh_readers.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
