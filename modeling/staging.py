"""Output folders that appear whole or not at all, and input checks done before any model loads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import ConfigError, OutputError, PrerequisiteError, UserError
from compmo_gen.core.io import atomic_dir, check_output_folder


def check_new_folder(out: str | os.PathLike[str], what: str = "output folder") -> Path:
    """``out`` may be created: it does not exist or is an empty folder (else one-line error)."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UserError(f"{out}: exists and is not a folder (choose a new {what})")
        if any(out.iterdir()):
            raise UserError(f"{out}: exists and is not empty (choose a new {what})")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {out}: {parent} is not a writable folder")
    return out


@contextmanager
def staged_folder(out: str | os.PathLike[str], what: str = "output folder") -> Iterator[Path]:
    """Yield a temporary folder beside ``out`` (:func:`compmo_gen.core.io.atomic_dir`); on
    success it is renamed to ``out``, on any failure it is removed: ``out`` is never left
    half-written. ``out`` must be new or an empty folder (checked first)."""
    out = check_new_folder(out, what)
    try:
        with atomic_dir(out) as tmp:
            yield tmp
    except OSError as exc:
        if exc.errno is None:
            raise
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None


#: The files of a trained run folder that inference and merging read.
RUN_FILES = ("config.yaml", "motion_adapter.json", "motion_adapter.safetensors")


def check_run_folder(
    run: str | os.PathLike[str], option: str = "--run", files: tuple[str, ...] = RUN_FILES
) -> Path:
    """A trained run folder (stage 1/2, merged or imported) holding ``files``, checked before
    any model loads."""
    run = Path(run)
    if not run.is_dir():
        raise UserError(f"{option} {run}: no such folder")
    for name in files:
        if not (run / name).is_file():
            raise ConfigError(f"{run / name}: not found (not a trained compmo-train run folder?)")
    return run


def check_input_file(path: str | os.PathLike[str] | None, option: str) -> None:
    """An input file named by ``option`` exists and is a regular file (checked before loading)."""
    if path is None or str(path) == "":
        return
    p = Path(path)
    if not p.exists():
        raise UserError(f"{option} {p}: no such file")
    if not p.is_file():
        raise UserError(f"{option} {p}: not a regular file")


def check_folder(path: str | os.PathLike[str] | None, option: str) -> None:
    """An input folder named by ``option`` exists (checked before loading)."""
    if path is None or str(path) == "":
        return
    if not Path(path).is_dir():
        raise UserError(f"{option} {path}: no such folder")


def check_train_inputs(cfg: Any) -> None:
    """Every input of a training run, before the tokenizer or the model loads: the model, the
    stage file, the motion root, stage 2's ``init_from`` run, the DeepSpeed JSON, the checkpoint
    to resume from, and an output folder that is not a file."""
    from modeling.model import resolve_model

    resolve_model(cfg.model, cfg.gguf_file)
    check_input_file(cfg.train_file, "train_file:")
    check_folder(cfg.motion_root, "motion_root:")
    if cfg.stage == "stage2" and cfg.init_from:
        check_run_folder(cfg.init_from, "init_from:", RUN_FILES[1:])  # the adapter it reads
    if cfg.deepspeed:
        check_input_file(cfg.deepspeed, "deepspeed:")
    if cfg.resume not in (None, "", "none", "auto"):
        check_folder(cfg.resume, "resume:")
    check_output_folder(cfg.output_dir, "output_dir:")


def check_infer_inputs(args: Any) -> None:
    """Every input of ``compmo-infer``, before the model loads."""
    check_run_folder(args.run)
    check_input_file(args.data, "--data")
    for motion in args.motion or ():
        check_input_file(motion, "--motion")
    check_input_file(args.config, "--config")
    check_input_file(getattr(args, "joint_map", None), "--joint-map")
    check_folder(args.motion_root, "--motion-root")
    check_folder(getattr(args, "smpl_dir", None), "--smpl-dir")
    check_output_folder(args.out, "--out")  # a file on its path failed after generation


def check_one_gpu_per_process() -> None:
    """Batches hold one flat list of motion windows, which ``DataParallel`` (the Trainer's choice
    for several GPUs in one process) would split wrongly: refuse before loading anything."""
    import torch

    gpus = torch.cuda.device_count()
    if int(os.environ.get("WORLD_SIZE", "1")) == 1 and gpus > 1:
        raise PrerequisiteError(
            f"{gpus} GPUs visible to one process: launch with torchrun or DeepSpeed (one process "
            "per GPU) or choose one GPU with CUDA_VISIBLE_DEVICES"
        )


def check_finite_weights(model: Any, report: dict[str, Any]) -> None:
    """ConfigError, nothing saved, when training left trainable weights NaN or infinite (a
    learning rate of 1e300, data beyond float range): such a run only ever generates nothing."""
    import torch

    bad = sum(int((~torch.isfinite(p)).sum()) for p in model.parameters() if p.requires_grad)
    if bad:
        raise ConfigError(
            f"training diverged: {bad} trainable weights are NaN or infinite (train loss "
            f"{report.get('train_loss')}); nothing saved (lower --learning-rate, check the data)"
        )


def resume_problem(exc: BaseException, resume: str | None) -> str | None:
    """The one-line reason a resumed checkpoint was refused, or None for any other failure (a
    real bug keeps its traceback): DeepSpeed's refusal to re-partition a ZeRO checkpoint, or a
    checkpoint file holding more than tensors (``weights_only`` refuses it, nothing unpickled)."""
    import pickle

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__name__ == "ZeRORuntimeException" and "world size" in str(exc):
        return f"resume: {resume}: {first} (resume with as many processes as wrote the checkpoint)"
    if resume and isinstance(exc, pickle.UnpicklingError):
        return f"resume: {resume}: a checkpoint file holds objects that are not plain tensors (refused, not unpickled)"  # fmt: skip
    return None
