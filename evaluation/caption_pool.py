"""BLEU@1-4, ROUGE-L and CIDEr-D of many groups, in this process or in worker processes.

The n-gram metrics are pure functions of a group, so where they run changes no number (tested).
On a large evaluation they go to ``jobs`` worker processes, leaving the main process free to
plan videos and feed METEOR (its thread then does not wait for the interpreter lock behind
them); a small evaluation scores them in this process, where starting workers would cost more
than it saves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evaluation.captions import CaptionScorer
from evaluation.plan import Pair

Group = tuple[Pair, ...]
Scores = dict[Group, tuple[float, ...]]

_SCORER: CaptionScorer | None = None


def _score(groups: Sequence[Group]) -> list[tuple[float, ...]]:
    """A worker's task: the scores of ``groups`` (its scorer's caches live as long as it does)."""
    global _SCORER
    if _SCORER is None:
        _SCORER = CaptionScorer()
    return [_SCORER.score(g) for g in groups]


class CaptionWork:
    """``submit(groups)`` returns a function giving ``{group: scores}`` once they are ready."""

    def __init__(self, jobs: int, parallel: bool) -> None:
        self.jobs = max(1, jobs)
        self._pool = None
        self._local = CaptionScorer()
        if parallel and self.jobs > 1:
            from evaluation.workers import WorkerPool

            self._pool = WorkerPool(self.jobs)

    def submit(self, groups: Sequence[Group]) -> Callable[[], Scores]:
        groups = list(groups)
        if self._pool is None or len(groups) < 2 * self.jobs:
            done = {g: self._local.score(g) for g in groups}
            return lambda: done
        size = -(-len(groups) // self.jobs)
        parts = [groups[k : k + size] for k in range(0, len(groups), size)]
        futures = [self._pool.submit(_score, p) for p in parts]

        def result() -> Scores:
            out: Scores = {}
            for part, fut in zip(parts, futures, strict=True):
                out.update(zip(part, fut.result(), strict=True))
            return out

        return result

    def close(self) -> None:
        if self._pool is not None:
            from evaluation.workers import stop_pools

            stop_pools([self._pool])
            self._pool = None
