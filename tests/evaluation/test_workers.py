"""Stopping worker pools without waiting for their interpreter teardown."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from evaluation.workers import stop_pools


def test_stop_pools_kills_idle_workers_after_their_results():
    pools = [
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) for _ in range(2)
    ]
    pids = [pool.submit(os.getpid).result() for pool in pools]
    assert len(set(pids)) == 2 and os.getpid() not in pids
    procs = [p for pool in pools for p in pool._processes.values()]
    stop_pools(pools)
    assert all(not p.is_alive() for p in procs)
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive
