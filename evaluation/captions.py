"""BLEU@1-4, ROUGE-L and CIDEr-D of one group of (hypothesis, reference) pairs, by pycocoevalcap.

The group is one video at one tIoU in the ActivityNet protocol: BLEU is corpus-level over the
group, ROUGE-L and CIDEr-D are means over its pairs, CIDEr-D's IDF comes from the group's
references only. BLEU and ROUGE-L are computed by pycocoevalcap's own code; what depends on one pair alone
(BLEU's n-gram "cooking", ROUGE-L's LCS score) is computed once per distinct pair and handed to a
fresh ``BleuScorer`` exactly as its ``+=`` would. CIDEr-D comes from :mod:`evaluation.ciderd`,
pycocoevalcap's arithmetic on plain floats (equal bit for bit, tested against ``Cider``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evaluation.ciderd import CiderD

#: Names of the n-gram/LCS metrics, in report order.
NGRAM_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr")
_CACHE_LIMIT = 500_000


class CaptionScorer:
    """pycocoevalcap's BLEU(4), ROUGE-L and CIDEr-D with per-pair work cached."""

    def __init__(self) -> None:
        from pycocoevalcap.rouge.rouge import Rouge

        self.rouge = Rouge()
        self.cider = CiderD()
        self._pair: dict[tuple[str, str], tuple[Any, Any, float]] = {}

    def _cooked(self, hyp: str, ref: str) -> tuple[Any, Any, float]:
        from pycocoevalcap.bleu.bleu_scorer import cook_refs, cook_test

        got = self._pair.get((hyp, ref))
        if got is None:
            if len(self._pair) > _CACHE_LIMIT:
                self._pair.clear()
            crefs = cook_refs([ref])
            got = (crefs, cook_test(hyp, crefs), self.rouge.calc_score([hyp], [ref]))
            self._pair[(hyp, ref)] = got
        return got

    def score(self, pairs: Sequence[tuple[str, str]]) -> tuple[float, ...]:
        """Scores of the tokenised ``pairs`` in :data:`NGRAM_METRICS` order (zeros if empty)."""
        from pycocoevalcap.bleu.bleu_scorer import BleuScorer

        if not pairs:
            return (0.0,) * len(NGRAM_METRICS)
        bleu = BleuScorer(n=4)
        rouge = []
        for hyp, ref in pairs:
            crefs, ctest, r = self._cooked(hyp, ref)
            bleu.crefs.append(crefs)
            bleu.ctest.append(ctest)
            rouge.append(r)
        b, _ = bleu.compute_score(option="closest", verbose=0)
        c = self.cider.score(pairs)
        return (*(float(x) for x in b), float(np.mean(np.array(rouge))), c)


def score_plain(pairs: Sequence[tuple[str, str]]) -> tuple[float, ...]:
    """The same numbers the obvious way (pycocoevalcap's wrappers, nothing cached); for tests."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    if not pairs:
        return (0.0,) * len(NGRAM_METRICS)
    res = {i: [h] for i, (h, _) in enumerate(pairs)}
    gts = {i: [r] for i, (_, r) in enumerate(pairs)}
    b, _ = Bleu(4).compute_score(gts, res, verbose=0)
    r, _ = Rouge().compute_score(gts, res)
    c, _ = Cider().compute_score(gts, res)
    return (*(float(x) for x in b), float(r), float(c))
