"""The training path ``compmo-train`` takes when the config leaves it at ``auto``.

``packing``, ``compile``, ``gradient_checkpointing`` and ``tokens_per_step`` default to ``auto``;
``choose`` decides them from the model's size and shape, the samples' lengths and the free device
memory; a value set in the config or on the command line is always kept. The rules come from the
measurements in ``results/``:

1. No CUDA device: the plain step, no compile, no checkpointing (a CPU gains nothing from packing
   and cannot compile the packed attention).
2. Small models (below ``SMALL_MODEL`` = 1 B parameters): the packed step, eager (not compiled), with
   the configured token budget (``tokens_per_step``, default 6,144: about the plain step's batch of
   16, so the optimisation is unchanged). Measured through ``compmo-train`` on one H200 with
   SmolLM2-135M stage 2 at the same global batch, two runs (``results/gpu_train_infer_speed.md``): packed eager 1.46x and 1.65x the plain step; packed compiled
   1.53x and 0.89x (the compile cost is not repaid by a small model in short runs). When the
   longest sample exceeds the budget or the activations would not fit: the plain step, with
   checkpointing only when its padded batch would not fit.
3. Large models (1 B and more): the packed step (``results/gpu_throughput_llama8b.md``, Llama-3.1-8B shape,
   LoRA r 128, dropout 0.05: plain Hugging Face 1.3-2.5 k tokens/s, packed eager 8.6-10.0 k,
   packed compiled 10.8-10.9 k), compiled unless under ZeRO-3 (its parameter hooks break the
   compiled graphs), never checkpointed (the packed step's design), with the largest token budget
   whose activations fit: ``ACT_BYTES`` x hidden x layers bytes a token (the H100 8B runs: 65.6 GiB
   peak at 6,144 compiled tokens, 8,192 ran out of memory), in steps of 1,024 between 2,048 and
   16,384. When even the longest sample does not fit, the plain step with checkpointing.

Every choice is logged with its reason and recorded in ``train_report.json`` (``autotune``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

AUTO = "auto"
TUNED = ("packing", "compile", "gradient_checkpointing", "tokens_per_step")
SMALL_MODEL = 1_000_000_000
#: Activation bytes per token, per hidden unit and layer, of the packed step without
#: checkpointing (bf16, LoRA with dropout): (65.6 GiB peak - weights - LoRA/AdamW) / 6,144 tokens
#: / (4,096 x 32) on the H100, rounded up.
ACT_BYTES = 56
#: The same for the plain Hugging Face step without checkpointing, plus its full logits.
PLAIN_ACT_BYTES = 40
MIN_TOKENS, MAX_TOKENS, TOKEN_STEP = 2048, 16384, 1024
RESERVE = 0.1  # share of the free memory left for the allocator


@dataclass(frozen=True)
class Facts:
    """What the policy looks at."""

    params: int
    hidden: int
    layers: int
    vocab: int
    cuda: bool
    free_bytes: int = 0
    longest: int = 0
    zero3: bool = False
    bf16: bool = True
    #: Upper bound of the trainable parameters for the memory budget (all-linear LoRA, a
    #: 1024-wide adapter), known before the model is built; the exact count is
    #: ``train_report.json``'s ``trainable_parameters``.
    trainable_estimate: int = 0


@dataclass
class Decision:
    packing: bool
    compile: bool
    gradient_checkpointing: bool
    tokens_per_step: int
    reasons: list[str] = field(default_factory=list)


def _budget(f: Facts, per_token: int) -> int:
    weights = (
        f.params * (2 if f.bf16 else 4) + f.trainable_estimate * 16
    )  # + fp32 master, AdamW moments
    left = int(f.free_bytes * (1 - RESERVE)) - weights
    return max(0, left) // max(per_token, 1)


def choose(f: Facts, default_tokens: int = 6144) -> Decision:
    """The fastest path by the rules of the module docstring."""
    if not f.cuda:
        return Decision(False, False, False, default_tokens, ["no CUDA device: plain step"])
    if f.params < SMALL_MODEL:
        packed_fits = _budget(f, ACT_BYTES * f.hidden * f.layers) >= default_tokens
        if packed_fits and f.longest <= default_tokens:
            why = [
                f"{f.params / 1e6:.0f} M parameters: packed step, {default_tokens} tokens a "
                "micro-batch (eager: 1.46x and 1.65x plain on SmolLM2-135M stage 2, H200)",
                "not compiled (compiled: 1.53x and 0.89x: the compile cost is not repaid)",
            ]
            return Decision(True, False, False, default_tokens, why)
        per_token = PLAIN_ACT_BYTES * f.hidden * f.layers + 10 * f.vocab
        fits = _budget(f, per_token)
        ckpt = fits < f.longest * 16  # a padded batch of 16 of the longest samples
        why = [
            f"{f.params / 1e6:.0f} M parameters: plain step (the packed budget of "
            f"{default_tokens} tokens does not hold the longest sample or does not fit)",
            "checkpointing on: a padded batch does not fit"
            if ckpt
            else "no checkpointing: activations fit",
        ]
        return Decision(False, False, ckpt, default_tokens, why)
    per_token = ACT_BYTES * f.hidden * f.layers
    fits = _budget(f, per_token)
    tokens = min(MAX_TOKENS, fits // TOKEN_STEP * TOKEN_STEP)
    if tokens < max(MIN_TOKENS, f.longest):
        return Decision(
            False,
            False,
            True,
            default_tokens,
            [f"packed budget {fits} tokens < longest sample {f.longest}: plain + checkpointing"],
        )
    why = [
        f"{f.params / 1e9:.1f} B parameters: packed step, {tokens} tokens a micro-batch "
        f"({f.free_bytes / 2**30:.0f} GiB free)"
    ]
    compile_ = not f.zero3
    why.append("compiled" if compile_ else "not compiled (ZeRO-3 hooks)")
    return Decision(True, compile_, False, tokens, why)


def _model_config(cfg: Any) -> Any:
    from pathlib import Path

    from transformers import AutoConfig

    from modeling.model import resolve_model
    from modeling.model_cache import cached_tokenizer

    path, gguf = resolve_model(cfg.model, cfg.gguf_file)
    hit = cached_tokenizer(Path(path) / gguf) if gguf else None
    if hit is not None:
        path, gguf = str(hit), None
    kwargs = {"gguf_file": gguf} if gguf else {}
    return AutoConfig.from_pretrained(path, local_files_only=True, **kwargs)


def _zero_stage(cfg: Any) -> int:

    if not cfg.deepspeed:
        return 0
    try:
        from compmo_gen.core.io import load_json

        ds = load_json(cfg.deepspeed)
    except (OSError, ValueError):
        return 0  # reported by the Trainer when it reads the file
    stage = ds.get("zero_optimization", {}).get("stage", 0) if isinstance(ds, dict) else 0
    return int(stage) if isinstance(stage, int) else 0


def gather_facts(cfg: Any, lengths: Sequence[int]) -> Facts:
    """Model size and shape (from its config), free CUDA memory, longest sample."""
    import torch

    from modeling.resources import count_params

    config = _model_config(cfg)
    params = count_params(config)
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    hidden = int(getattr(text, "hidden_size", 1024))
    layers = int(getattr(text, "num_hidden_layers", 1))
    cuda = torch.cuda.is_available()
    local = int(os.environ.get("LOCAL_RANK", "0") or 0)  # this rank's GPU, not always GPU 0
    free = torch.cuda.mem_get_info(local % max(torch.cuda.device_count(), 1))[0] if cuda else 0
    lora = 0
    if cfg.stage == "stage2":  # all-linear LoRA: r x (in + out) per projection, 7 per layer
        lora = cfg.lora_r * layers * (4 * 2 * hidden + 3 * (hidden + 4 * hidden))
    return Facts(
        params=params,
        hidden=hidden,
        layers=layers,
        vocab=int(getattr(text, "vocab_size", 32000)),
        cuda=cuda,
        free_bytes=int(free),
        longest=max(lengths, default=0),
        zero3=_zero_stage(cfg) == 3,
        bf16=bool(cfg.bf16),
        trainable_estimate=lora + 3 * 1024 * 1024,
    )


#: What an ``auto`` key means when nothing decided it (library callers that skip ``resolve``).
STATIC = {
    "packing": False,
    "compile": False,
    "gradient_checkpointing": False,
    "tokens_per_step": 6144,
}


def settled(cfg: Any) -> Any:
    """``cfg`` with any ``auto`` key left undecided set to its static default (``STATIC``)."""
    from modeling.config import resolve_bf16

    left: dict[str, Any] = {k: v for k, v in STATIC.items() if getattr(cfg, k) == AUTO}
    if cfg.bf16 == AUTO:
        left["bf16"] = resolve_bf16(cfg.bf16)
    if cfg.compile is True and "packing" in left:
        left["packing"] = True  # compile asked for: the compiled step is the packed one
    return dataclasses.replace(cfg, **left) if left else cfg


def resolve(cfg: Any, lengths: Sequence[int]) -> tuple[Any, dict[str, Any]]:
    """``cfg`` with its ``auto`` fields decided; and the record for the train report."""
    auto = [k for k in TUNED if getattr(cfg, k) == AUTO]
    if not auto:
        return cfg, {}
    facts = gather_facts(cfg, lengths)
    decision = choose(facts)
    chosen = {k: getattr(decision, k) for k in auto}
    if cfg.packing is False and "compile" in chosen:
        chosen["compile"] = False  # the compiled step is the packed one
    if cfg.compile is True and "packing" in chosen:
        chosen["packing"] = True  # compile asked for: only the packed step compiles
    for reason in decision.reasons:
        log.info("autotune: %s", reason)
    log.info("autotune: %s", ", ".join(f"{k}={v}" for k, v in chosen.items()))
    record = {"chosen": chosen, "reasons": decision.reasons, "facts": dataclasses.asdict(facts)}
    return dataclasses.replace(cfg, **chosen), record
