"""compmo-train's two training steps: the default (padded) step and the optimised fast step.

Both take batches of ``modeling.batch`` (one sample format, one splice of the motion tokens) and
compute the same loss; ``step_loss`` picks the step from the batch's layout.
Fast step (``packed_loss``): a micro-batch packed into one row, attention
that stays inside each sample (variable-length flash attention on CUDA), the decoder run without
its LM head, and the cross-entropy computed only at answer positions in chunks
(``modeling.losses``). ``configure_model`` sets the attention implementation and the activation
checkpointing policy (``none``, ``selective``: keep matrix-product and attention outputs and
recompute the cheap element-wise work, or ``full``; on a fraction of the layers), can give PEFT's
LoRA linears the fused forward of ``modeling.fused_lora`` (one ``addmm`` per linear), float8
products for the frozen weights (``modeling.fp8_base``, an approximation, off by default) and can compile
each decoder layer (regional ``torch.compile``). Default step (``padded_loss``, the baseline):
right-padded batch, the model's own attention, full logits, ``labels=`` loss, settings from
``default_step_config``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modeling.batch import embed_batch
from modeling.losses import DEFAULT_CHUNK, causal_lm_loss
from modeling.packing import attention_kwargs, register_packed_attention

logger = logging.getLogger(__name__)

CHECKPOINTING = ("none", "selective", "full")


@dataclass(frozen=True)
class FastStepConfig:
    """Options of the fast path.

    Best measured on one H100 (results/gpu_throughput_llama8b.md), Llama-3.1-8B shape with LoRA r 128:
    ``checkpointing="none"``, ``compile=True`` and about 6,144 tokens a step (4,096 uncompiled);
    selective checkpointing fits 16 k tokens but is slower. ``compile_exact_casts`` keeps the
    compiled maths equal to eager's (without it the loss curve drifted by 7 % on the H100).
    """

    checkpointing: str = "none"
    checkpoint_fraction: float = 1.0  # share of decoder layers checkpointed (evenly spread)
    chunk_size: int = DEFAULT_CHUNK
    compile: bool = False
    compile_exact_casts: bool = True  # inductor rounds fused intermediates as eager does
    lora_rank: int = 128  # products with a side this small are LoRA's: recomputed when selective
    lora_input_cast: bool = False  # PEFT's float32 copy of each LoRA input (a no-op under autocast)
    #: LoRA's update added in the frozen product's addmm (modeling.fused_lora; off by default)
    fused_lora: bool = False
    #: float8 products for the frozen weights (modeling.fp8_base): off, rowwise or tensorwise
    fp8_base: str = "off"

    def __post_init__(self) -> None:
        if self.checkpointing not in CHECKPOINTING:
            raise ValueError(
                f"checkpointing must be one of {CHECKPOINTING}, got {self.checkpointing!r}"
            )
        from modeling.fp8_base import FP8_MODES

        if self.fp8_base not in FP8_MODES:
            raise ValueError(f"fp8_base must be one of {FP8_MODES}, got {self.fp8_base!r}")
        if not 0.0 <= self.checkpoint_fraction <= 1.0:
            raise ValueError(
                f"checkpoint_fraction must be in [0, 1], got {self.checkpoint_fraction}"
            )


def causal_lm(model: Any) -> Any:
    """The ``*ForCausalLM`` inside a PEFT wrapper (or the model itself)."""
    getter = getattr(model, "get_base_model", None)
    return getter() if callable(getter) else model


def decoder_layers(model: Any) -> list[Any]:
    return list(causal_lm(model).get_decoder().layers)


def selective_policy(lora_rank: int) -> Callable[[], Any]:
    """``context_fn`` for ``torch.utils.checkpoint``: save products and attention, recompute the rest."""
    import torch
    from torch.utils.checkpoint import CheckpointPolicy, create_selective_checkpoint_contexts

    aten = torch.ops.aten
    mm_ops = {aten.mm.default, aten.addmm.default, aten.bmm.default}
    attn_ops = {
        getattr(aten, name).default
        for name in (
            "_scaled_dot_product_efficient_attention",
            "_scaled_dot_product_flash_attention",
            "_scaled_dot_product_cudnn_attention",
            "_flash_attention_forward",
            "_efficient_attention_forward",
        )
        if hasattr(aten, name)
    }
    varlen = getattr(getattr(torch.ops, "torch_attn", None), "_varlen_attn", None)
    if varlen is not None:
        attn_ops.add(varlen.default)

    def policy(ctx: Any, op: Any, *args: Any, **kwargs: Any) -> Any:
        if op in mm_ops:
            weight = args[-1]
            if min(weight.shape[-2:]) <= lora_rank:
                return CheckpointPolicy.PREFER_RECOMPUTE
            return CheckpointPolicy.MUST_SAVE
        if op in attn_ops:
            return CheckpointPolicy.MUST_SAVE
        return CheckpointPolicy.PREFER_RECOMPUTE

    return lambda: create_selective_checkpoint_contexts(policy)


def _spread(count: int, fraction: float) -> set[int]:
    chosen = round(count * fraction)
    if chosen <= 0:
        return set()
    return {int(i * count / chosen) for i in range(chosen)}


def set_attention(lm: Any, name: str) -> None:
    """Switch the attention implementation (``sdpa``, ``compmo_packed``...) of a loaded model."""
    try:
        lm.set_attn_implementation(name)
    except (AttributeError, ValueError):
        lm.config._attn_implementation = name


def set_checkpointing(lm: Any, kwargs: dict[str, Any] | None) -> None:
    """Enable (with ``torch.utils.checkpoint`` kwargs) or disable checkpointing, any transformers 5.x."""
    if kwargs is None:
        fn = (
            getattr(lm, "activation_checkpointing_disable", None)
            or lm.gradient_checkpointing_disable
        )
        fn()
    elif hasattr(lm, "activation_checkpointing_enable"):
        lm.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def configure_model(model: Any, cfg: FastStepConfig, *, packed: bool = True) -> Any:
    """Attention implementation, checkpointing and (optionally) regional compilation, in place."""
    lm = causal_lm(model)
    if packed:
        set_attention(lm, register_packed_attention())
    for module in model.modules():
        if hasattr(module, "cast_input_dtype_enabled"):
            module.cast_input_dtype_enabled = cfg.lora_input_cast
    from modeling.fp8_base import restore, to_fp8
    from modeling.fused_lora import fuse_lora, unfuse_lora

    unfuse_lora(model)
    restore(model)
    if cfg.fused_lora:
        fuse_lora(model)
    if cfg.fp8_base != "off":
        n = to_fp8(model, cfg.fp8_base)
        logger.info("fp8_base=%s: %d frozen linear weights as float8 copies", cfg.fp8_base, n)
    if cfg.checkpointing == "none" or cfg.checkpoint_fraction == 0.0:
        set_checkpointing(lm, None)
    else:
        kwargs: dict[str, Any] = {"use_reentrant": False}
        if cfg.checkpointing == "selective":
            kwargs["context_fn"] = selective_policy(cfg.lora_rank)
        set_checkpointing(lm, kwargs)
        layers = decoder_layers(model)
        chosen = _spread(len(layers), cfg.checkpoint_fraction)
        for i, layer in enumerate(layers):
            layer.gradient_checkpointing = i in chosen
    if cfg.compile:
        import torch._inductor.config as inductor_config

        if hasattr(inductor_config, "emulate_precision_casts"):
            inductor_config.emulate_precision_casts = cfg.compile_exact_casts
    for layer in decoder_layers(model):
        if cfg.compile:
            layer.compile()
        elif getattr(layer, "_compiled_call_impl", None) is not None:
            layer._compiled_call_impl = None  # back to eager (nn.Module.compile's own slot)
    return model


def packed_loss(
    model: Any,
    adapter: Any,
    batch: Mapping[str, Any],
    *,
    chunk_size: int = DEFAULT_CHUNK,
    num_items_in_batch: Any = None,
) -> Any:
    """Loss of a packed batch (already on the device): the fast step.

    Mean over the answer tokens, or their sum / ``num_items_in_batch`` (the Trainer's count over
    all micro-batches of one optimizer step under gradient accumulation)."""
    lm = causal_lm(model)
    out = lm.get_decoder()(
        inputs_embeds=embed_batch(lm, adapter, batch),
        position_ids=batch["position_ids"],
        use_cache=False,
        **attention_kwargs(batch),
    )
    head = lm.get_output_embeddings()
    from modeling.zero3 import gathered

    with gathered(head.parameters()):  # ZeRO-3: the head is used outside its own forward
        return causal_lm_loss(
            out.last_hidden_state,
            batch["labels"],
            head.weight,
            bias=head.bias,
            chunk_size=chunk_size,
            num_items_in_batch=num_items_in_batch,
        )


def padded_loss(model: Any, adapter: Any, batch: Mapping[str, Any]) -> Any:
    """Loss of a padded batch: compmo-train's default step (the model's own forward and
    attention, full logits, ``labels=`` loss; mean over the batch's answer tokens)."""
    lm = causal_lm(model)
    out = model(
        inputs_embeds=embed_batch(lm, adapter, batch),
        attention_mask=batch["attention_mask"],
        labels=batch["labels"],
        use_cache=False,
    )
    return out.loss


