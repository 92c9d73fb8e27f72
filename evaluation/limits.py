"""Long captions: scored whole on every path, as the reference evaluators score them.

No caption is cut or dropped before scoring: densevid_eval, SODA and DEMO's scripts score every
caption whole, so compmo-eval does too (BLEU, METEOR, ROUGE-L, CIDEr-D, SODA_c, SODA(B)).

The one danger is METEOR 1.5's jar: its aligner grows about cubically with a pair's words
(a 930 x 930-word pair of a small vocabulary takes it 18 s) and its heap is pycocoevalcap's
2 GB, so one huge pair can stall or kill the JVM for the whole run; a long hypothesis of
repeated words runs it out of memory against a short reference too (5,000 x 20 words of one
word, 50,000 x 1; 3,000 x 20 and 1,000 x 250 still pass). On the Java path (``--meteor java``)
such a pair (:func:`endangers_jvm`) is scored by the native METEOR instead:
its statistics equal the jar's by construction (the same algorithm, tested on pairs of 1,000 to
20,000 characters and on every DEMO release pair), so the text is never altered and the numbers
are the jar's. Each pair so routed is counted (``meteor_pairs_native``) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

#: On the Java path a pair whose hypothesis words times reference words exceed this is scored
#: natively (500 x 500 words: about 2,500-3,000 characters each).
JVM_MAX_WORD_PRODUCT = 250_000
#: ... and so is a pair whose hypothesis or a reference has more words than this.
JVM_MAX_WORDS = 1_000


def endangers_jvm(hypothesis: str, reference: str) -> bool:
    """Whether the jar should not align this pair (its words product, or one side's words, is
    above its bound).

    ``reference`` may hold several references joined by ``|||`` (a paragraph request): each is
    aligned with the hypothesis, so the largest counts."""
    n = len(hypothesis.split())
    if n == 0:
        return False
    most = max(len(r.split()) for r in reference.split("|||"))
    return n * most > JVM_MAX_WORD_PRODUCT or max(n, most) > JVM_MAX_WORDS


class GuardedMeteor:
    """A Java METEOR backend whose pairs that :func:`endangers_jvm` go to the native scorer.

    Statistics come back as the jar's strings (the native ones written with ``repr``, which the
    jar's ``Double.parseDouble`` reads back to the same doubles), so ``evaluate`` (always the
    jar's) gives the jar's aggregates. Everything else is the wrapped backend's.
    """

    def __init__(self, jar: Any) -> None:
        self.jar = jar
        self.native: Any = None
        self.routed = 0
        self.description = jar.description

    def __enter__(self) -> GuardedMeteor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:  # use_vocabulary, cpu_seconds, _request, ...
        return getattr(self.jar, name)

    def stats(
        self, pairs: Sequence[tuple[str, str]], affinity: Sequence[int] | None = None
    ) -> list[str]:
        far = [k for k, (h, r) in enumerate(pairs) if endangers_jvm(h, r)]
        if not far:
            return self.jar.stats(pairs, affinity)
        if self.native is None:
            from evaluation.meteor_native import NativeMeteor

            self.native = NativeMeteor(1)
        skip = set(far)
        near = [k for k in range(len(pairs)) if k not in skip]
        out: list[str] = [""] * len(pairs)
        got = self.jar.stats(
            [pairs[k] for k in near], None if affinity is None else [affinity[k] for k in near]
        )
        for k, s in zip(near, got, strict=True):
            out[k] = s
        for k, s in zip(far, self.native.stats([pairs[k] for k in far]), strict=True):
            out[k] = " ".join(repr(float(x)) for x in s)
        self.routed += len(far)
        log.info(
            "METEOR: %d long pair(s) (words product > %d or one side > %d words) scored by the "
            "native METEOR, which equals the jar, to spare the JVM",
            len(far), JVM_MAX_WORD_PRODUCT, JVM_MAX_WORDS,
        )  # fmt: skip
        return out

    def evaluate(self, groups: Sequence[Sequence[str]]) -> list[tuple[float, list[float]]]:
        return self.jar.evaluate(groups)

    def cpu_seconds(self) -> float:
        extra = self.native.cpu_seconds() if self.native is not None else 0.0
        return self.jar.cpu_seconds() + extra

    def close(self) -> None:
        if self.native is not None:
            self.native.close()
        self.jar.close()
