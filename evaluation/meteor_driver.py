"""The threaded METEOR front end: ``java/CompmoMeteor.java`` over pycocoevalcap's meteor-1.5.jar.

One JVM, several scorer threads sharing one copy of the paraphrase tables; each request runs the
jar's own stdio code path, so the answers equal :class:`evaluation.meteor.MeteorPool`'s bit for bit
(tested). The Java source is compiled once with ``javac`` into the user cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from compmo_gen.core.io import atomic_dir
from evaluation.javaproc import LineReader, class_digest, classes_intact, popen_java
from evaluation.javatools import METEOR_JAR, jar_path, java_version
from evaluation.meteor import METEOR_ARGS, MeteorPool, MeteorRequests, cpu_seconds, stop_process

log = logging.getLogger(__name__)

_DRIVER = Path(__file__).resolve().parent / "java" / "CompmoMeteor.java"
_SOURCES = (_DRIVER, _DRIVER.with_name("CompmoParaphrase.java"))


def driver_classes() -> Path | None:
    """Compile ``java/CompmoMeteor.java`` once into the user cache; None without ``javac``."""
    javac = shutil.which("javac")
    if javac is None or not all(p.is_file() for p in _SOURCES):
        return None
    source = b"".join(p.read_bytes() for p in _SOURCES)
    key = hashlib.sha256(source + java_version().encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "compmo"
    target = cache / f"meteor-driver-{key}"
    if (target / "CompmoMeteor.class").is_file():
        if classes_intact(target):
            return target
        log.warning("cached METEOR driver %s is damaged; rebuilding it", target)
        shutil.rmtree(target, ignore_errors=True)
    try:
        with atomic_dir(target, exist_ok=True) as tmp:  # another process may win the race
            cmd = [javac, "-cp", str(jar_path(METEOR_JAR)), "-d", str(tmp), *map(str, _SOURCES)]
            subprocess.run(cmd, capture_output=True, text=True, check=True)
            (tmp / "classes.sha256").write_text(class_digest(tmp) + "\n", encoding="ascii")
    except subprocess.CalledProcessError as exc:
        log.warning("javac failed, using the plain METEOR jar: %s", exc.stderr[-300:])
        return None
    except OSError as exc:
        log.warning("cannot cache the METEOR driver (%s), using the plain METEOR jar", exc)
        return None
    return target


#: Above this many distinct words the paraphrase table is loaded whole (ActivityNet's validation
#: set has ~27k and keeps a third of the table: filtering then costs as much as it saves).
FILTER_MAX_WORDS = 4000


def paraphrase_cache() -> Path:
    """Where the driver keeps its index of METEOR's paraphrase table (keyed by the table's size
    and modification time)."""
    table = jar_path(METEOR_JAR).parent / "data" / "paraphrase-en.gz"
    try:
        st = table.stat()
        key = hashlib.sha256(f"{table}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    except OSError:
        key = "missing"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "compmo"
    cache.mkdir(parents=True, exist_ok=True)
    return cache / f"meteor-paraphrase-{key}"


class MeteorServer(MeteorRequests):
    """One JVM, ``threads`` METEOR scorers sharing one copy of the paraphrase tables.

    Same requests and answers as :class:`MeteorPool` (``java/CompmoMeteor.java`` runs the jar's
    own stdio code path per request), batched: one flush per batch in each direction.
    """

    def __init__(self, classes: Path, threads: int = 2) -> None:
        self.stderr = tempfile.TemporaryFile()
        jar = jar_path(METEOR_JAR)
        self.proc = popen_java(
            ["-Xmx2G", "-cp", f"{jar}{os.pathsep}{classes}", "CompmoMeteor",
             str(max(1, threads)), *METEOR_ARGS[4:]],
            cwd=jar.parent,
            stderr=self.stderr,
        )  # fmt: skip
        self._reader = LineReader(self.proc, self.stderr, "METEOR driver")
        self._ready = False
        self._vocab_sent = False
        self.description = (
            f"meteor-1.5.jar via java/CompmoMeteor.java, {max(1, threads)} threads in one JVM"
        )

    def use_vocabulary(
        self, sentences: Iterable[str], affinity: Sequence[int] | None = None
    ) -> None:
        """Load only the paraphrase-table entries these sentences can match (before any request).

        ``sentences``: every string that will be scored (hypotheses and references); ``affinity``
        is the native backend's (a group per sentence) and unused here: one JVM. The table is
        indexed once into the user cache; the statistics equal the full table's (tested). Skipped
        when ``COMPMO_METEOR_FULL_TABLE=1``, after the first request, or for a large input
        (more than :data:`FILTER_MAX_WORDS` distinct words: the table is then loaded whole, since
        filtering would keep most of it and cost more than it saves).
        """
        if self._ready or self._vocab_sent or os.environ.get("COMPMO_METEOR_FULL_TABLE"):
            return
        words = set()
        for s in sentences:
            words.add(s)
            words.add(s.replace("|||", "").replace("  ", " "))
        if len({w for s in words for w in s.split()}) > FILTER_MAX_WORDS:
            return
        lines = sorted(w.replace("\n", " ").replace("\r", " ") for w in words)
        assert self.proc.stdin is not None
        cache = paraphrase_cache()
        if not (cache / "index.bin").is_file():
            log.info("indexing METEOR's paraphrase table once into %s (about a minute)", cache)
        head = f"COMPMO_VOCAB {len(lines)} {cache}\n"
        try:
            self.proc.stdin.write((head + "".join(x + "\n" for x in lines)).encode())
            self.proc.stdin.flush()
        except OSError as exc:
            raise RuntimeError(f"METEOR driver: {exc}") from None
        self._vocab_sent = True

    def __enter__(self) -> MeteorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _readline(self) -> str:
        return self._reader.readline()

    def _request(self, lines: Sequence[str], answers: Sequence[int]) -> list[str]:
        if not lines:
            return []
        assert self.proc.stdin is not None
        stdin = self.proc.stdin
        error: list[BaseException] = []

        def write() -> None:
            try:
                for start in range(0, len(lines), 512):
                    stdin.write("".join(x + "\n" for x in lines[start : start + 512]).encode())
                stdin.write(b"COMPMO_FLUSH\n")
                stdin.flush()
            except OSError as exc:
                error.append(exc)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        if not self._ready:
            if self._readline() != "COMPMO_READY":
                raise self._reader.fail("sent an unexpected greeting")
            self._ready = True
        out = [self._readline() for _ in range(sum(answers))]
        if self._readline() != "COMPMO_DONE":
            raise self._reader.fail("answered out of step with the requests")
        writer.join()
        if error:
            raise self._reader.fail(f"could not be written to ({error[0]})")
        return out

    def cpu_seconds(self) -> float:
        return cpu_seconds([self.proc.pid])

    def close(self) -> None:
        stop_process(self.proc, self.stderr)


def open_meteor(jobs: int) -> MeteorPool:
    """The threaded driver when ``javac`` can build it (once, cached), else ``jobs`` plain jars.

    Set ``COMPMO_METEOR_PLAIN=1`` to force the plain jars.
    """
    classes = None if os.environ.get("COMPMO_METEOR_PLAIN") else driver_classes()
    if classes is None:
        return MeteorPool(jobs)
    return MeteorServer(classes, jobs)  # type: ignore[return-value]
