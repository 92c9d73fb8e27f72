"""`compmo-eval convert IN OUT --to FORMAT`: convert dense annotations between formats."""

from __future__ import annotations

import argparse
import logging

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError, UserError
from compmo_gen.core.formats import (
    FORMATS,
    dump_annotations,
    file_content,
    load_annotations,
    read_durations,
)
from compmo_gen.core.options import positive_float
from compmo_gen.core.segments import Role

log = logging.getLogger(__name__)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that reads annotation files (durations, format, leniency)."""
    parser.add_argument(
        "--fmt", default="auto", choices=("auto", *FORMATS), help="input format (default: detect)"
    )
    parser.add_argument("--durations", help="JSON {id: seconds}, or a folder of <id>.npy motions")
    parser.add_argument("--motion-root", help="folder holding the motions named by DEMO records")
    parser.add_argument(
        "--fps", type=positive_float, default=FPS, help=f"motion frame rate (default {FPS:g})"
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="skip bad records (counted and reported) instead of failing",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="annotation file to read")
    parser.add_argument("output", help="file to write")
    parser.add_argument("--to", required=True, choices=FORMATS, help="output format")
    parser.add_argument(
        "--role",
        choices=("gt", "pred"),
        default=None,
        help="read the input as ground truth (validated) or predictions (default: from --to "
        "anet-gt/anet-pred, else from the records: DEMO 'generated' strings or a submission "
        "are predictions, anything else ground truth)",
    )
    parser.add_argument(
        "--motion-template", default="motions/{id}.npy", help="motion path written in DEMO records"
    )
    add_input_arguments(parser)


def input_role(path: str, fmt: str, to: str, role: Role | None = None) -> tuple[str, Role]:
    """(the input's format, its role): ``role`` if given, else what its records hold, else what
    the output format implies (``anet-pred``: predictions), else ground truth. DEMO records holding
    both strings follow the output format (``generated`` unless it is ``anet-gt``)."""
    fmt, content = file_content(path, fmt)
    if content == "results":
        raise AnnotationError(path, None, None, "is a compmo-eval result file, not annotations")
    if role is not None:
        return fmt, role
    if content == "pred" and to == "anet-gt":
        raise AnnotationError(
            path, None, None,
            "holds predictions, and anet-gt is a ground-truth format: convert to anet-pred, "
            "demo or stmc",
        )  # fmt: skip
    if content == "both":
        role = "gt" if to == "anet-gt" else "pred"
        log.info("%s: records hold 'gt' and 'generated'; converting %s (--role to choose)",
                 path, "'gt'" if role == "gt" else "'generated'")  # fmt: skip
        return fmt, role
    if content == "pred" or to == "anet-pred":
        return fmt, "pred"
    return fmt, "gt"


def run(args: argparse.Namespace) -> int:
    durations = read_durations(args.durations, fps=args.fps) if args.durations else None
    # The format comes back resolved: the role is chosen here (or by --role), not checked again.
    fmt, role = input_role(args.input, args.fmt, args.to, args.role)
    aset = load_annotations(
        args.input,
        role=role,
        fmt=fmt,
        durations=durations,
        motion_root=args.motion_root,
        fps=args.fps,
        lenient=args.lenient,
    )
    try:
        dump_annotations(
            aset.annotations.values(),
            args.output,
            fmt=args.to,
            role=role,
            motion_template=args.motion_template,
        )
    except ValueError as exc:
        raise UserError(f"{args.input}: cannot write as {args.to}: {exc}") from None
    log.info(
        "%s (%s) -> %s (%s): %s", args.input, aset.fmt, args.output, args.to, aset.report.summary()
    )
    for msg in aset.report.skipped:
        log.warning("skipped: %s", msg)
    print(f"wrote {len(aset.annotations)} annotations to {args.output} ({aset.report.summary()})")
    return 0
