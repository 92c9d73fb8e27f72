"""Training and inference throughput of DEMO: compmo-train's default step vs its fast step.

Runs on one GPU (``--preset llama8b``: Llama-3.1-8B shape, random bf16 weights created on the GPU,
LoRA r 128 / alpha 256 on all linear layers, the DEMO motion adapter) or, as a smoke test, on the
CPU (``--preset tiny``). Sections, each written to ``<out>/throughput_<tag>.json|md`` as it ends:

1. attention check: packed attention (varlen flash) vs SDPA with a block-diagonal mask;
2. compile check: compiled vs eager fast step, loss and gradients;
3. same maths: ``--check-steps`` steps from the same initialisation and batches, default vs fast
   loss curves;
4. stage 2 (adapter + LoRA): compmo-train's default step (right-padded batch of
   ``--plain-batch``, its attention choice, Hugging Face checkpointing as in the stage-2 config,
   full logits, ``labels=`` loss) and fast-step variants;
5. stage 1 (LLM frozen, adapter only): default vs fast;
6. inference: greedy generation with KV cache, sequences/s at batch 1 and larger batches;
7. profile (only when named): where one fast variant's GPU time goes (``benchmarks.profiling``).

Both steps run through ``MotionLM.forward``, the call the Trainer makes. Fast variants are
``mode@budget[+c]`` (``benchmarks.training``). Tokens/s counts real tokens (motion + prompt
+ answer, no padding). Useful TFLOP/s uses the issue's convention: 4 x (LLM parameters) FLOPs per
token (forward + input-gradient backward).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from benchmarks.harness import PRESETS, Bench
from benchmarks.report import PEAK_BF16_TFLOPS, render_md

log = logging.getLogger(__name__)

SECTIONS = ("attn", "ccheck", "maths", "stage2", "stage1", "infer")
#: Sections run only when named in ``--sections``.
EXTRA_SECTIONS = ("profile",)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="llama8b")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", default="results")
    ap.add_argument("--tag", default="h100")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--plain-batch", type=int, default=4, help="default step's batch (stage 2)")
    ap.add_argument("--stage1-batch", type=int, default=16, help="default step's batch (stage 1)")
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--lora-dropout", type=float, default=0.05)
    ap.add_argument("--dropouts", default="0.05,0.0", help="LoRA dropouts to measure stage 2 at")
    ap.add_argument(
        "--stage2-variants",
        default="none@same,none@4096,selective@8192,none@4096+c,none@6144+c",
        help="comma list of mode@budget[+c] (mode none|selective|full, budget tokens or 'same')",
    )
    ap.add_argument("--stage1-variants", default="none@8192,none@8192+c")
    ap.add_argument("--check-variants", default="none@same,none@same+c")
    ap.add_argument("--check-steps", type=int, default=30)
    ap.add_argument("--check-lr", type=float, default=2e-5)
    ap.add_argument(
        "--plain-checkpointing",
        choices=("config", "true", "false"),
        default="config",
        help="default step's gradient checkpointing (config: as modeling/configs/train_<stage>.yaml)",
    )
    ap.add_argument(
        "--plain-reentrant",
        action="store_true",
        help="reentrant checkpointing (not compmo-train's)",
    )
    ap.add_argument(
        "--peak-tflops", type=float, default=PEAK_BF16_TFLOPS, help="for the MFU column"
    )
    ap.add_argument("--profile-variant", default="none@7168+c", help="profile section's variant")
    ap.add_argument("--profile-steps", type=int, default=3)
    ap.add_argument("--profile-warmup", type=int, default=4, help="unprofiled steps first")
    ap.add_argument("--time-budget", type=float, default=520.0, help="seconds; later work skipped")
    ap.add_argument("--sections", default=",".join(SECTIONS))
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections; write the report after each; print it at the end."""
    from benchmarks.checks import attention_check, compile_check, inference
    from benchmarks.profiling import profile
    from benchmarks.training import same_maths, stage1, stage2

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
    want = set(args.sections.split(","))
    bench = Bench(args)
    bench.build()
    sec = bench.results["sections"]
    steps = [
        ("attn", "attention_check", attention_check),
        ("ccheck", "compile_check", compile_check),
        ("maths", "same_maths", same_maths),
        ("stage2", "stage2", stage2),
        ("stage1", "stage1", stage1),
        ("infer", "inference", inference),
        ("profile", "profile", profile),
    ]
    for key, name, fn in steps:
        if key not in want or bench.left() < 60:
            continue
        log.info("== %s (%.0f s left)", name, bench.left())
        try:
            sec[name] = fn(bench)
        except Exception as exc:  # keep the other sections' numbers  # noqa: BLE001
            log.exception("section %s failed", name)
            sec[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        if name == "attention_check" and not sec[name].get("ok"):
            from modeling import packing

            packing.USE_VARLEN["enabled"] = False
            log.warning("varlen attention check failed: using SDPA with a block mask")
        bench.save()
    print(render_md(bench.results, args.peak_tflops))  # noqa: T201 (the command's output)
    return 0
