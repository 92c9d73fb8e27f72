"""Per-sequence error analysis of a model's boundaries (evaluation/boundaries.py).

    python -m scripts.error_analysis PRED GT [--name NAME] [--json OUT.json] [--md OUT.md]
        [--png OUT.png] [--snap 0.4] [--durations F | --motion-root DIR]

PRED: a ``predictions.json`` (compmo-infer / ActivityNet submission) or any prediction file that
``compmo-eval`` reads; GT: the ground truth (``annotations/test.json`` or DEMO's ``test.json``).
Prints the markdown summary (first-boundary histogram, boundary-error median / mean / p90,
segment-count accuracy, share of the most common first boundary). ``--snap S`` first moves every
predicted start to the nearest multiple of S seconds (modeling.timeaware.snap_segments).
A GT of DEMO strings (``stage-json test``'s ``test.json``) needs the motions' durations, as in
``compmo-eval``: ``--durations`` (``{id: seconds}`` JSON) or ``--motion-root`` (the ``<id>.npy`` folder).
Exit 2 with a one-line error on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compmo_gen.core.errors import CompmoError  # noqa: E402
from compmo_gen.core.formats import load_annotations, read_durations  # noqa: E402
from compmo_gen.core.segments import DenseAnnotation  # noqa: E402
from evaluation.boundaries import analyse, markdown, plot  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pred")
    ap.add_argument("gt")
    ap.add_argument("--name", default=None, help="name in the summary's title")
    ap.add_argument("--json", help="write the full result (histograms included) here")
    ap.add_argument("--md", help="write the markdown summary here")
    ap.add_argument("--png", help="first-boundary histogram (needs matplotlib)")
    ap.add_argument("--snap", type=float, help="snap predicted starts to this grid (s) first")
    ap.add_argument(
        "--grid", type=float, help="also the GT's top first-boundary share on this grid (s)"
    )
    ap.add_argument(
        "--durations", help="{id: seconds} JSON closing a DEMO-string GT's last segment"
    )
    ap.add_argument(
        "--motion-root", help="folder of <id>.npy motions (durations of a DEMO-string GT)"
    )
    args = ap.parse_args(argv)
    try:
        known = read_durations(args.durations) if args.durations else None
        gt = load_annotations(args.gt, role="gt", durations=known, motion_root=args.motion_root)
        durations = {k: a.duration for k, a in gt.annotations.items() if a.duration is not None}
        pred = load_annotations(args.pred, role="pred", durations=durations)
    except (CompmoError, OSError, ValueError) as exc:
        print(f"error_analysis: {exc}", file=sys.stderr)
        return 2
    anns = dict(pred.annotations)
    if args.snap:
        from modeling.timeaware import snap_segments

        anns = {
            k: DenseAnnotation(k, a.duration, snap_segments(a.segments, a.duration, args.snap)[0])
            for k, a in anns.items()
        }
    result = analyse(anns, gt.annotations, grid=args.grid or args.snap)
    result["pred_file"], result["gt_file"] = str(args.pred), str(args.gt)
    text = markdown(result, args.name or Path(args.pred).parent.name or args.pred)
    print(text, end="")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.md:
        Path(args.md).write_text(text, encoding="utf-8")
    if args.png:
        plot(result, args.png, args.name or "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
