"""Scoring processes: fewer garbage-collector passes, and stopping worker pools without waiting.

A worker that has scored a large evaluation holds millions of small objects (sentence caches,
paraphrase entries); the interpreter frees them one by one at exit, which took ~1.5 s per worker
on ActivityNet. Once every task has returned there is nothing left to wait for, so the workers
are stopped with SIGKILL after the executor is shut down.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

#: Cyclic-GC thresholds for scoring processes (Python's default: 700, 10, 10).
GC_THRESHOLDS = (100_000, 50, 100)


def tune_gc() -> None:
    """Fewer cyclic-garbage passes in a scoring process (the CLI's or a worker's).

    Scoring allocates millions of small acyclic objects (tokens, n-gram tuples, statistics) that
    live in caches; with the default thresholds the collector re-walks them over and over (about
    10 % of the CPU time on ActivityNet, ``results/eval_benchmark_real.md``). Collection still
    runs, only less often; memory peak unchanged there.
    """
    gc.set_threshold(*GC_THRESHOLDS)


def stop_pools(pools: Iterable[ProcessPoolExecutor]) -> None:
    """Shut ``pools`` down, cancelling queued tasks, and kill their (idle) processes."""
    procs = []
    for pool in pools:
        procs += list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.kill()
    for p in procs:
        p.join()