def step_loss(
    model: Any, adapter: Any, batch: Mapping[str, Any], *, num_items_in_batch: Any = None
) -> Any:
    """The loss of compmo-train's step: the fast step for a packed batch (``cu_seq_lens``),
    the default step for a padded one (``num_items_in_batch`` applies to the packed step only)."""
    if "cu_seq_lens" in batch:
        return packed_loss(model, adapter, batch, num_items_in_batch=num_items_in_batch)
    return padded_loss(model, adapter, batch)


def default_step_config(gradient_checkpointing: bool) -> FastStepConfig:
    """Model settings of compmo-train's default step (``packing: false``): stock PEFT input
    casts, no compile, Hugging Face (non-reentrant) checkpointing of every layer when asked."""
    return FastStepConfig(
        checkpointing="full" if gradient_checkpointing else "none",
        lora_input_cast=True,
        fused_lora=False,
    )


def train_step(
    loss_fn: Callable[[], Any],
    optimizer: Any,
    *,
    autocast_dtype: Any = None,
    device_type: str = "cuda",
) -> Any:
    """One forward/backward/optimizer step; returns the detached loss."""
    import contextlib

    import torch

    ctx = (
        torch.autocast(device_type, dtype=autocast_dtype)
        if autocast_dtype is not None
        else contextlib.nullcontext()
    )
    with ctx:
        loss = loss_fn()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()
