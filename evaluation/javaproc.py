"""Supervised Java processes (METEOR, the PTB tokenizer): they exit on out-of-memory, die with
their parent, and a reader that waits for their answers notices within seconds when one has died
or stopped working, failing in one line instead of waiting forever.

A JVM whose main thread has died can stay alive (other non-daemon threads), silent, at 0 % CPU;
an out-of-memory error can leave it half-working. ``-XX:+ExitOnOutOfMemoryError`` makes the JVM
exit on the first one, and :class:`LineReader` fails when the process has exited, when its stderr
shows an uncaught exception, or when it has produced no output and used no CPU for
:data:`STALL_SECONDS` (``COMPMO_JAVA_STALL_S``) while answers are awaited.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from compmo_gen.core.errors import PrerequisiteError
from compmo_gen.core.procs import child_preexec
from evaluation.javatools import java_executable

log = logging.getLogger(__name__)

#: JVM options added to every Java scorer (they do not change any score).
JVM_FLAGS = ("-XX:+ExitOnOutOfMemoryError",)
_FATAL = ("OutOfMemoryError", 'Exception in thread "main"', "Error occurred during initialization")


def stall_seconds() -> float:
    """Seconds without output and without CPU use after which a Java scorer counts as stuck."""
    try:
        value = float(os.environ.get("COMPMO_JAVA_STALL_S", "30"))
    except ValueError:
        value = 30.0
    return value if value > 0 else 30.0


class JavaScorerError(PrerequisiteError):
    """A Java scorer died, ran out of memory, or stopped answering."""


def popen_java(
    args: Sequence[str], *, cwd: str | os.PathLike[str], stderr: IO[bytes], stdin: bool = True
) -> subprocess.Popen:
    """``java JVM_FLAGS args`` with pipes, tied to this process's life (see
    :func:`compmo_gen.core.procs.child_preexec`); a ``java`` that cannot run is one line."""
    java = java_executable()
    try:
        return subprocess.Popen(
            [java, *JVM_FLAGS, *args],
            cwd=cwd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            preexec_fn=child_preexec(),  # noqa: PLW1509 (only set from the main thread)
        )
    except OSError as exc:
        raise PrerequisiteError(f"cannot run {java}: {exc.strerror or exc}") from None


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process (Linux /proc; 0.0 where unavailable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def stderr_tail(stderr: IO[bytes], size: int = 500) -> str:
    """The last ``size`` bytes a process wrote to its stderr file, as one line."""
    try:
        stderr.seek(0, os.SEEK_END)
        end = stderr.tell()
        stderr.seek(max(0, end - size))
        text = stderr.read().decode(errors="replace")
    except (OSError, ValueError):
        return ""
    return " | ".join(x.strip() for x in text.strip().splitlines() if x.strip())


class LineReader:
    """Lines of a process's stdout, read directly by the caller (no per-line overhead), with a
    watchdog thread that kills the process when it reports a fatal error, or when the caller has
    been waiting for a line with neither output nor CPU use for :func:`stall_seconds`; the
    caller's read then ends and :meth:`readline` raises one line saying why."""

    def __init__(self, proc: subprocess.Popen, stderr: IO[bytes], what: str) -> None:
        self.proc, self.stderr, self.what = proc, stderr, what
        self.stall = stall_seconds()
        self._reason: str | None = None
        self._waiting = False
        self._lines = 0
        threading.Thread(target=self._watch, daemon=True, name=f"{what} watchdog").start()

    def _watch(self) -> None:
        seen = (-1, -1.0)
        since = time.monotonic()
        while self.proc.poll() is None:
            time.sleep(0.25)
            if any(f in stderr_tail(self.stderr, 4000) for f in _FATAL):
                self._stop("failed")
                return
            now = (self._lines, cpu_seconds(self.proc.pid))
            if not self._waiting or now[0] != seen[0] or now[1] > seen[1] + 0.01:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since > self.stall:
                self._stop(f"stopped working (no output, no CPU for {self.stall:g} s)")
                return

    def _stop(self, reason: str) -> None:
        self._reason = reason
        try:
            self.proc.kill()
        except OSError:
            pass

    def fail(self, why: str) -> JavaScorerError:
        """Kill the process and describe why, with the end of its stderr, in one line."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        tail = stderr_tail(self.stderr)
        hint = ""
        if code == 3 or "OutOfMemoryError" in tail or "heap" in tail.lower():
            hint = (
                " (out of memory or an uncaught error; check _JAVA_OPTIONS / JAVA_TOOL_OPTIONS"
                " for a small -Xmx)"
            )
        return JavaScorerError(
            f"{self.what} {why} (exit code {code}){hint}: {tail or 'no error output'}"
        )

    def readline(self) -> str:
        """The next line (without its newline); :class:`JavaScorerError` if the process died,
        reported a fatal error, or stalled."""
        assert self.proc.stdout is not None
        self._waiting = True
        try:
            raw = self.proc.stdout.readline()
        except (OSError, ValueError):
            raw = b""
        finally:
            self._waiting = False
        if not raw:
            raise self.fail(self._reason or "stopped unexpectedly")
        self._lines += 1
        return raw.decode(errors="replace").rstrip("\n")


def class_digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of the ``.class`` files in ``folder``."""
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.class")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def classes_intact(folder: Path) -> bool:
    """True when ``folder`` holds compiled classes whose digest matches the one recorded with them
    (a truncated or corrupted cache is then rebuilt instead of crashing the JVM every run)."""
    try:
        recorded = (folder / "classes.sha256").read_text(encoding="ascii").strip()
        return bool(recorded) and recorded == class_digest(folder)
    except (OSError, UnicodeDecodeError):
        return False
