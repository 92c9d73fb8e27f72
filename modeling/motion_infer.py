"""``compmo-infer`` on the user's own motion files, CPU defaults and DEMO-style runs.

* ``--motion a.bvh b.npz ...``: the files are imported by ``compmo-gen import-motion`` (run as a
  child process: the model stands on the core only) into ``OUT/imported/`` and listed in a stage
  file ``OUT/motions.json`` with the run's prompt, then captioned as any stage file; ``--render``
  draws ``OUT/render/<id>.gif`` (or ``.mp4``) with the predicted timeline (``compmo-gen render``).
* A run with a ``prompt.json`` (``compmo-train import-demo``) uses that prompt (DEMO's) for test
  records and that decoding (DEMO samples: top-p 0.9, temperature 0.7) unless ``--sample false``.
* CPU: threads, ``auto`` batch size (1) and new-token bound (256) from ``modeling.resources``, with
  progress bars per sequence and per token (``modeling.progress``).
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import CompmoError, UserError

log = logging.getLogger(__name__)


class GeneratorError(CompmoError):
    """A ``compmo-gen`` step (motion import, rendering) failed; its own one-line message."""


def configure_device(args: argparse.Namespace) -> str:
    """Resolve ``--device`` (threads are set when the run loads: ``modeling.resources``)."""
    import torch

    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads {args.threads}: use at least 1")
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _explicit_keys(args: argparse.Namespace) -> set[str]:
    """Generation keys the user set: options given, ``--set`` and the ``--config`` file's keys."""
    from compmo_gen.core.config_cli import options_given
    from modeling.config import GenerationConfig

    keys = set(options_given(args, GenerationConfig))
    keys |= {s.split("=", 1)[0].strip().replace("-", "_") for s in args.set}
    if args.config:
        from compmo_gen.core.io import load_yaml

        loaded = load_yaml(args.config)  # not a regular file, bad YAML, limits: one line
        keys |= set(loaded) if isinstance(loaded, dict) else set()
    return keys


def generation_settings(args: argparse.Namespace, device: str, spec: dict | None) -> Any:
    """``GenerationConfig`` from ``--config``, ``--set`` and options; keys set nowhere take the
    run's decoding (DEMO: sampling, at most its own new-token bound) and ``auto``."""
    from compmo_gen.core.config import load
    from compmo_gen.core.config_cli import options_given
    from modeling.config import GenerationConfig
    from modeling.resources import MAX_NEW_TOKENS

    kind = "cpu" if device == "cpu" else "cuda"
    run_gen = dict((spec or {}).get("generation", {}))
    defaults = {k: run_gen[k] for k in ("sample", "temperature", "top_p") if k in run_gen}
    if "max_new_tokens" in run_gen:  # a DEMO run's bound, never above the device's `auto`
        defaults["max_new_tokens"] = min(int(run_gen["max_new_tokens"]), MAX_NEW_TOKENS[kind])
    explicit = _explicit_keys(args)
    values = {k: v for k, v in defaults.items() if k not in explicit}
    values.update(options_given(args, GenerationConfig))
    return load(GenerationConfig, args.config, sets=args.set, values=values)


def _prompt(spec: dict | None, kind: str, duration: float) -> tuple[str | None, str]:
    from compmo_gen.core.prompts import STAGE2_SYSTEM, stage1_prompt, stage2_user
    from modeling.demo_prompt import user_prompt

    if spec is not None:
        return spec.get("system"), user_prompt(spec, duration)
    return (None, stage1_prompt(duration)) if kind == "stage1" else (STAGE2_SYSTEM, stage2_user(duration))  # fmt: skip


#: Import options passed through to ``compmo-gen import-motion`` (validated there).
IMPORT_OPTIONS = ("skeleton", "joint_map", "fps", "up", "units", "smpl_dir", "gender")


