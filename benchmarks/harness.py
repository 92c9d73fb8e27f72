"""The benchmark's model (random weights at a preset's shape), synthetic samples and step loop.

Both steps run through ``MotionLM.forward`` (``modeling.model.build_motion_lm``), the call the
Hugging Face Trainer makes in ``compmo-train``: a padded batch (``modeling.batch.collate_padded``)
takes compmo-train's default step with its settings (``modeling.fast_step.default_step_config``),
a packed batch (``modeling.packed_train.packed_collate_fn``) the fast step.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from modeling.batch import Sample, collate_padded, to_device
from modeling.fast_step import (
    causal_lm,
    configure_model,
    default_step_config,
    set_attention,
    set_checkpointing,
    train_step,
)
from modeling.packed_train import packed_collate_fn
from modeling.tiny import llama_dims

log = logging.getLogger(__name__)

#: (before, after, motion range, answer range) token counts of realistic samples.
SHAPES = {"stage2": (55, 65, (50, 150), (150, 450)), "stage1": (30, 35, (4, 23), (8, 32))}
#: Short samples for the CPU smoke test.
TINY_SHAPES = {"stage2": (12, 14, (4, 12), (8, 24)), "stage1": (8, 9, (2, 6), (3, 8))}

PRESETS: dict[str, dict[str, Any]] = {
    "llama8b": dict(
        **llama_dims("llama-3.1-8b"),
        max_position_embeddings=8192,
        lora_r=128,
        new_tokens=300,
        infer_batches=(1, 256, 512),
        shapes=SHAPES,
    ),
    "tiny": dict(
        **llama_dims("tiny", vocab_size=2048),
        max_position_embeddings=2048,
        lora_r=8,
        new_tokens=8,
        infer_batches=(1, 4),
        shapes=TINY_SHAPES,
    ),
}
#: ``gradient_checkpointing`` of modeling/configs/train_stage{1,2}.yaml (the default step's).
DEFAULT_CHECKPOINTING = {"stage1": False, "stage2": True}


def make_sample(
    stage: str, index: int, seed: int, vocab: int, feats: int = 1056, shapes: Any = None
) -> Sample:
    """A deterministic synthetic sample (per-item generator) of ``shapes`` (default ``SHAPES``)."""
    rng = np.random.default_rng([seed, index, 1 if stage == "stage2" else 2])
    before, after, (m_lo, m_hi), (a_lo, a_hi) = (shapes or SHAPES)[stage]
    hi = min(vocab, 128000)
    lo = min(1000, hi // 4)
    motion = int(rng.integers(m_lo, m_hi + 1))
    return Sample(
        tuple(int(x) for x in rng.integers(lo, hi, before)),
        rng.normal(size=(motion, feats)).astype(np.float32),
        tuple(int(x) for x in rng.integers(lo, hi, after)),
        tuple(int(x) for x in rng.integers(lo, hi, int(rng.integers(a_lo, a_hi + 1)))),
    )


class Bench:
    """Model, options, timing budget and results of one benchmark run."""

    def __init__(self, args: argparse.Namespace) -> None:
        import torch

        self.args = args
        self.p = PRESETS[args.preset]
        self.device = torch.device(args.device)
        self.cuda = self.device.type == "cuda"
        self.dtype = torch.bfloat16 if self.cuda else torch.float32
        self.autocast = torch.bfloat16 if self.cuda else None
        self.results: dict[str, Any] = {"env": self.env(), "sections": {}}
        self.t0 = time.time()

    def env(self) -> dict[str, Any]:
        import peft
        import torch
        import transformers

        env = {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "preset": self.args.preset,
            "device": str(self.args.device),
        }
        if torch.cuda.is_available() and self.args.device.startswith("cuda"):
            env["gpu"] = torch.cuda.get_device_name(0)
        try:
            import torch.nn.attention.varlen  # noqa: F401

            env["varlen_attn"] = True
        except ImportError:
            env["varlen_attn"] = False
        return env

    def build(self) -> None:
        """Random bf16 (CPU: float32) LLM of the preset, LoRA on all linear layers, adapter."""
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import LlamaConfig, LlamaForCausalLM

        from modeling.adapter import build_adapter
        from modeling.model import build_motion_lm

        keys = (
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "vocab_size",
            "rope_theta",
            "max_position_embeddings",
        )
        cfg = LlamaConfig(**{k: self.p[k] for k in keys}, attn_implementation="sdpa")
        cfg.use_cache = False  # as compmo-train sets it
        torch.manual_seed(self.args.seed)
        start = time.time()
        old = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)
        with torch.device(self.device):
            lm = LlamaForCausalLM(cfg)
        torch.set_default_dtype(old)
        lm.requires_grad_(False)
        lora = LoraConfig(
            r=self.p["lora_r"],
            lora_alpha=2 * self.p["lora_r"],
            lora_dropout=self.args.lora_dropout,
            target_modules="all-linear",
        )
        self.model = get_peft_model(lm, lora)
        self.adapter = build_adapter(cfg.hidden_size).to(self.device)
        self.motion_lm = build_motion_lm(self.model, self.adapter)
        self.n_params = sum(p.numel() for n, p in self.model.named_parameters() if "lora_" not in n)
        self.lora_params = [p for n, p in self.model.named_parameters() if "lora_" in n]
        log.info(
            "model built in %.1fs: %.2fB LLM params, %.1fM LoRA params",
            time.time() - start,
            self.n_params / 1e9,
            sum(p.numel() for p in self.lora_params) / 1e6,
        )
        self.results["env"].update(
            llm_params=self.n_params, lora_params=sum(p.numel() for p in self.lora_params)
        )

    def default_mode(self, stage: str) -> None:
        """compmo-train's default step settings: its attention choice, its checkpointing."""
        from modeling.model import pick_attention

        lm = causal_lm(self.model)
        set_attention(lm, pick_attention("auto"))
        ckpt = self.args.plain_checkpointing
        ckpt = DEFAULT_CHECKPOINTING[stage] if ckpt == "config" else ckpt == "true"
        configure_model(self.model, default_step_config(ckpt), packed=False)
        if ckpt and self.args.plain_reentrant:
            set_checkpointing(lm, {"use_reentrant": True})

    def samples(self, stage: str, start: int, count: int) -> list[Sample]:
        return [
            make_sample(
                stage, start + i, self.args.seed, self.p["vocab_size"], shapes=self.p["shapes"]
            )
            for i in range(count)
        ]

    def run_steps(
        self,
        name: str,
        batches: list[list[Sample]],
        params: list[Any],
        warmup: int,
        lr: float,
        *,
        fast: bool,
        compiled: bool = False,
        budget: int = 0,
    ) -> dict[str, Any]:
        """Optimizer steps of ``MotionLM.forward`` over padded (default step) or packed batches."""
        import torch

        collate = (
            packed_collate_fn(0, compile=compiled, tokens_per_step=budget or 4096)
            if fast
            else collate_padded
        )
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, fused=self.cuda)
        self.motion_lm.train()
        losses, tokens, samples = [], 0, 0
        if self.cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        start = None
        try:
            for i, group in enumerate(batches):
                if i == warmup:
                    self.sync()
                    start = time.perf_counter()
                cpu = collate(group)
                batch = to_device(cpu, self.device)
                fn = lambda b=batch: self.motion_lm(**b)["loss"]  # noqa: E731
                losses.append(
                    train_step(fn, opt, autocast_dtype=self.autocast, device_type=self.device.type)
                )
                if i >= warmup:
                    tokens += cpu["num_tokens"]
                    samples += len(group)
            self.sync()
        except torch.cuda.OutOfMemoryError as exc:
            del opt
            self.cleanup()
            log.warning("%s: out of memory", name)
            return {"name": name, "oom": True, "error": str(exc).splitlines()[0][:200]}
        elapsed = time.perf_counter() - start if start is not None else float("nan")
        steps = len(batches) - warmup
        tps = tokens / elapsed
        row = {
            "name": name,
            "steps": steps,
            "tokens": tokens,
            "seconds": round(elapsed, 3),
            "tokens_per_s": round(tps, 1),
            "samples_per_s": round(samples / elapsed, 2),
            "tokens_per_step": round(tokens / max(steps, 1), 1),
            "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if self.cuda else None,
            "useful_tflops": round(tps * 4 * self.n_params / 1e12, 1),
            "losses": [float(x) for x in torch.stack(losses).float().cpu()],
        }
        row["mfu_pct"] = round(100 * row["useful_tflops"] / self.args.peak_tflops, 1)
        del opt
        self.cleanup()
        log.info(
            "%-28s %9.1f tok/s  peak %s GiB  %s TFLOP/s",
            name,
            tps,
            row["peak_gib"],
            row["useful_tflops"],
        )
        return row

    def sync(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()

    def cleanup(self) -> None:
        import torch

        for p in [*self.model.parameters(), *self.adapter.parameters()]:
            p.grad = None
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()

    def save(self) -> None:
        from benchmarks.report import render_md

        out = Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        self.results["elapsed_s"] = round(time.time() - self.t0, 1)
        (out / f"throughput_{self.args.tag}.json").write_text(
            json.dumps(self.results, indent=1) + "\n"
        )
        (out / f"throughput_{self.args.tag}.md").write_text(
            render_md(self.results, self.args.peak_tflops)
        )

    def left(self) -> float:
        return self.args.time_budget - (time.time() - self.t0)
