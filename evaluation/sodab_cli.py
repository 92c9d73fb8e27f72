"""`compmo-eval sodab PRED --gt GT`: SODA(B), optionally merged into `compmo-eval`'s outputs.

Takes the options of ``compmo-eval score``. With ``--out FILE`` (a ``compmo-eval --out`` file) the SODA(B) numbers and the BERTScore
settings are added to that file's ``metrics`` and ``signature``; with ``--per-video FILE`` each
video's SODA(B) (P, R, F) is added to that JSON-lines file's records (created when absent).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from compmo_gen.annotations import sha256_file, write_atomic
from compmo_gen.cliutil import UserError

if TYPE_CHECKING:
    from evaluation.bertscore import SodaB

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    from evaluation import score_cli

    score_cli.configure(parser)  # the same inputs, protocol and BERTScore options as `score`
    parser.set_defaults(out=None, per_video=None)
    for action in parser._actions:
        if action.dest == "out":
            action.help = "results.json of `compmo-eval --out`: SODA(B) is added to it (or created)"
        elif action.dest == "per_video":
            action.help = "per-video JSON lines: SODA(B) is added to each record (or created)"
        elif action.dest == "sodab":
            action.help = argparse.SUPPRESS  # this command always computes SODA(B)


def _read_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read results ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
        raise UserError(f"{path}: field 'metrics': not a compmo-eval results file")
    return doc


def merge_results(path: Path, res: SodaB, signature: dict, protocol: str) -> None:
    """Add SODA(B) to a results file (created when absent), refusing one of another protocol."""
    doc = (
        _read_json(path) if path.exists() else {"signature": {"protocol": protocol}, "metrics": {}}
    )
    theirs = doc.get("signature", {}).get("protocol")
    if theirs is not None and theirs != protocol:
        raise UserError(
            f"{path}: field 'signature.protocol' is {theirs!r}, SODA(B) ran {protocol!r}"
        )
    for key in ("gt_sha256", "predictions_sha256"):
        theirs = doc.get("signature", {}).get(key)
        if theirs is not None and key in signature and theirs != signature[key]:
            raise UserError(f"{path}: field 'signature.{key}' differs: scored on other files")
    doc["metrics"].update(
        {"SODA_B": res.score, "SODA_B_precision": res.precision, "SODA_B_recall": res.recall}
    )
    doc.setdefault("signature", {}).update(signature)
    write_atomic(path, json.dumps(doc, indent=2) + "\n")


def merge_per_video(path: Path, res: SodaB) -> None:
    """Add ``"SODA_B": {"P", "R", "F"}`` (null when not counted) to every per-video record."""
    records: list[dict] = []
    if path.exists():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    raise UserError(f"{path}: line {n}: not JSON") from None
    seen = set()
    for rec in records:
        vid = rec.get("id")
        if vid in res.per_video:
            prf = res.per_video[vid]
            rec["SODA_B"] = None if prf is None else dict(zip("PRF", prf))
            seen.add(vid)
    for vid, prf in res.per_video.items():
        if vid not in seen:
            records.append({"id": vid, "SODA_B": None if prf is None else dict(zip("PRF", prf))})
    write_atomic(path, "".join(json.dumps(r) + "\n" for r in records))


def run(args: argparse.Namespace) -> int:
    from evaluation.bertscore import BertScoreRecall, soda_b
    from evaluation.javatools import java_executable
    from evaluation.score_cli import eval_config, load_inputs

    if args.tokenizer == "java":
        java_executable()
    scorer = BertScoreRecall.from_args(args)  # fails fast, before any file is read
    gt, pred = load_inputs(args)
    cfg = eval_config(args)
    res = soda_b(gt.annotations, pred.annotations, scorer, unparseable=pred.report.unparseable,
                 cfg=cfg)  # fmt: skip
    print(
        f"SODA(B) {res.score:.4f}  (P {res.precision:.4f}, R {res.recall:.4f}; x100, "
        f"{res.counted} videos, {scorer.hash})"
    )
    if args.out:
        inputs = {
            "gt_sha256": sha256_file(args.gt),
            "predictions_sha256": sha256_file(args.predictions),
        }
        merge_results(Path(args.out), res, {**scorer.signature(), **inputs}, args.protocol)
        print(f"added SODA(B) to {args.out}")
    if args.per_video:
        merge_per_video(Path(args.per_video), res)
        print(f"added per-video SODA(B) to {args.per_video}")
    return 0
