"""LoRA's update added inside the frozen weight's matrix product (the fast step's LoRA forward).

PEFT's ``lora.Linear`` computes ``base(x) + B(A(dropout(x))) * s``: the update is written as a
full ``tokens x out`` tensor, scaled, then added to the frozen product in another pass, and in the
backward pass the output gradient is scaled in a full pass too. ``fuse_lora`` gives each plain
LoRA linear the same sum as one ``addmm``: ``addmm(x W^T + b, A(dropout(x)), B^T, alpha=s)``,
whose epilogue adds the frozen product (no separate add, no scaled copy; the backward pass scales
only the rank-r products). Parameters, adapter files and merging are PEFT's, unchanged; a module
that is not plain LoRA (DoRA, LoRA bias, several active adapters, merged, disabled) keeps PEFT's
forward. ``unfuse_lora`` restores PEFT's forward.
"""

from __future__ import annotations

import types
from typing import Any

#: Attribute marking a module whose forward ``fuse_lora`` replaced.
FUSED = "_compmo_fused_lora"


def _plain_lora(module: Any) -> str | None:
    """The adapter name if ``module`` is a PEFT LoRA linear that ``fuse_lora`` can take."""
    import torch

    try:
        from peft.tuners.lora.layer import Linear as LoraLinear
    except ImportError:
        return None
    if not isinstance(module, LoraLinear) or not isinstance(module.base_layer, torch.nn.Linear):
        return None
    active = [a for a in module.active_adapters if a in module.lora_A]
    if len(active) != 1 or module.merged or module.disable_adapters:
        return None
    name = active[0]
    if name in getattr(module, "lora_variant", {}) or getattr(module, "fan_in_fan_out", False):
        return None
    if module.lora_B[name].bias is not None or module.lora_A[name].bias is not None:
        return None
    return name


def fused_forward(self: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
    """``base(x) + s * B(A(dropout(x)))`` as one ``addmm`` (the frozen product is its input)."""
    import torch
    import torch.nn.functional as F

    if args or kwargs or self.disable_adapters or self.merged:
        return type(self).forward(self, x, *args, **kwargs)
    name = getattr(self, FUSED)
    base = self.base_layer
    a_w, b_t = self.lora_A[name].weight, self.lora_B[name].weight.t()
    y = F.linear(x, base.weight, base.bias)
    h = self.lora_dropout[name](x)
    if not torch.is_autocast_enabled(y.device.type):
        h = h.to(a_w.dtype)  # as PEFT: the LoRA input in the adapter's dtype
    xa = F.linear(h, a_w)
    xa, b_t = xa.to(y.dtype), b_t.to(y.dtype)
    lead = y.shape[:-1]
    out = torch.addmm(
        y.reshape(-1, y.shape[-1]), xa.reshape(-1, xa.shape[-1]), b_t, alpha=self.scaling[name]
    )
    return out.reshape(*lead, out.shape[-1])


def fuse_lora(model: Any) -> int:
    """Give every plain PEFT LoRA linear of ``model`` the fused forward; returns how many."""
    count = 0
    for module in model.modules():
        name = _plain_lora(module)
        if name is None:
            continue
        setattr(module, FUSED, name)
        module.forward = types.MethodType(fused_forward, module)
        count += 1
    return count


def unfuse_lora(model: Any) -> int:
    """Back to PEFT's forward on every module ``fuse_lora`` changed; returns how many."""
    count = 0
    for module in model.modules():
        if hasattr(module, FUSED):
            delattr(module, FUSED)
            module.__dict__.pop("forward", None)
            count += 1
    return count
