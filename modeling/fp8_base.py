"""Float8 matrix products for the frozen weights of LoRA training (the fast step's ``fp8_base``).

In stage 2 the LLM's linear weights are frozen: each step multiplies by them twice (the forward
product ``x W^T`` and the input gradient ``g W``) and never needs their gradient. ``to_fp8``
replaces each frozen weight under a plain PEFT LoRA linear by two float8 (e4m3) copies, ``W`` and
``W^T`` (Hopper's float8 products take one layout only), each scaled per row (``rowwise``: a scale
per output channel of ``W`` and per input feature of ``W^T``) or by one scale (``tensorwise``).
The activations and output gradients are scaled the same way, in the product's prologue, and the
products run through ``torch._scaled_mm`` with bf16 results. The bf16 weights move to the host
while float8 is on (the two float8 copies take their room, so the token budget is unchanged) and
``restore`` puts them back bit for bit (before any weights are saved or merged). LoRA's own
products, the attention, the norms and the loss keep their precision. An approximation, unlike
the rest of the fast step: ``tests/modeling/test_fp8_base.py`` bounds the error of one product,
``results/gpu_train_8b_speed.md`` compares the loss curves.
"""

from __future__ import annotations

import types
from typing import Any

#: Modes of ``fp8_base``.
FP8_MODES = ("off", "rowwise", "tensorwise")
#: Attribute marking a base linear whose product ``to_fp8`` replaced (holds the mode).
FP8 = "_compmo_fp8"
#: Largest finite float8 e4m3 value.
E4M3_MAX = 448.0
ALIGN = 16  # float8 products need both matrix sides in multiples of 16


def quantize(t: Any, rowwise: bool) -> tuple[Any, Any]:
    """``t`` (2-D) as float8 e4m3 and its float32 scale (``t ~ q * scale``), per row or whole."""
    import torch

    f = t.float()
    amax = f.abs().amax(dim=-1, keepdim=True) if rowwise else f.abs().amax().reshape(1, 1)
    scale = amax.clamp(min=1e-12) / E4M3_MAX
    q = (f / scale).clamp(-E4M3_MAX, E4M3_MAX).to(torch.float8_e4m3fn)
    return q, scale


def _product(a: Any, b_q: Any, b_scale: Any, rowwise: bool, fast: bool) -> Any:
    """``a @ B^T`` for ``B ~ b_q * b_scale`` (``b_q``: rows of B, float8), ``a`` quantised here."""
    import torch
    import torch.nn.functional as F

    rows = a.shape[0]
    pad = -rows % ALIGN
    if pad:
        a = F.pad(a, (0, 0, 0, pad))
    a_q, a_scale = quantize(a, rowwise)
    out = torch._scaled_mm(
        a_q,
        b_q.t(),
        scale_a=a_scale,
        scale_b=b_scale.t() if rowwise else b_scale,
        out_dtype=torch.bfloat16,
        use_fast_accum=fast,
    )
    return out[:rows] if pad else out


def _function() -> Any:
    import torch

    class Fp8FrozenLinear(torch.autograd.Function):
        """``x W^T + b`` with float8 products; the gradient reaches ``x`` only (W is frozen)."""

        @staticmethod
        def forward(ctx: Any, x: Any, w_q: Any, w_s: Any, wt_q: Any, wt_s: Any, rowwise: bool):  # type: ignore[override]
            ctx.save_for_backward(wt_q, wt_s)
            ctx.rowwise = rowwise
            x2 = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
            y = _product(x2, w_q, w_s, rowwise, fast=True)
            return y.reshape(*x.shape[:-1], y.shape[-1])

        @staticmethod
        def backward(ctx: Any, g: Any):  # type: ignore[override]
            wt_q, wt_s = ctx.saved_tensors
            g2 = g.reshape(-1, g.shape[-1]).to(torch.bfloat16)
            gx = _product(g2, wt_q, wt_s, ctx.rowwise, fast=False)
            return gx.reshape(*g.shape[:-1], gx.shape[-1]), None, None, None, None, None

    return Fp8FrozenLinear


