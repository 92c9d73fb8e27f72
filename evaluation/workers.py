"""Scoring processes: how they start, fewer garbage-collector passes, stopping pools without waiting.

A worker that has scored a large evaluation holds millions of small objects (sentence caches,
paraphrase entries); the interpreter frees them one by one at exit, which took ~1.5 s per worker
on ActivityNet. Once every task has returned there is nothing left to wait for, so the workers
are stopped with SIGKILL after the executor is shut down.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

#: What the scoring workers run, imported once by the fork server.
PRELOAD = ("evaluation.meteor_native.backend", "evaluation.caption_pool")
#: Cyclic-GC thresholds for scoring processes (Python's default: 700, 10, 10).
GC_THRESHOLDS = (100_000, 50, 100)
#: How long :func:`stop_pools` waits for workers still starting (a fork-server start: ~0.1 s).
STARTING_WAIT_S = 10.0


def worker_context() -> BaseContext:
    """How scoring workers start: forked from a fork server that imported :data:`PRELOAD` once,
    rather than each a new interpreter importing NumPy and the scorers (about 0.3 CPU s per
    worker, five workers on a large evaluation); ``spawn`` where there is no fork server. Never
    a plain fork of the caller, which runs threads."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def tune_gc() -> None:
    """Fewer cyclic-garbage passes in a scoring process (the CLI's or a worker's).

    Scoring allocates millions of small acyclic objects (tokens, n-gram tuples, statistics) that
    live in caches; with the default thresholds the collector re-walks them over and over (about
    10 % of the CPU time on ActivityNet, ``results/eval_speed_real_data.md``). Collection still
    runs, only less often; memory peak unchanged there.
    """
    gc.set_threshold(*GC_THRESHOLDS)


def worker_init() -> None:
    """A scoring worker's set-up: :func:`tune_gc`, and a thread that ends the worker as soon as
    the process that asked for it is gone, even killed with SIGKILL (the pool's shutdown never
    comes then, and a worker forked from the fork server is not the dead process's child)."""
    tune_gc()
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="compmo-parent-watch", daemon=True).start()


class WorkerPool:
    """The one pool of scoring workers: a :class:`ProcessPoolExecutor` of :func:`worker_context`
    whose workers send their pid when they start (a queue handed to the initializer: public APIs
    only), so that their CPU time can be read (:meth:`pids`) and :func:`stop_pools` can end them
    at once."""

    def __init__(
        self, workers: int, initializer: Callable[..., None] = worker_init, initargs: tuple = ()
    ) -> None:
        context = worker_context()
        self._queue = context.SimpleQueue()
        self._pids: set[int] = set()
        self._workers, self._submitted = workers, 0
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_announce,
            initargs=(self._queue, initializer, initargs),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        self._submitted += 1
        return self.executor.submit(fn, *args)

    def started(self) -> int:
        """How many workers the executor has started (it starts one a task, up to the maximum)."""
        return min(self._workers, self._submitted)

    def pids(self) -> list[int]:
        """The pids of the workers started so far."""
        while not self._queue.empty():
            self._pids.add(self._queue.get())
        return sorted(self._pids)


def _announce(queue: Any, initializer: Callable[..., None], initargs: tuple) -> None:
    queue.put(os.getpid())
    initializer(*initargs)


def stop_pools(pools: Iterable[WorkerPool]) -> None:
    """Shut ``pools`` down, cancelling queued tasks, and kill their (idle) workers. A worker still
    starting is waited for (up to ``STARTING_WAIT_S``) before it is killed: left alone, it would
    find this process's queue gone and print a traceback (an input error right after start-up)."""
    pools = list(pools)
    deadline = time.monotonic() + STARTING_WAIT_S
    while time.monotonic() < deadline and any(len(p.pids()) < p.started() for p in pools):
        time.sleep(0.01)
    pids = []
    threads = [getattr(p.executor, "_executor_manager_thread", None) for p in pools]
    for pool in pools:
        pids += pool.pids()
        pool.executor.shutdown(wait=False, cancel_futures=True)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # already gone
            pass
    for thread in threads:  # the workers are dead: each executor's thread ends at once
        if thread is not None:
            thread.join(timeout=STARTING_WAIT_S)
    _forget_ended_executors()


def _forget_ended_executors() -> None:
    """Drop the exit-time wake-ups of executor threads that have ended. CPython 3.11's exit hook
    (``concurrent.futures.process._python_exit``) writes to each one's pipe, which may already be
    closed after its workers were killed: an "Exception ignored ... Bad file descriptor" traceback
    after an input error (seen in about 1 of 20 runs). An ended thread needs no wake-up."""
    from concurrent.futures import process

    wakeups = getattr(process, "_threads_wakeups", None)
    for thread in list(wakeups or ()):
        if not thread.is_alive():
            wakeups.pop(thread, None)
