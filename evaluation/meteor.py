"""METEOR 1.5 (pycocoevalcap's meteor-1.5.jar), driven exactly like pycocoevalcap's ``Meteor``.

pycocoevalcap's ``Meteor.compute_score`` sends one ``SCORE ||| ref ||| hyp`` line per pair (the
jar answers with that pair's sufficient statistics) and then ``EVAL ||| stats ||| stats ...``,
to which the jar answers one score per pair and then the aggregate over all of them (computed by
the jar from the statistics, not a mean of scores). Statistics depend only on the pair, so
``stats`` computes them once per distinct pair; ``evaluate`` then asks the jar itself for each
group's aggregate. Two backends give the same answers, bit for bit:

- :class:`evaluation.meteor_driver.MeteorServer` (default when ``javac`` is available):
  ``java/CompmoMeteor.java``, compiled once into the user cache, runs the jar's own stdio code
  path per request with several threads in one JVM (paraphrase tables loaded once), in batches;
- :class:`MeteorPool`: several plain ``java -jar meteor-1.5.jar -stdio`` processes, streamed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from typing import IO

from evaluation.javaproc import LineReader, popen_java
from evaluation.javatools import METEOR_JAR, jar_path

log = logging.getLogger(__name__)

#: pycocoevalcap's command line (the jar is run from its own directory).
METEOR_ARGS = ("-jar", "-Xmx2G", METEOR_JAR, "-", "-", "-stdio", "-l", "en", "-norm")


def score_line(hypothesis: str, references: Sequence[str]) -> str:
    """The ``SCORE`` request of pycocoevalcap's ``Meteor._stat``."""
    hypothesis = hypothesis.replace("|||", "").replace("  ", " ")
    return " ||| ".join(("SCORE", " ||| ".join(references), hypothesis))


def eval_line(stats: Sequence[str]) -> str:
    """The ``EVAL`` request of pycocoevalcap's ``Meteor.compute_score``."""
    return "EVAL" + "".join(f" ||| {s}" for s in stats)


def stop_process(proc: subprocess.Popen, stderr: IO[bytes]) -> None:
    """Close a METEOR process's stdin, kill it if still running, reap it, close its stderr file."""
    if proc.poll() is None:
        assert proc.stdin is not None
        try:
            proc.stdin.close()
        except OSError:
            pass
        proc.kill()
    proc.wait()
    stderr.close()


class MeteorRequests:
    """The METEOR stdio protocol over any backend that answers ``_request(lines, answers)``.

    ``answers[i]`` is the number of lines the backend returns for ``lines[i]``.
    """

    def _request(self, lines: Sequence[str], answers: Sequence[int]) -> list[str]:
        raise NotImplementedError

    def stats(
        self, pairs: Sequence[tuple[str, str]], affinity: Sequence[int] | None = None
    ) -> list[str]:
        """Sufficient statistics of each (hypothesis, reference) pair (tokenised strings).

        ``affinity``: a group number per pair (e.g. its video), for backends that keep a group's
        work in one process; the jars do not need it."""
        return self._request([score_line(h, [r]) for h, r in pairs], [1] * len(pairs))

    def evaluate(self, groups: Sequence[Sequence[str]]) -> list[tuple[float, list[float]]]:
        """``(aggregate, per-pair scores)`` of each non-empty group of statistics strings."""
        answers = [len(g) + 1 for g in groups]
        flat = self._request([eval_line(g) for g in groups], answers)
        out, pos = [], 0
        for n in answers:
            out.append((float(flat[pos + n - 1]), [float(x) for x in flat[pos : pos + n - 1]]))
            pos += n
        return out


class _Jar:
    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        self.proc = popen_java(METEOR_ARGS, cwd=jar_path(METEOR_JAR).parent, stderr=self.stderr)
        self._reader = LineReader(self.proc, self.stderr, "METEOR jar")

    def run(self, lines: Sequence[str], answers: Sequence[int]) -> list[str]:
        """Write ``lines`` from a thread while reading ``answers[i]`` lines for line i."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        stdin = self.proc.stdin
        error: list[BaseException] = []

        def write() -> None:
            try:
                for start in range(0, len(lines), 512):
                    stdin.write("".join(x + "\n" for x in lines[start : start + 512]).encode())
                stdin.flush()
            except OSError as exc:
                error.append(exc)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        out = []
        for _ in range(sum(answers)):
            out.append(self._reader.readline().strip())
        writer.join()
        if error:
            raise self._reader.fail(f"could not be written to ({error[0]})")
        return out

    def tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-500:].decode(errors="replace").strip()

    def close(self) -> None:
        stop_process(self.proc, self.stderr)


class MeteorPool(MeteorRequests):
    """``n`` METEOR jars, started at construction (their ~5 s start overlaps other work)."""

    def __init__(self, n: int = 2) -> None:
        self.jars = [_Jar() for _ in range(max(1, n))]
        self.description = f"meteor-1.5.jar -stdio, {len(self.jars)} processes"

    def __enter__(self) -> MeteorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for jar in self.jars:
            jar.close()

    def cpu_seconds(self) -> float:
        return cpu_seconds([jar.proc.pid for jar in self.jars])

    def _request(self, lines: Sequence[str], answers: Sequence[int]) -> list[str]:
        """Split ``lines`` into contiguous chunks, one per jar, run them concurrently."""
        n = len(self.jars)
        bounds = [len(lines) * k // n for k in range(n + 1)]
        outs: list[list[str]] = [[] for _ in range(n)]
        errors: list[BaseException] = []

        def work(k: int) -> None:
            lo, hi = bounds[k], bounds[k + 1]
            try:
                outs[k] = self.jars[k].run(lines[lo:hi], answers[lo:hi])
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(k,), daemon=True)
            for k in range(n)
            if bounds[k + 1] > bounds[k]
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return [x for out in outs for x in out]


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time used so far by processes (Linux /proc; 0.0 where unavailable)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total
