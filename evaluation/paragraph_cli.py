"""`compmo-eval paragraph`: PDVC's paragraph-level BLEU@1-4, METEOR, ROUGE-L and CIDEr-D.

compmo-eval paragraph predictions.json --gt para_1.json [para_2.json ...] [--out results.json]

Each ``--gt`` file is a reference set: PDVC's ``{id: paragraph}`` files
(``anet_entities_val_1_para.json``, ``para_yc2_val.json``) or dense ground truth of any supported
format (its sentences joined by ". ", as PDVC's ``convert_to_para.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from compmo_gen.core.errors import AnnotationError, UserError
from compmo_gen.core.io import check_writable, load_json, sha256_file, write_atomic
from evaluation.config import default_jobs

log = logging.getLogger(__name__)

#: Default of ``--max-words``: the longest paragraph scored (ActivityNet's longest is ~300 words;
#: 500 sentences in one video took over two minutes of METEOR).
MAX_PARAGRAPH_WORDS = 2000


def configure(parser: argparse.ArgumentParser) -> None:

    parser.add_argument("predictions", help="predictions (ActivityNet submission, caption-pred)")
    parser.add_argument(
        "--gt", required=True, nargs="+", metavar="GT", help="reference paragraphs (one set each)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="METEOR scoring threads, at most the usable cores (default: min(4, cores))",
    )
    parser.add_argument(
        "--max-words",
        type=int,
        default=MAX_PARAGRAPH_WORDS,
        help=f"refuse a video whose paragraph (predicted or reference) has more words than this; "
        f"METEOR's time grows fast with length (0: no limit; default {MAX_PARAGRAPH_WORDS})",
    )
    parser.add_argument("--out", help="write the metrics and the signature as JSON")


def _check_lengths(file: str, paragraphs: dict[str, str], limit: int) -> None:
    """One-line error for the first paragraph of more than ``limit`` words (0: no limit)."""
    if limit <= 0:
        return
    for vid, text in paragraphs.items():
        words = len(text.split())
        if words > limit:
            raise AnnotationError(
                file, vid, None,
                f"paragraph of {words} words exceeds --max-words {limit} (METEOR's time grows "
                "fast with length; raise --max-words to score it anyway, 0: no limit)",
            )  # fmt: skip


def _read_reference(path: str) -> dict[str, str]:
    """``{id: paragraph}``: a PDVC paragraph file, or dense GT turned into paragraphs."""
    from compmo_gen.core.formats.extra import load_any
    from evaluation.paragraph import dense_to_paragraph

    obj = load_json(path)
    if isinstance(obj, dict) and obj and all(isinstance(v, str) for v in obj.values()):
        return obj
    out: dict[str, str] = {}
    for aset in load_any(path, role="gt", past_duration="keep"):
        for vid, ann in aset.annotations.items():
            out.setdefault(vid, dense_to_paragraph([s.caption for s in ann.segments]))
    return out


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.formats.extra import align_prediction_ids, load_any
    from compmo_gen.core.procs import clamp_jobs
    from evaluation.limits import GuardedMeteor
    from evaluation.meteor_driver import open_meteor
    from evaluation.paragraph import PARA_METRICS, paragraph_scores

    if args.jobs < 1:
        raise UserError(f"--jobs {args.jobs}: use at least 1")
    check_writable(args.out)  # an unwritable --out fails now, not after METEOR
    refs = [_read_reference(p) for p in args.gt]
    pred = load_any(args.predictions, role="pred")[0]
    align_prediction_ids(pred, {k for r in refs for k in r})
    log.info("predictions: %s", pred.report.summary())
    sentences = {v: [s.caption for s in a.segments] for v, a in pred.annotations.items()}
    for path, ref in zip(args.gt, refs, strict=True):
        _check_lengths(path, ref, args.max_words)
    _check_lengths(args.predictions, {v: " ".join(s) for v, s in sentences.items()}, args.max_words)
    meteor = GuardedMeteor(open_meteor(clamp_jobs(args.jobs)))
    try:
        scores = paragraph_scores(refs, sentences, meteor)
    finally:
        meteor.close()
    print(f"compmo-eval paragraph (PDVC para_evaluate, x100, {scores['videos']} videos)")
    for m in PARA_METRICS:
        print(f"  {m:<8} {100 * scores[m]:10.4f}")
    if args.out:
        doc = {
            "signature": {
                "protocol": "PDVC paragraph (parse_sent, multi-reference pycocoevalcap)",
                "gt": [Path(g).name for g in args.gt],
                "gt_sha256": [sha256_file(g) for g in args.gt],
                "predictions_sha256": sha256_file(args.predictions),
                "normalised": dict(pred.report.counts),
            },
            "metrics": {m: 100 * scores[m] for m in PARA_METRICS},
            "videos": scores["videos"],
        }
        write_atomic(Path(args.out), json.dumps(doc, indent=2) + "\n")
    return 0
