"""SIGKILL at seeded points of a build (while chunks are built, during finalize) and of stage-json,
then the same command again: the tree is byte-identical to an uninterrupted run's (no stale
``.tmp`` file survives), and the killed build's workers do not outlive it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compmo_gen.cli import main

REPO = Path(__file__).resolve().parents[3]
ARGS = ["--num", "12", "--set", "chunk=3", "--set", "library.per_kind=1", "-q", "--no-card"]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL, /proc")


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _spawn(argv: list[str]) -> subprocess.Popen:
    code = f"import sys; from compmo_gen.cli import main; sys.exit(main({argv!r}))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)


def _children(pid: int) -> list[int]:
    kids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _kill_when(proc: subprocess.Popen, ready, limit: float = 60.0) -> list[int]:
    """SIGKILL ``proc`` (only it) as soon as ``ready()``; the children it had then."""
    deadline = time.monotonic() + limit
    kids: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        kids = _children(proc.pid) or kids
        if ready():
            break
        time.sleep(0.005)
    kids = _children(proc.pid) or kids
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return kids


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("ref") / "d"
    assert main(["build", "--out", str(out), *ARGS]) == 0
    return tree(out)


@pytest.mark.parametrize("point", ["first-chunk", "finalize", "random"])
def test_build_killed_then_resumed_is_byte_identical(point, reference, tmp_path):
    out = tmp_path / "d"
    rng = random.Random(f"kill-{point}")
    t0 = time.monotonic()
    delay = rng.uniform(0.5, 4.0)
    ready = {
        "first-chunk": lambda: any((out / "chunks").glob("*.jsonl")),
        "finalize": lambda: len(list((out / "chunks").glob("*.jsonl"))) >= 4,
        "random": lambda: time.monotonic() - t0 > delay,
    }[point]
    proc = _spawn(["build", "--out", str(out), "--workers", "2", *ARGS])
    kids = _kill_when(proc, ready)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_running(k) for k in kids):
        time.sleep(0.05)
    assert not [k for k in kids if _running(k)], "workers outlived the killed build"
    assert main(["build", "--out", str(out), *ARGS]) == 0
    got = tree(out)
    assert sorted(got) == sorted(reference)
    assert got == reference


def test_stage_json_killed_then_rerun_is_byte_identical(reference, tmp_path):
    ref, out = tmp_path / "ref", tmp_path / "d"
    for d in (ref, out):
        d.mkdir()
        for rel, data in reference.items():
            (d / rel).parent.mkdir(parents=True, exist_ok=True)
            (d / rel).write_bytes(data)
    assert main(["stage-json", "stage2", "--dataset", str(ref), "-q"]) == 0
    rng = random.Random("stage-json")
    for _ in range(2):
        t0, delay = time.monotonic(), rng.uniform(0.5, 3.0)
        proc = _spawn(["stage-json", "stage2", "--dataset", str(out), "-q"])
        _kill_when(proc, lambda t0=t0, delay=delay: time.monotonic() - t0 > delay)
    # a leftover of an interrupted write, whatever the kill hit
    (out / ".stage2.json.zz9kill.tmp").write_text("[")
    assert main(["stage-json", "stage2", "--dataset", str(out), "-q"]) == 0
    assert tree(out) == tree(ref)
    shutil.rmtree(ref)
