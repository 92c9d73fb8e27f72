"""`compmo-infer --run RUN --data FILE --out DIR`: batched dense captioning with a trained run.

The decoding options are the keys of ``GenerationConfig`` (modeling/config.py), generated with
their help; ``--config`` / ``--set`` read them from YAML / ``key=value`` as ``compmo-train`` does.
``--shards N`` (``--devices N``): data-parallel over N worker processes (modeling/infer_parallel.py).
``--motion FILE...`` captions your own motion files (imported on the fly, ``--render`` draws them);
keys set nowhere take the run's decoding (``prompt.json`` of an imported DEMO run); ``auto``
batch size and new-token bound depend on the device (modeling/resources.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import re

from compmo_gen.core.config_cli import add_options
from compmo_gen.core.options import int_in
from modeling.config import GenerationConfig
from modeling.resources import THREADS_RULE


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run", required=True, help="a compmo-train run folder (stage 2, or merged)"
    )
    parser.add_argument("--data", help="a stage or test JSON file ({id, motion, gt})")
    parser.add_argument("--motion", nargs="+", help="your own motion files (.bvh, .npz, .npy), imported on the fly")  # fmt: skip
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--motion-root", help="folder the motion paths resolve in")
    parser.add_argument(
        "--shards",
        "--devices",
        type=int,
        default=1,
        metavar="N",
        help="data-parallel: N worker processes, one per GPU (or sharing the CPU cores)",
    )
    parser.add_argument("--device", type=device_name, default="auto", help="auto, cpu, cuda, cuda:1, ...")  # fmt: skip
    parser.add_argument("--bf16", action="store_true", help="run the model in bfloat16")
    parser.add_argument("--limit", type=int, help="only the first N records")
    parser.add_argument(
        "--prompt", choices=["stage1", "stage2"], default="stage2", help="prompt for test records"
    )
    parser.add_argument("--threads", type=int_in(1, 1024), help=f"CPU threads per process (default: {THREADS_RULE})")  # fmt: skip
    parser.add_argument("--render", choices=["gif", "mp4"], help="with --motion: draw each motion with its predicted timeline")  # fmt: skip
    gen = parser.add_argument_group("generation (GenerationConfig keys; modeling/config.py)")
    gen.add_argument("--config", help="YAML file of generation keys (options override it)")
    gen.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override any key"
    )
    add_options(gen, GenerationConfig)
    from modeling.motion_infer import add_motion_args

    add_motion_args(parser)


def device_name(text: str) -> str:
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (anything else failed inside torch)."""
    if re.fullmatch(r"auto|cpu|mps|cuda(:\d{1,3})?", text) is None:
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda, cuda:N or mps, got {text!r}")
    return text


def run(args: argparse.Namespace) -> int:
    from compmo_gen.core.errors import UserError
    from modeling.staging import check_infer_inputs

    check_infer_inputs(args)  # every input before torch is imported and the model loads
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be >= 1")
    if args.shards < 1:
        raise UserError(f"--shards: must be at least 1, got {args.shards}")
    from modeling.infer import infer
    from modeling.infer_parallel import infer_sharded
    from modeling.motion_infer import prepare, render_predictions

    run_one = infer if args.shards == 1 else functools.partial(infer_sharded, shards=args.shards)
    data, motion_root, gen, device = prepare(args)
    report = run_one(
        args.run,
        data,
        args.out,
        motion_root=motion_root,
        gen=gen,
        device=device,
        bf16=args.bf16,
        limit=args.limit,
        prompt_kind=args.prompt,
        quiet=args.quiet,
        threads=args.threads,
    )
    summary = {
        k: report[k] for k in ("examples", "unparseable", "empty_predictions", "new_tokens_per_s")
    }
    if args.render:
        summary["rendered"] = len(render_predictions(args))
    print(f"{args.out}: {json.dumps(summary)}")
    return 0
