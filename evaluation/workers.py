"""Worker-process pools of an evaluation: stopping them without waiting for their teardown.

A worker that has scored a large evaluation holds millions of small objects (sentence caches,
paraphrase entries); the interpreter frees them one by one at exit, which took ~1.5 s per worker
on ActivityNet. Once every task has returned there is nothing left to wait for, so the workers
are stopped with SIGKILL after the executor is shut down.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor


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
