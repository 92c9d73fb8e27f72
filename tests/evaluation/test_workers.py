"""Scoring workers: how they start, ending with their parent, stopping pools without waiting."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluation.workers import WorkerPool, stop_pools


def test_stop_pools_kills_idle_workers_after_their_results():
    pools = [WorkerPool(1) for _ in range(2)]
    pids = [pool.submit(os.getpid).result() for pool in pools]
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert [pool.pids() for pool in pools] == [[pid] for pid in pids]  # announced by the workers
    stop_pools(pools)
    for pid in pids:  # gone (reaped by the fork server or by the executor's own thread)
        deadline = time.monotonic() + 10
        while _exists(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _exists(pid)
    for pool in pools:
        with pytest.raises(RuntimeError):  # shut down
            pool.submit(int)


def _exists(pid: int) -> bool:
    """The process runs (a zombie, dead but not reaped yet, does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return not stat.parent.parent.is_dir()  # no /proc: kill(pid, 0) is all we know


PARENT = """
import os, sys, time
from evaluation.workers import WorkerPool
if __name__ == "__main__":
    pool = WorkerPool(1)
    print(pool.submit(os.getpid).result(), flush=True)
    pool.submit(time.sleep, 120)
    time.sleep(120)
"""


def test_workers_end_when_their_parent_is_killed(tmp_path):
    """A scoring run killed with SIGKILL leaves no worker behind (nor its fork server)."""
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        worker = int(proc.stdout.readline())
        assert _exists(worker) and worker != proc.pid
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while _exists(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _exists(worker)


EARLY_EXIT = """
import sys, time
from evaluation.workers import WorkerPool, stop_pools
if __name__ == "__main__":
    pools = [WorkerPool(1) for _ in range(3)]
    for pool in pools:
        pool.submit(int)  # workers starting, as the prestarted METEOR pools
    time.sleep(float(sys.argv[1]))  # reading the inputs
    stop_pools(pools)  # an input error at once: the process ends while they start
    sys.exit(2)
"""


@pytest.mark.parametrize("after", [0.0, 0.1, 0.2, 0.4])
def test_stopping_pools_whose_workers_are_still_starting_prints_nothing(tmp_path, after):
    """An input error right after the pools were started: the process exits with its one error
    line; no worker prints a traceback on finding its parent's queue gone."""
    script = tmp_path / "early.py"
    script.write_text(EARLY_EXIT)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, str(script), str(after)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    time.sleep(0.5)  # a worker's traceback would come after the parent exits
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr == ""


def test_workers_fork_from_a_server_with_the_scorers_imported():
    from evaluation.workers import PRELOAD, worker_context

    context = worker_context()
    if "forkserver" in multiprocessing.get_all_start_methods():
        assert context.get_start_method() == "forkserver"
        for name in PRELOAD:  # each preloaded module imports
            __import__(name)
    else:
        assert context.get_start_method() == "spawn"


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
