"""`compmo-infer --run RUN --data FILE --out DIR`: batched dense captioning with a trained run."""

from __future__ import annotations

import argparse
import json

from compmo_gen.core.errors import UserError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run", required=True, help="a compmo-train run folder (stage 2, or merged)"
    )
    parser.add_argument(
        "--data", required=True, help="a stage or test JSON file ({id, motion, gt})"
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--motion-root", help="folder the motion paths resolve in")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=500)
    parser.add_argument("--sample", action="store_true", help="sample (default: greedy)")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--top-p", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    parser.add_argument("--bf16", action="store_true", help="run the model in bfloat16")
    parser.add_argument("--limit", type=int, help="only the first N records")
    parser.add_argument(
        "--prompt", choices=["stage1", "stage2"], default="stage2", help="prompt for test records"
    )


def run(args: argparse.Namespace) -> int:
    from modeling.infer import GenerationConfig, infer

    gen = GenerationConfig(
        args.batch_size, args.max_new_tokens, args.sample, args.temperature, args.top_p, args.seed
    )
    try:
        report = infer(
            args.run,
            args.data,
            args.out,
            motion_root=args.motion_root,
            gen=gen,
            device=args.device,
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
    print(f"{args.out}: {json.dumps(summary)}")
    return 0
