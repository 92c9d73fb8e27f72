"""The native METEOR backend: the request interface of :class:`evaluation.meteor.MeteorRequests`."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from compmo_gen.cliutil import UserError
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


def _stemmer():
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("snowballstemmer")
    except PackageNotFoundError:
        found = None
    if found != SNOWBALL_VERSION:
        raise UserError(
            f"native METEOR needs snowballstemmer=={SNOWBALL_VERSION} (found {found}; later "
            "releases changed the English stemmer): pip install 'compmo[eval]', or --meteor java"
        )
    import snowballstemmer

    return snowballstemmer.stemmer("english").stemWord


class NativeMeteor:
    """METEOR 1.5 ``-l en -norm`` in this process; statistics are tuples, scores floats."""

    description = "native METEOR 1.5 (evaluation.meteor_native, -l en -norm)"

    def __init__(self, jobs: int = 1) -> None:
        t0 = time.perf_counter()
        stem = _stemmer()
        directory = index_dir()
        self.lexicon = load_lexicon(directory)
        self.paraphrases = ParaphraseTable(directory)
        self.aligner = Aligner(self.lexicon, stem, self.paraphrases)
        self._norm: dict[str, tuple[str, ...]] = {}
        self._cpu = 0.0
        log.debug("native METEOR ready in %.2f s", time.perf_counter() - t0)

    def __enter__(self) -> NativeMeteor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (present for the backend interface)."""

    def cpu_seconds(self) -> float:
        """CPU seconds spent scoring so far."""
        return self._cpu

    def words(self, sentence: str) -> tuple[str, ...]:
        """The jar's view of a sentence: ``-norm``, lower case, whitespace tokens."""
        w = self._norm.get(sentence)
        if w is None:
            text = java_lower(normalize_line(sentence, self.lexicon.prefixes))
            w = self._norm[sentence] = tuple(split_tokens(text))
        return w

    def stats(self, pairs: Sequence[tuple[str, str]]) -> list[scorer.Stats]:
        """Sufficient statistics of each (hypothesis, reference) pair (tokenised strings)."""
        t0 = time.process_time()
        requests = [_request(h, r) for h, r in pairs]
        sentences = [[self.words(s) for s in req] for req in requests]
        self.paraphrases.add_sentences({s for req in sentences for s in req})
        out = []
        for hyp, *refs in sentences:
            best, best_score = None, -1.0
            for ref in refs:
                stats = scorer.stats_of(self.aligner.align(hyp, ref))
                value = scorer.score(stats)
                if value > best_score:
                    best, best_score = stats, value
            out.append(best)
        self._cpu += time.process_time() - t0
        return out

    def evaluate(self, groups: Sequence[Sequence[scorer.Stats]]) -> list[tuple[float, list[float]]]:
        """``(aggregate, per-pair scores)`` of each non-empty group of statistics."""
        return [(scorer.aggregate(g), [scorer.score(s) for s in g]) for g in groups]


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
