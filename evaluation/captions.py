"""BLEU@1-4, ROUGE-L and CIDEr-D of one group of (hypothesis, reference) pairs, by pycocoevalcap.

The group is one video at one tIoU in the ActivityNet protocol: BLEU is corpus-level over the
group, ROUGE-L and CIDEr-D are means over its pairs, CIDEr-D's IDF comes from the group's
references only. These are pycocoevalcap's own scorer classes, called as densevid_eval calls them.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Names of the n-gram/LCS metrics, in report order.
NGRAM_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr")


class CaptionScorer:
    """Holds one instance of each pycocoevalcap scorer (they keep no state between calls)."""

    def __init__(self) -> None:
        from pycocoevalcap.bleu.bleu import Bleu
        from pycocoevalcap.cider.cider import Cider
        from pycocoevalcap.rouge.rouge import Rouge

        self.bleu, self.rouge, self.cider = Bleu(4), Rouge(), Cider()

    def score(self, pairs: Sequence[tuple[str, str]]) -> tuple[float, ...]:
        """Scores of the tokenised ``pairs`` in :data:`NGRAM_METRICS` order (zeros if empty)."""
        if not pairs:
            return (0.0,) * len(NGRAM_METRICS)
        res = {i: [h] for i, (h, _) in enumerate(pairs)}
        gts = {i: [r] for i, (_, r) in enumerate(pairs)}
        bleu, _ = self.bleu.compute_score(gts, res, verbose=0)
        rouge, _ = self.rouge.compute_score(gts, res)
        cider, _ = self.cider.compute_score(gts, res)
        return (*(float(b) for b in bleu), float(rouge), float(cider))
