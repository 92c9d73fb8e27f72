"""Outputs written whole or not at all, and what a killed writer left behind removed.

A writer stages its output as ``.<name>.<pid>.tmp`` beside the target (a folder or a file) and
renames it onto the target at the end. After a SIGKILL the staging entry stays; the next run
removes every ``.<name>.<pid>.tmp`` whose process is gone (:func:`remove_dead_staging`), never
one whose writer still runs.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from pathlib import Path

_PID = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d{1,10})\.tmp$")


def staging_path(target: str | os.PathLike[str]) -> Path:
    """``.<name>.<this pid>.tmp`` beside ``target``."""
    target = Path(target)
    return target.parent / f".{target.name}.{os.getpid()}.tmp"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (this machine; a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[:1] != ["Z"]
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_staging(folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Remove the ``.<name>.<pid>.tmp`` entries (files or folders) in ``folder`` whose process
    ``pid`` is gone (``name`` None: any name); returns what was removed."""
    folder = Path(folder)
    pattern = f".{glob.escape(name)}.*.tmp" if name is not None else ".*.tmp"
    removed = []
    for p in sorted(folder.glob(pattern)):
        m = _PID.match(p.name)
        if m is None or (name is not None and m["name"] != name) or pid_alive(int(m["pid"])):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def publish(staged: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename a finished staging folder onto ``target`` (absent or an empty folder)."""
    staged, target = Path(staged), Path(target)
    if target.is_dir() and not target.is_symlink():
        target.rmdir()  # only an empty folder; anything else is an error the caller checked for
    os.rename(staged, target)
