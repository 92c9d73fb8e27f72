"""`compmo-infer --run RUN --data FILE --out DIR`: batched dense captioning with a trained run."""

from __future__ import annotations

import argparse
import json

from compmo_gen.core.errors import UserError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run", required=True, help="a compmo-train run folder (stage 2, or merged)"
    )
    parser.add_argument("--data", help="a stage or test JSON file ({id, motion, gt})")
    parser.add_argument("--motion", nargs="+", help="your own motion files (.bvh, .npz, .npy), imported on the fly")  # fmt: skip
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--motion-root", help="folder the motion paths resolve in")
    parser.add_argument("--batch-size", type=int, help="default 16 on a GPU, 1 on a CPU")
    parser.add_argument("--max-new-tokens", type=int, help="default 500 on a GPU, 256 on a CPU")
    parser.add_argument("--sample", action="store_true", help="sample (default: greedy, or the run's own decoding)")  # fmt: skip
    parser.add_argument("--greedy", action="store_true", help="greedy even when the run's prompt.json samples (DEMO)")  # fmt: skip
    parser.add_argument("--temperature", type=float, help="default 0.7 (or the run's)")
    parser.add_argument("--top-p", type=float, help="default 0.9 (or the run's)")
    parser.add_argument(
        "--threads", type=int, help="CPU threads (default: min(usable cores, 4, idle cores))"
    )
    parser.add_argument("--render", choices=["gif", "mp4"], help="with --motion: draw each motion with its predicted timeline")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--bf16", action="store_true", help="run the model in bfloat16")
    parser.add_argument("--limit", type=int, help="only the first N records")
    parser.add_argument(
        "--prompt", choices=["stage1", "stage2"], default="stage2", help="prompt for test records"
    )
    from modeling.motion_infer import add_motion_args

    add_motion_args(parser)


def run(args: argparse.Namespace) -> int:
    from modeling.infer import infer
    from modeling.motion_infer import prepare, render_predictions

    data, motion_root, gen, device = prepare(args)
    try:
        report = infer(
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
        )
    except (FileNotFoundError, ValueError) as exc:
        from compmo_gen.core.errors import AnnotationError

        if isinstance(exc, AnnotationError):
            raise
        raise UserError(str(exc)) from None
    summary = {
        k: report[k] for k in ("examples", "unparseable", "empty_predictions", "new_tokens_per_s")
    }
    if args.render:
        summary["rendered"] = len(render_predictions(args))
    print(f"{args.out}: {json.dumps(summary)}")
    return 0
