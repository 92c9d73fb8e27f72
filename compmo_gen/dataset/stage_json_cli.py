"""`compmo-gen stage-json`: regenerate DEMO's stage-1 / stage-2 / test files, or re-root them.

compmo-gen stage-json stage1 --dataset DS [--split train]      every segment of every sequence
compmo-gen stage-json stage1 --humanml3d H3D [--split train,val]  every caption of every clip
compmo-gen stage-json stage2 --dataset DS [--split train]      stage-2 prompts + start-time targets
compmo-gen stage-json test   --dataset DS [--split test]       {id, motion, gt}
compmo-gen stage-json reroot FILE --motion-root DIR --out OUT  rewrite motion paths (checked)
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from compmo_gen.core import stage_files as sf
from compmo_gen.core.errors import UserError
from compmo_gen.dataset import stage_json as sj

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=["stage1", "stage2", "test", "reroot"])
    parser.add_argument("file", nargs="?", help="reroot: the stage file to rewrite")
    parser.add_argument("--dataset", type=Path, help="a built dataset folder (compmo-gen build)")
    parser.add_argument("--humanml3d", type=Path, help="stage1: a HumanML3D folder instead")
    parser.add_argument("--split", help="split name(s), comma separated")
    parser.add_argument("--motion-root", type=Path, help="reroot: folder holding the motions")
    parser.add_argument(
        "--out",
        type=Path,
        help="output file (default: <dataset>/<kind>.json, recorded with its hash in "
        "<dataset>/derived.json so that `compmo-gen validate` checks it)",
    )


def run(args: argparse.Namespace) -> int:
    if args.kind == "reroot":
        if not args.file or args.motion_root is None or args.out is None:
            raise UserError("reroot needs FILE, --motion-root and --out")
        records = sf.read_stage_file(args.file)
        out = sf.rewrite_motion_root(
            records, file=args.file, root=args.motion_root, relative_to=args.out.parent
        )
        n = sf.write_stage_file(out, args.out)
        log.info("re-rooted %d records under %s -> %s", n, args.motion_root, args.out)
        return 0
    skipped: dict[str, int] = {}
    if args.kind == "stage1" and args.humanml3d is not None:
        if args.out is None:
            raise UserError("--humanml3d needs --out")
        splits = (args.split or "train,val").split(",")
        records = sj.stage1_from_humanml3d(args.humanml3d, splits, args.out.parent, skipped)
    else:
        if args.dataset is None:
            raise UserError(f"{args.kind} needs --dataset (or --humanml3d for stage1)")
        split = args.split or ("test" if args.kind == "test" else "train")
        out = args.out or args.dataset / f"{args.kind}.json"
        args.out = out
        if args.kind == "stage1":
            records = sj.stage1_from_dataset(args.dataset, split, out.parent)
        else:
            records = sj.stage2_from_dataset(
                args.dataset, split, out.parent, test=args.kind == "test"
            )
    from compmo_gen.core.io import remove_stale_siblings

    remove_stale_siblings(args.out)  # what an interrupted run of the same command left
    if args.dataset is not None:
        remove_stale_siblings(args.dataset / "derived.json")
    n = sf.write_stage_file(records, args.out)
    log.info("wrote %d %s records to %s", n, args.kind, args.out)
    if args.dataset is not None:
        from compmo_gen.dataset.files import DERIVED, record_derived

        meta = {"command": f"stage-json {args.kind}", "split": args.split, "records": n}
        if record_derived(args.dataset, args.out, meta):
            log.info("recorded %s in %s (validate checks it)", args.out.name, DERIVED)
    if skipped:
        log.warning("skipped: %s", ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())))
    print(f"{args.out}: {n} records" + (f" (skipped {sum(skipped.values())})" if skipped else ""))
    return 0
