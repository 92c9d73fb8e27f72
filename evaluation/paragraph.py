"""Paragraph-level captioning metrics as PDVC computes them (``densevid_eval3/para_evaluate.py``).

Each video's predicted segments become one paragraph (their sentences in file order, each followed
by ``". "``) and are scored against one reference paragraph per reference set holding the video
(pycocoevalcap's multi-reference BLEU@1-4, METEOR 1.5, ROUGE-L and CIDEr-D, corpus-level over all
videos). No PTB tokenizer: every character that is not an ASCII letter becomes a space, then
lower case and whitespace splitting (``parse_sent``). The video set is the union of the reference
sets; a video without predictions is scored with an empty paragraph. Ids are aligned as PDVC does:
a file whose first id lacks ``v_`` gets ``v_`` prepended to every id.

Reference paragraphs come from PDVC's ``{id: paragraph}`` files or, for dense ground truth, the
sentences joined by ``". "`` in file order (PDVC's ``convert_to_para.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

PARA_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")


def parse_sent(text: str) -> list[str]:
    """PDVC's ``parse_sent``: non-letters to spaces, lower case, split."""
    return re.sub("[^a-zA-Z]", " ", text).strip().lower().split()


def ensure_v_prefix(ids: Mapping[str, Any]) -> dict[str, Any]:
    """PDVC's ``ensure_caption_key``: when the first id lacks ``v_``, prefix every id."""
    if not ids:
        return dict(ids)
    if not next(iter(ids)).startswith("v_"):
        return {"v_" + k: v for k, v in ids.items()}
    return dict(ids)


def prediction_paragraph(sentences: Sequence[str]) -> str:
    return "".join(s + ". " for s in sentences)


def dense_to_paragraph(sentences: Sequence[str]) -> str:
    """PDVC's ``convert_to_para.py``: the GT sentences joined by ``". "``."""
    return ". ".join(sentences)


def paragraph_inputs(
    references: Sequence[Mapping[str, str]], predictions: Mapping[str, Sequence[str]]
) -> tuple[list[str], dict[int, list[str]], dict[int, list[str]]]:
    """(video ids, gts, res) exactly as ``para_evaluate.ANETcaptions.evaluate_para`` builds them."""
    refs = [ensure_v_prefix(r) for r in references]
    paras = ensure_v_prefix({k: prediction_paragraph(v) for k, v in predictions.items()})
    vids = list(dict.fromkeys(k for r in refs for k in r))
    gts = {i: [" ".join(parse_sent(r[k])) for r in refs if k in r] for i, k in enumerate(vids)}
    res = {
        i: [" ".join(parse_sent(paras[k]))] if k in paras and len(paras[k]) > 0 else [""]
        for i, k in enumerate(vids)
    }
    return vids, gts, res


def paragraph_scores(
    references: Sequence[Mapping[str, str]],
    predictions: Mapping[str, Sequence[str]],
    meteor: Any,
) -> dict[str, float]:
    """Every metric (fractions) and the number of videos; ``meteor`` is an open
    :func:`evaluation.meteor.open_meteor` backend (not closed here)."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    vids, gts, res = paragraph_inputs(references, predictions)
    if not vids:
        return {**dict.fromkeys(PARA_METRICS, 0.0), "videos": 0}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    keys = list(gts)
    # one multi-reference SCORE line per video (the jar's "ref1 ||| ref2 ||| hyp")
    stats = meteor.stats([(res[i][0], " ||| ".join(gts[i])) for i in keys])
    ((met, _),) = meteor.evaluate([stats])
    out = dict(zip(PARA_METRICS[:4], map(float, bleu), strict=True))
    out.update(METEOR=float(met), ROUGE_L=float(rouge), CIDEr=float(cider), videos=len(vids))
    return out
