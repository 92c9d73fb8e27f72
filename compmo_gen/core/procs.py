"""Child processes that do not outlive their parent: Linux's parent-death signal for subprocesses
(Java scorers) and pool workers, so a killed ``compmo-*`` (SIGTERM, SIGKILL, a crash) takes them
along at once instead of leaving them running."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Any:
    if sys.platform != "linux":
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(sig: int = signal.SIGKILL, *, parent: int | None = None) -> None:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux; no-op elsewhere).

    ``parent``: the expected parent pid; if it has already died, the signal is sent right away.
    """
    prctl = _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def child_preexec() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that ties the child's life to this process.

    Linux ties the signal to the *thread* that forks, so it is only used from the main thread
    (a child started from a worker thread would die with that thread); None elsewhere.
    """
    if _prctl() is None or threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()
    return functools.partial(die_with_parent, signal.SIGKILL, parent=parent)


def worker_init(parent: int) -> None:
    """A ``multiprocessing`` pool ``initializer``: the worker dies with ``parent`` (its pid)."""
    die_with_parent(signal.SIGKILL, parent=parent)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask; ``os.cpu_count()`` elsewhere)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def clamp_jobs(jobs: int, option: str = "--jobs") -> int:
    """``jobs`` worker processes or threads, at most :func:`usable_cores` (more only add memory and
    contention); a larger request is lowered with one warning naming ``option``."""
    import logging

    cores = usable_cores()
    if jobs > cores:
        logging.getLogger(__name__).warning(
            "%s %d lowered to %d, the usable CPU cores (more would only add processes and memory)",
            option, jobs, cores,
        )  # fmt: skip
        return cores
    return max(1, jobs)