def add_motion_args(parser: argparse.ArgumentParser) -> None:
    """``compmo-gen import-motion``'s options, for ``compmo-infer --motion``."""
    g = parser.add_argument_group("motion import (see compmo-gen import-motion --help)")
    g.add_argument("--skeleton", help="source skeleton (default: detected)")
    g.add_argument("--joint-map", help="JSON {HumanML3D joint: source joint} for all 22 joints")
    g.add_argument("--fps", help="source frame rate (needed for .npy arrays)")
    g.add_argument("--up", help="source up axis, e.g. +z (default: detected)")
    g.add_argument("--units", help="source unit: m, cm, mm, inch, cmu (default: detected)")
    g.add_argument("--smpl-dir", help="body models for SMPL-family parameter files")
    g.add_argument("--gender", help="body model gender (default: the file's, else neutral)")
    g.add_argument("--no-retarget", action="store_true", help="keep the source bone lengths")


def run_generator(argv: list[str]) -> None:
    """Run a ``compmo-gen`` command in a child process (the model does not import the generator).
    Its one-line error (``compmo-gen CMD: error: ...``) becomes ours; a child that crashed (a
    traceback: a bug) becomes one line naming the exception and a log file holding the child's
    whole output."""
    import subprocess
    import sys
    import tempfile

    proc = subprocess.run(
        [sys.executable, "-m", "compmo_gen.cli", *argv], capture_output=True, text=True, check=False
    )
    if proc.returncode == 0:
        return
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(f"compmo-gen {argv[0]}") and ": error: " in ln]
    if errors and "Traceback (most recent call last)" not in proc.stderr:
        raise GeneratorError(f"compmo-gen {argv[0]}: {errors[-1].split(': error: ', 1)[1]}")
    where = ""
    try:
        fd, path = tempfile.mkstemp(prefix=f"compmo-gen-{argv[0]}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(proc.stdout + proc.stderr)
        where = f"; its output is in {path}"
    except OSError:
        pass
    last = lines[-1] if lines else "no output"
    raise GeneratorError(
        f"compmo-gen {argv[0]} failed unexpectedly (exit {proc.returncode}: {last[:300]}){where}"
    )


def motion_stage_file(args: argparse.Namespace, spec: dict | None, out: Path) -> Path:
    """Import ``--motion`` files (``compmo-gen import-motion``) into ``out/imported/`` and write
    ``out/motions.json`` with the run's prompt."""
    from compmo_gen.core.constants import FPS
    from compmo_gen.core.io import npy_frames
    from compmo_gen.core.stage_files import StageRecord, write_stage_file

    imported = out / "imported"
    if (imported / "import_report.json").is_file():  # an earlier run's import (import-motion
        import shutil  # never replaces a folder itself; this one is compmo-infer's own)

        shutil.rmtree(imported)
    argv = ["import-motion", *[str(m) for m in args.motion], "--out", str(imported), "-q"]
    for name in IMPORT_OPTIONS:
        if getattr(args, name) is not None:
            argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    if args.no_retarget:
        argv.append("--no-retarget")
    run_generator(argv)
    records = []
    from compmo_gen.core.io import read_text

    for vid in read_text(out / "imported" / "all.txt").split():
        rel = f"imported/new_joints/{vid}.npy"
        system, user = _prompt(spec, args.prompt, npy_frames(out / rel) / FPS)
        records.append(StageRecord(vid, rel, system, user, ""))
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
    """``OUT/render/<id>.gif|mp4``: each imported motion with its predicted timeline
    (``compmo-gen render MOTION --pred predictions.json``)."""
    from compmo_gen.core.io import load_json

    out = Path(args.out)
    written = []
    for rec in load_json(out / "generated.json"):
        path = out / "render" / f"{rec['id']}.{args.render}"
        path.parent.mkdir(exist_ok=True)
        motion = out / "imported" / "new_joints" / f"{rec['id']}.npy"
        run_generator(["render", str(motion), "--pred", str(out / "predictions.json"), "--out", str(path), "-q"])  # fmt: skip
        written.append(path)
    return written