_FN: Any = None  # the autograd function, made by to_fp8 (outside any compiled region)


def fp8_forward(self: Any, x: Any) -> Any:
    """A frozen ``nn.Linear``'s forward through the float8 copies (``to_fp8``)."""
    y = _FN.apply(
        x,
        self.fp8_w,
        self.fp8_w_scale,
        self.fp8_wt,
        self.fp8_wt_scale,
        self._compmo_fp8 == "rowwise",
    )
    return y if self.bias is None else y + self.bias.to(y.dtype)


def eligible(module: Any) -> bool:
    """A PEFT LoRA linear whose frozen base is a plain bf16 ``nn.Linear`` with aligned sides."""
    import torch

    try:
        from peft.tuners.lora.layer import Linear as LoraLinear
    except ImportError:
        return False
    base = getattr(module, "base_layer", None)
    if not isinstance(module, LoraLinear) or type(base) is not torch.nn.Linear:
        return False
    w = base.weight
    return (
        not w.requires_grad
        and w.dtype == torch.bfloat16
        and w.dim() == 2
        and w.shape[0] % ALIGN == 0
        and w.shape[1] % ALIGN == 0
    )


def check_device(device: Any) -> None:
    """Refuse a CUDA device without float8 products (compute capability below 8.9)."""
    import torch

    if getattr(device, "type", device) != "cuda":
        return
    cap = torch.cuda.get_device_capability(device)
    if tuple(cap) < (8, 9):
        from compmo_gen.core.errors import ConfigError

        name = torch.cuda.get_device_name(device)
        raise ConfigError(
            f"fp8_base: {name} (compute capability {cap[0]}.{cap[1]}) has no float8 products "
            "(Ada/Hopper or newer needed); use --fp8-base off"
        )


def to_fp8(model: Any, mode: str) -> int:
    """Give the frozen base linear of every eligible LoRA linear float8 products; returns how many.

    The bf16 weight goes to the host (``restore`` brings it back)."""
    import torch

    if mode not in FP8_MODES:
        raise ValueError(f"fp8_base must be one of {FP8_MODES}, got {mode!r}")
    if mode == "off":
        return 0
    global _FN
    if _FN is None:  # a class made while dynamo traces would break the compiled graph
        _FN = _function()
    rowwise = mode == "rowwise"
    count = 0
    for module in list(model.modules()):
        if not eligible(module) or hasattr(module.base_layer, FP8):
            continue
        base = module.base_layer
        w = base.weight.data
        check_device(w.device)
        w_q, w_s = quantize(w, rowwise)
        wt_q, wt_s = quantize(w.t().contiguous(), rowwise)
        for name, t in (
            ("fp8_w", w_q),
            ("fp8_w_scale", w_s),
            ("fp8_wt", wt_q),
            ("fp8_wt_scale", wt_s),
        ):
            base.register_buffer(name, t, persistent=False)
        base._compmo_host_weight = w.to("cpu", copy=True)  # not a buffer: .to() leaves it
        base.weight.data = torch.empty(0, dtype=w.dtype, device=w.device)
        setattr(base, FP8, mode)
        base.forward = types.MethodType(fp8_forward, base)
        count += 1
    return count


def restore(model: Any) -> int:
    """The bf16 weights back (bit for bit) and the float8 copies dropped; returns how many."""
    count = 0
    for module in list(model.modules()):
        if not hasattr(module, FP8):
            continue
        device = module.fp8_w.device
        module.weight.data = module._compmo_host_weight.to(device)
        for name in ("fp8_w", "fp8_w_scale", "fp8_wt", "fp8_wt_scale"):
            delattr(module, name)
        del module._compmo_host_weight
        delattr(module, FP8)
        module.__dict__.pop("forward", None)
        count += 1
    return count
