"""Benchmark `compmo-gen render`: a 10 s (200-frame) sequence to GIF, MP4 and a PNG sheet.

Usage: python -m scripts.bench_render [--repeats 3] [--out results/render_benchmark.md]

The motion is a real HumanML3D clip (``--sample``; default: ``$COMPMO_HUMANML3D_SAMPLE`` or the shared
sample ``../shared/data/humanml3d_sample`` beside the repository) played
forward then backward up to 200 frames, or, when that folder is absent, the rest pose swaying. It
carries 4 ground-truth segments and 3 predicted ones (two timelines, the heaviest layout).
Wall-clock times are medians over ``--repeats`` runs, in one process, after one warm-up render.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from compmo_gen.core.formats import dump_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.render.frames import FrameRenderer, RenderStyle
from compmo_gen.render.output import render_motion

SAMPLE = (
    Path(
        os.environ.get("COMPMO_HUMANML3D_SAMPLE")
        or Path(__file__).resolve().parents[2] / "shared" / "data" / "humanml3d_sample"
    )
    / "new_joints"
    / "012314.npy"
)
N_FRAMES = 200


def motion(sample: Path) -> tuple[np.ndarray, str]:
    if sample.is_file():
        clip = np.load(sample, allow_pickle=False)
        loop = np.concatenate([clip, clip[::-1]] * (N_FRAMES // (2 * len(clip)) + 1))
        return loop[:N_FRAMES], f"real HumanML3D clip {sample.name} ({len(clip)} frames), ping-pong"
    from compmo_gen.composition.skeleton import REST_POSE

    t = np.arange(N_FRAMES)[:, None] / 20.0
    p = np.repeat(REST_POSE[None], N_FRAMES, 0)
    p[..., 0] += 0.2 * np.sin(t)
    p[..., 2] += 0.5 * t
    return p.astype(np.float32), "procedural rest pose swaying (sample folder absent)"


def timed(fn, repeats: int) -> tuple[float, float]:  # noqa: ANN001
    """Median wall-clock and CPU seconds (the CPU figure is robust to a busy shared machine)."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def cli_run(
    tmp: Path, joints: np.ndarray, gt: DenseAnnotation, pred: DenseAnnotation, repeats: int
) -> tuple[float, float]:
    """Wall and child CPU seconds of the whole command (interpreter start, imports, I/O)."""
    ds = tmp / "ds"
    (ds / "motions").mkdir(parents=True, exist_ok=True)
    np.save(ds / "motions" / "bench.npy", joints)
    dump_annotations([gt], ds / "annotations" / "test.json", fmt="anet-gt")
    dump_annotations([pred], tmp / "pred.json", fmt="anet-pred", role="pred")
    cmd = [sys.executable, "-m", "compmo_gen.cli", "render", str(ds), "--id", "bench", "--pred", str(tmp / "pred.json"), "--out", str(tmp / "cli.gif"), "-q"]  # fmt: skip
    wall, cpu = [], []
    for _ in range(repeats):
        before, w = os.times(), time.perf_counter()
        subprocess.run(cmd, check=True)
        after = os.times()
        wall.append(time.perf_counter() - w)
        cpu.append(
            after.children_user
            + after.children_system
            - before.children_user
            - before.children_system
        )
    return statistics.median(wall), statistics.median(cpu)


