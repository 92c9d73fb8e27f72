"""The native METEOR backend: the request interface of :class:`evaluation.meteor.MeteorRequests`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from compmo_gen.core.errors import PrerequisiteError
from evaluation.meteor import score_line
from evaluation.meteor_native import scorer
from evaluation.meteor_native.align import Aligner
from evaluation.meteor_native.normalize import (
    JAVA_TRIM,
    java_lower,
    normalize_line,
    split_tokens,
)
from evaluation.meteor_native.paraphrase import ParaphraseTable
from evaluation.meteor_native.resources import index_dir, load_lexicon

log = logging.getLogger(__name__)

#: The Snowball release whose English stemmer equals the jar's (3.x changed it).
SNOWBALL_VERSION = "2.2.0"


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _stemmer() -> Callable[[str], str]:
    """Snowball 2.2.0's English stemmer: PyStemmer's C build of that release when installed
    (same stems, about 35x faster: tested), else snowballstemmer's Python one.

    ``snowballstemmer.stemmer()`` itself is not used: it silently hands over to whatever
    PyStemmer is installed, and PyStemmer 3.x carries the changed stemmer.
    """
    found = _version("snowballstemmer")
    if found != SNOWBALL_VERSION:
        raise PrerequisiteError(
            f"native METEOR needs snowballstemmer=={SNOWBALL_VERSION} (found {found}; later "
            "releases changed the English stemmer): pip install 'compmo[eval]', or --meteor java"
        )
    if (_version("PyStemmer") or "").startswith(SNOWBALL_VERSION + "."):
        import Stemmer

        return Stemmer.Stemmer("english").stemWord
    from snowballstemmer.english_stemmer import EnglishStemmer

    return EnglishStemmer().stemWord


class NativeMeteor:
    """METEOR 1.5 ``-l en -norm`` in Python; statistics are tuples, scores floats.

    Large ``stats`` requests (``POOL_MIN_PAIRS`` pairs or more) go to ``jobs`` worker processes,
    started on first use with this process's paraphrase entries; smaller ones are scored here.
    ``prestart``: start the workers now (they load the lexicon while this process reads and
    tokenises; the paraphrase entries follow with the first request).
    """

    POOL_MIN_PAIRS = 3000
    CHUNK = 1000

    def __init__(
        self, jobs: int = 1, prestart: bool = False, directory: Path | None = None
    ) -> None:
        """``directory``: the resource index to use (default: :func:`index_dir`'s, built if
        missing); workers get their parent's, not one from their own environment."""
        t0 = time.perf_counter()
        self._stem = _stemmer()
        self.directory = directory or index_dir()  # built here, once, before any worker starts
        self.jobs = max(1, jobs)
        from evaluation.meteor_native.align import _calign

        self.description = (
            f"native METEOR 1.5 (evaluation.meteor_native, -l en -norm, "
            f"{'compiled' if _calign is not None else 'pure-Python'} aligner), up to {self.jobs} "
            f"process{'es' if self.jobs > 1 else ''}"
        )
        self._aligner: Aligner | None = None
        self._pools: list = []  # worker processes (one per executor), started on first use
        self._norm: dict[str, tuple[str, ...]] = {}
        self._scores: dict[scorer.Stats, float] = {}
        self._cpu = 0.0
        self._known: set[tuple[str, ...]] = set()  # sentences whose paraphrases are loaded
        self._sent_version = -1  # the paraphrase table version the workers have
        if prestart and self.jobs > 1:
            self._start_pools()
        log.debug("native METEOR ready in %.2f s", time.perf_counter() - t0)

    def __enter__(self) -> NativeMeteor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._pools:
            from evaluation.workers import stop_pools

            self._cpu += self.worker_cpu_seconds()
            stop_pools(self._pools)
            self._pools = []

    def worker_cpu_seconds(self) -> float:
        """CPU seconds of the live worker processes (0 without them)."""
        from evaluation.meteor import cpu_seconds

        procs = [pid for pool in self._pools for pid in pool.pids()]
        return cpu_seconds(procs) if procs else 0.0

    def cpu_seconds(self) -> float:
        """CPU seconds spent scoring so far (this thread and the worker processes)."""
        return self._cpu + self.worker_cpu_seconds()

    @property
    def aligner(self) -> Aligner:
        if self._aligner is None:
            self.lexicon = load_lexicon(self.directory)
            self.paraphrases = ParaphraseTable(self.directory)
            self._aligner = Aligner(self.lexicon, self._stem, self.paraphrases)
        return self._aligner

    def words(self, sentence: str) -> tuple[str, ...]:
        """The jar's view of a sentence: ``-norm``, lower case, whitespace tokens."""
        w = self._norm.get(sentence)
        if w is None:
            text = java_lower(normalize_line(sentence, self.aligner.lexicon.prefixes))
            w = self._norm[sentence] = tuple(split_tokens(text))
        return w

    def use_vocabulary(
        self, sentences: Iterable[str], affinity: Sequence[int] | None = None
    ) -> None:
        """Load at once the paraphrase entries every one of ``sentences`` can use.

        ``sentences``: the strings that will be scored (hypotheses and references). Later
        requests then find their entries loaded; the table does not change under them, so each
        sentence's paraphrase spans are computed once (workers started later load the same).
        Entries are only ever added, so the statistics are those of the whole table (tested).
        With worker processes already started, each of them loads them (in parallel, while
        this process goes on); ``affinity`` (a group per sentence, as in :meth:`stats`) then
        sends a worker only its groups' sentences (others it would load when it meets them).
        """
        if self._pools:
            sentences = list(sentences)
            if affinity is None:
                parts = [set(sentences)] * len(self._pools)
            else:
                parts = [set() for _ in self._pools]
                for s, a in zip(sentences, affinity, strict=True):
                    parts[a % len(parts)].add(s)
            for part, pool in zip(parts, self._pools, strict=True):  # FIFO: before any pair
                pool.submit(_worker_vocabulary, list(part))
            return
        self._add(sentences)

    def _add(self, sentences: Iterable[str]) -> None:
        fields = set()
        for s in sentences:
            fields.add(s.strip(JAVA_TRIM))
            fields.update(f.strip(JAVA_TRIM) for f in s.split("|||"))  # several references
        self._learn({self.words(f) for f in fields})

    def _learn(self, sentences: set[tuple[str, ...]]) -> None:
        """Load the paraphrase entries of the sentences not seen before."""
        fresh = sentences - self._known
        if fresh:
            self.aligner.paraphrases.add_sentences(fresh)
            self._known |= fresh

    def stats(
        self, pairs: Sequence[tuple[str, str]], affinity: Sequence[int] | None = None
    ) -> list[scorer.Stats]:
        """Sufficient statistics of each (hypothesis, reference) pair (tokenised strings).

        ``affinity``: a group number per pair (e.g. its video); with worker processes, a group's
        pairs all go to the same one (group mod workers), so a sentence's per-sentence work
        (stems, synonyms, paraphrase spans) is mostly done by one process. Default: blocks of
        :data:`CHUNK` pairs in turn.
        """
        if self._pools or (self.jobs > 1 and len(pairs) >= self.POOL_MIN_PAIRS):
            return self._pool_stats(pairs, affinity)
        t0 = time.thread_time()
        requests = [_request(h, r) for h, r in pairs]
        sentences = [[self.words(s) for s in req] for req in requests]
        self._learn({s for req in sentences for s in req})
        out = []
        for hyp, *refs in sentences:
            if len(refs) == 1:
                out.append(scorer.stats_of(self.aligner.align(hyp, refs[0])))
                continue
            best, best_score = None, -1.0
            for ref in refs:
                stats = scorer.stats_of(self.aligner.align(hyp, ref))
                value = scorer.score(stats)
                if value > best_score:
                    best, best_score = stats, value
            out.append(best)
        self._cpu += time.thread_time() - t0
        return out

    def _pool_stats(
        self, pairs: Sequence[tuple[str, str]], affinity: Sequence[int] | None
    ) -> list[scorer.Stats]:
        if not self._pools:
            self._start_pools()
        table = self._aligner.paraphrases if self._aligner is not None else None
        if table is not None and self._sent_version != table.version:  # FIFO: before any pair
            state = table.state()
            for pool in self._pools:
                pool.submit(_worker_restore, state)
            self._sent_version = table.version
        if affinity is None:
            affinity = [k // self.CHUNK for k in range(len(pairs))]
        parts: list[list[int]] = [[] for _ in self._pools]
        for k, a in enumerate(affinity):
            parts[a % len(parts)].append(k)
        jobs = []
        for pool, part in zip(self._pools, parts, strict=True):
            for lo in range(0, len(part), self.CHUNK):
                rows = part[lo : lo + self.CHUNK]
                jobs.append((rows, pool.submit(_worker_stats, [pairs[k] for k in rows])))
        out: list = [None] * len(pairs)
        for rows, fut in jobs:
            for k, s in zip(rows, fut.result(), strict=True):
                out[k] = s
        return out

    def _start_pools(self) -> None:
        from evaluation.workers import WorkerPool

        # one process each, so that a group's pairs stay in one process
        self._pools = [WorkerPool(1, _worker_init, (self.directory,)) for _ in range(self.jobs)]
        for pool in self._pools:
            pool.submit(int)  # a task makes the executor start its process now

    def evaluate(self, groups: Sequence[Sequence[scorer.Stats]]) -> list[tuple[float, list[float]]]:
        """``(aggregate, per-pair scores)`` of each non-empty group of statistics."""
        cache = self._scores
        out = []
        for g in groups:
            per_pair = []
            for s in g:
                value = cache.get(s)
                if value is None:
                    if len(cache) > 500_000:
                        cache.clear()
                    value = cache[s] = scorer.score(s)
                per_pair.append(value)
            out.append((scorer.aggregate(g), per_pair))
        return out


def _request(hypothesis: str, reference: str) -> list[str]:
    """(hypothesis, *references) as the jar reads pycocoevalcap's ``SCORE`` line.

    The line is split at ``|||`` (Java's ``split``: trailing empty fields dropped) and each
    field trimmed, so a reference holding ``|||`` becomes several references, as in the jar.
    """
    parts = score_line(hypothesis, [reference]).split("|||")
    while parts and parts[-1] == "":
        parts.pop()
    if len(parts) < 3:
        raise ValueError(f"METEOR request without hypothesis: {hypothesis!r} / {reference!r}")
    fields = [p.strip(JAVA_TRIM) for p in parts]
    return [fields[-1], *fields[1:-1]]


_WORKER: NativeMeteor | None = None


def _worker_init(directory: Path) -> None:
    """A worker's scorer on its parent's index (a fork-server worker's environment is the fork
    server's, not the parent's current one), its lexicon and paraphrase index loaded."""
    from evaluation.workers import worker_init

    global _WORKER
    worker_init()
    _WORKER = NativeMeteor(1, directory=directory)
    _WORKER.aligner.paraphrases.load()


def _worker_vocabulary(sentences: list[str]) -> None:
    """The parent's :meth:`NativeMeteor.use_vocabulary`, run in the worker."""
    assert _WORKER is not None
    _WORKER.use_vocabulary(sentences)


def _worker_restore(state: tuple) -> None:
    """The parent's paraphrase entries (no sentence is read again)."""
    assert _WORKER is not None
    _WORKER.aligner.paraphrases.restore(state)


def _worker_stats(pairs: list[tuple[str, str]]) -> list[scorer.Stats]:
    assert _WORKER is not None
    return _WORKER.stats(pairs)
