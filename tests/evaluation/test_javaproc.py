"""The Java-scorer supervisor: a scorer that dies, reports a fatal error while staying alive, or
stalls is noticed within seconds and reported in one line; JVMs die with their parent; a damaged
cached driver is rebuilt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from evaluation.javaproc import JavaScorerError, LineReader, classes_intact

REPO = Path(__file__).resolve().parents[2]


def _reader(code: str) -> LineReader:
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err
    )
    return LineReader(proc, err, "fake scorer")


def test_dead_scorer_is_one_line_error():
    r = _reader("print('first', flush=True); import sys; sys.exit(3)")
    assert r.readline() == "first"
    with pytest.raises(JavaScorerError, match="stopped unexpectedly .exit code 3"):
        r.readline()


def test_alive_but_failed_scorer_is_noticed_in_seconds():
    # the JVM of the original bug: main thread dead (stack trace on stderr), process alive, silent
    code = (
        'import sys, time; sys.stderr.write(\'Exception in thread "main" '
        "java.lang.OutOfMemoryError: Java heap space\\n'); sys.stderr.flush(); time.sleep(600)"
    )
    r = _reader(code)
    t0 = time.monotonic()
    with pytest.raises(JavaScorerError) as err:
        r.readline()
    assert time.monotonic() - t0 < 10
    assert "\n" not in str(err.value) and "out of memory" in str(err.value)
    assert r.proc.poll() is not None  # killed


def test_stalled_scorer_is_noticed(monkeypatch):
    monkeypatch.setenv("COMPMO_JAVA_STALL_S", "1.5")
    r = _reader("import time; time.sleep(600)")
    t0 = time.monotonic()
    with pytest.raises(JavaScorerError, match="stopped working"):
        r.readline()
    assert time.monotonic() - t0 < 10
    assert r.proc.poll() is not None


def test_damaged_class_cache_is_detected(tmp_path):
    from evaluation.javaproc import class_digest

    (tmp_path / "CompmoMeteor.class").write_bytes(b"\xca\xfe\xba\xbe good")
    (tmp_path / "classes.sha256").write_text(class_digest(tmp_path))
    assert classes_intact(tmp_path)
    (tmp_path / "CompmoMeteor.class").write_bytes(b"\xca\xfe\xba\xbe bad")
    assert not classes_intact(tmp_path)
    (tmp_path / "classes.sha256").unlink()
    assert not classes_intact(tmp_path)


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(p.name))
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux-only")
def test_sigterm_takes_the_child_along(tmp_path):
    """A SIGTERM'd parent leaves no child behind (the JVMs are started the same way)."""
    code = (
        "import subprocess, sys, time\n"
        "from compmo_gen.core.procs import child_preexec\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        " preexec_fn=child_preexec())\n"
        "print('ready', flush=True); time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    assert parent.stdout.readline().strip() == b"ready"
    kids = _children(parent.pid)
    assert kids
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{k}").exists() for k in kids):
        time.sleep(0.05)
    alive = []
    for k in kids:
        try:
            state = Path(f"/proc/{k}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(k)
    assert not alive
