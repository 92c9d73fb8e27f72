"""``compmo-infer`` on the user's own motion files, CPU defaults and DEMO-style runs.

* ``--motion a.bvh b.npz ...``: each file is imported (:mod:`compmo_gen.motion_import`) into
  ``OUT/motions/<id>.npy`` and a stage file ``OUT/motions.json`` with the run's prompt, then
  captioned as any stage file; ``--render`` draws ``OUT/render/<id>.gif`` (or ``.mp4``) with the
  predicted timeline.
* A run with a ``prompt.json`` (``compmo-train import-demo``) uses that prompt (DEMO's) for test
  records and that decoding (DEMO samples: top-p 0.9, temperature 0.7) unless ``--greedy``.
* CPU: ``torch.set_num_threads(--threads or min(usable cores, 4, idle cores))`` (torch's default
  counts the host's cores, not the ones this process may use nor the ones other jobs keep busy: on a
  busy 2-core machine two threads were several times slower than one), at most 256 new tokens unless ``--max-new-tokens`` says otherwise, and batches
  of one sequence so the progress bar counts sequences.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import UserError

log = logging.getLogger(__name__)

#: New-token bound by device when ``--max-new-tokens`` is not given.
MAX_NEW_TOKENS = {"cpu": 256, "cuda": 500}
MAX_CPU_THREADS = 4


def usable_cores() -> int:
    """Cores this process may run on: the affinity mask, capped by a cgroup CPU quota."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def default_threads() -> int:
    """``min(usable cores, 4)``, less the cores other processes keep busy (1-minute load average):
    on a loaded machine extra threads wait on each other (``results/cpu_threads.md``)."""
    cores = usable_cores()
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return max(1, min(cores, MAX_CPU_THREADS, round(cores - busy)))


def configure_device(args: argparse.Namespace) -> str:
    """Resolve ``--device``; on CPU set the thread count, the token bound and the batch size."""
    import torch

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kind = "cpu" if device == "cpu" else "cuda"
    if kind == "cpu":
        threads = args.threads or default_threads()
        if threads < 1:
            raise UserError(f"--threads {threads}: use at least 1")
        torch.set_num_threads(threads)
        log.info("CPU inference: %d thread(s) (of %d usable cores)", threads, usable_cores())
    if args.batch_size is None:
        args.batch_size = 1 if kind == "cpu" else 16
    return device


def generation_settings(args: argparse.Namespace, device: str, spec: dict | None) -> Any:
    from modeling.infer import GenerationConfig

    kind = "cpu" if device == "cpu" else "cuda"
    run_gen = (spec or {}).get("generation", {})
    sample = args.sample or (bool(run_gen.get("sample")) and not args.greedy)
    temperature = args.temperature if args.temperature is not None else run_gen.get("temperature", 0.7)  # fmt: skip
    top_p = args.top_p if args.top_p is not None else run_gen.get("top_p", 0.9)
    max_new = args.max_new_tokens
    if max_new is None:
        max_new = min(int(run_gen.get("max_new_tokens", 500)), MAX_NEW_TOKENS[kind])
    if max_new < 1 or args.batch_size < 1:
        raise UserError("--max-new-tokens and --batch-size must be at least 1")
    return GenerationConfig(args.batch_size, max_new, sample, float(temperature), float(top_p), args.seed)  # fmt: skip


def _prompt(spec: dict | None, kind: str, duration: float) -> tuple[str | None, str]:
    from compmo_gen.core.prompts import STAGE2_SYSTEM, stage1_prompt, stage2_user
    from modeling.demo_prompt import user_prompt

    if spec is not None:
        return spec.get("system"), user_prompt(spec, duration)
    return (None, stage1_prompt(duration)) if kind == "stage1" else (STAGE2_SYSTEM, stage2_user(duration))  # fmt: skip


def motion_stage_file(args: argparse.Namespace, spec: dict | None, out: Path) -> Path:
    """Import ``--motion`` files into ``out/motions/`` and write ``out/motions.json``."""
    import numpy as np

    from compmo_gen.core.constants import FPS
    from compmo_gen.core.stage_files import StageRecord, write_stage_file
    from compmo_gen.import_cli import import_files

    items = import_files(args, [Path(m) for m in args.motion])
    (out / "motions").mkdir(parents=True, exist_ok=True)
    records = []
    for vid, joints, _ in items:
        np.save(out / "motions" / f"{vid}.npy", joints)
        system, user = _prompt(spec, args.prompt, len(joints) / FPS)
        records.append(StageRecord(vid, f"motions/{vid}.npy", system, user, ""))
    path = out / "motions.json"
    write_stage_file(records, path)
    return path


def prompted_stage_file(data: Path, spec: dict, out: Path, motion_root: str | None) -> Path:
    """``data`` with the run's prompt on its test records (records with a prompt are kept)."""
    from compmo_gen.core.constants import FPS
    from compmo_gen.core.io import npy_frames
    from compmo_gen.core.stage_files import (
        StageRecord,
        motion_path,
        read_stage_file,
        write_stage_file,
    )

    records = []
    for rec in read_stage_file(data):
        if rec.user is None:
            frames = rec.frames or (0, npy_frames(motion_path(rec, file=str(data), root=motion_root), record=rec.id))  # fmt: skip
            system, user = _prompt(spec, "stage2", (frames[1] - frames[0]) / FPS)
            rec = StageRecord(rec.id, rec.motion, system, user, "", rec.gt, rec.frames)
        records.append(rec)
    path = out / f"prompted_{data.name}"
    write_stage_file(records, path)
    return path


def prepare(args: argparse.Namespace) -> tuple[str, str | None, Any, str]:
    """(stage file, motion root, generation config, device) for ``compmo-infer``."""
    from modeling.demo_prompt import read_prompt_spec

    if bool(args.data) == bool(args.motion):
        raise UserError("give exactly one of --data FILE and --motion FILE...")
    if args.render and not args.motion:
        raise UserError("--render draws imported motions: use it with --motion")
    device = configure_device(args)
    spec = read_prompt_spec(args.run)
    gen = generation_settings(args, device, spec)
    out = Path(args.out)
    if args.motion:
        return str(motion_stage_file(args, spec, out)), str(out), gen, device
    data, root = Path(args.data), args.motion_root
    if spec is not None:
        root = root or str(data.resolve().parent)
        data = prompted_stage_file(data, spec, out, root)
    return str(data), root, gen, device


def render_predictions(args: argparse.Namespace) -> list[Path]:
    """``OUT/render/<id>.gif|mp4``: each imported motion with its predicted timeline."""
    import json

    import numpy as np

    from compmo_gen.core.constants import FPS
    from compmo_gen.core.formats import parse_demo_string
    from compmo_gen.core.segments import DenseAnnotation
    from compmo_gen.render_io import render_motion

    out = Path(args.out)
    (out / "render").mkdir(exist_ok=True)
    written = []
    for rec in json.loads((out / "generated.json").read_text(encoding="utf-8")):
        joints = np.load(out / "motions" / f"{rec['id']}.npy")
        duration = len(joints) / FPS
        segs = parse_demo_string(rec["generated"], duration) or ()
        path = out / "render" / f"{rec['id']}.{args.render}"
        render_motion(joints, path, None, DenseAnnotation(rec["id"], duration, tuple(segs)))
        written.append(path)
    return written
