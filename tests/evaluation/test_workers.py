"""Stopping worker pools without waiting for their interpreter teardown."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from evaluation.workers import stop_pools


def test_stop_pools_kills_idle_workers_after_their_results():
    pools = [
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) for _ in range(2)
    ]
    pids = [pool.submit(os.getpid).result() for pool in pools]
    assert len(set(pids)) == 2 and os.getpid() not in pids
    stop_pools(pools)
    for pid in pids:  # gone (reaped by stop_pools or by the executor's own thread)
        deadline = time.monotonic() + 10
        while _exists(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _exists(pid)
    assert all(pool._shutdown_thread for pool in pools)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_tune_gc_sets_the_scoring_thresholds():
    import gc

    from evaluation.workers import GC_THRESHOLDS, tune_gc

    saved = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.isenabled()
    finally:
        gc.set_threshold(*saved)
