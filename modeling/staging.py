"""Output folders that appear whole or not at all, and input checks done before any model loads."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compmo_gen.core.errors import ConfigError, OutputError, UserError


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
    """Yield a temporary folder beside ``out``; on success it is renamed to ``out``, on any
    failure it is removed: ``out`` is never left half-written."""
    out = check_new_folder(out, what)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        yield tmp
        if out.is_dir():
            out.rmdir()  # the empty folder allowed above
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno is None:
            raise
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


#: The files of a trained run folder that inference and merging read.
RUN_FILES = ("config.yaml", "motion_adapter.json", "motion_adapter.safetensors")


def check_run_folder(run: str | os.PathLike[str], option: str = "--run") -> Path:
    """A trained run folder (stage 1/2, merged or imported), checked before any model loads."""
    run = Path(run)
    if not run.is_dir():
        raise UserError(f"{option} {run}: no such folder")
    for name in RUN_FILES:
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