def dataset_note(path: Path) -> str:
    """How the gallery dataset was built (from its manifest, when it has one)."""
    try:
        cfg = json.loads((path / "manifest.json").read_text(encoding="utf-8"))["config"]
        return f"{path} (compmo-gen build, source {cfg.get('source')}, num {cfg.get('num')}, seed {cfg.get('seed')})"
    except (OSError, ValueError, KeyError, TypeError):
        return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    ap.add_argument("--out", type=Path, default=Path("results/render_benchmark.md"))
    ap.add_argument(
        "--dataset",
        type=Path,
        help="also time `compmo-gen gallery DATASET --n 24` on a built dataset",
    )
    args = ap.parse_args()

    load = os.getloadavg()[0]
    joints, source = motion(args.sample)
    d = N_FRAMES / 20.0
    gt = DenseAnnotation("bench", d, tuple(Segment(k * 2.5, (k + 1) * 2.5, f"action number {k} of a long sequence with a caption that needs wrapping") for k in range(4)))  # fmt: skip
    pred = DenseAnnotation(
        "bench", d, (Segment(0, 3, "a"), Segment(3, 7.5, "b"), Segment(6, 10, "c"))
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        render_motion(joints, Path(tmp) / "warm.gif", gt, pred)
        for width in (480, 360):
            style = RenderStyle(width=width, view_height=round(width * 0.625))

            def draw_only(style: RenderStyle = style) -> None:
                for _ in FrameRenderer(joints, gt, pred, style).frames():
                    pass

            rows.append(
                (
                    f"frames only (draw, no encoding), width {width}",
                    *timed(draw_only, args.repeats),
                    None,
                )
            )
            for ext in ("gif", "mp4", "png"):
                out = Path(tmp) / f"bench_{width}.{ext}"

                def render(out: Path = out, style: RenderStyle = style) -> None:
                    render_motion(joints, out, gt, pred, style)

                rows.append(
                    (
                        f"{ext.upper()} width {width}",
                        *timed(render, args.repeats),
                        out.stat().st_size,
                    )
                )
        size = FrameRenderer(joints, gt, pred).height
        rows.append(
            (
                "CLI end to end (`compmo-gen render ... --out x.gif`, new process)",
                *cli_run(Path(tmp), joints, gt, pred, args.repeats),
                None,
            )
        )
        if args.dataset is not None:
            out = Path(tmp) / "gallery"
            cmd = [sys.executable, "-m", "compmo_gen.cli", "gallery", str(args.dataset), "--n", "24", "--out", str(out), "-q"]  # fmt: skip
            w = time.perf_counter()
            subprocess.run(cmd, check=True)
            gifs = sorted((out / "gifs").glob("*.gif"))
            frames = sum(Image.open(g).n_frames for g in gifs)
            mb = sum(g.stat().st_size for g in gifs)
            name = f"gallery of {len(gifs)} ({args.dataset.name}, {frames} GIF frames at 10 fps, width 360)"
            rows.append((name, time.perf_counter() - w, float("nan"), mb))

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), platform.processor())  # fmt: skip
    dataset_arg = f" --dataset {args.dataset}" if args.dataset else ""
    lines = [
        "# Render benchmark",
        "",
        f"`python -m scripts.bench_render --repeats {args.repeats}{dataset_arg}`: {N_FRAMES} frames (10 s at 20 fps), "
        f"GT + prediction timelines, median of {args.repeats} runs after a warm-up.",
        "",
        f"- motion: {source}",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"Pillow {__import__('PIL').__version__}, numpy {np.__version__}",
        f"- frame size at width 480: 480 x {size}",
        *([f"- gallery dataset: {dataset_note(args.dataset)}"] if args.dataset else []),
        f"- load average before the run: {load:.1f} on {os.cpu_count()} CPUs (shared machine: CPU "
        "seconds are the steadier figure; wall seconds include waiting for a core; MP4 CPU seconds "
        "exclude the ffmpeg child process)",
        "",
        "| output | wall s | CPU s | frames/s (wall) | file size |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, wall, cpu_s, nbytes in rows:
        size_txt = "" if nbytes is None else f"{nbytes / 1e6:.2f} MB"
        fps = "-" if name.startswith(("PNG", "gallery")) else f"{N_FRAMES / wall:.0f}"
        cpu_txt = "-" if cpu_s != cpu_s else f"{cpu_s:.2f}"  # NaN: not measured
        lines.append(f"| {name} | {wall:.2f} | {cpu_txt} | {fps} | {size_txt} |")
    gif = next(wall for name, wall, _, _ in rows if name == "GIF width 480")
    lines += [
        "",
        f"Goal: a 10 s sequence to GIF well under 10 s; measured {gif:.2f} s wall at width 480.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = {n: {"wall_s": round(w, 4), "cpu_s": round(c, 4), "bytes": b} for n, w, c, b in rows}
    args.out.with_suffix(".json").write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
