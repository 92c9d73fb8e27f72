"""Attention that keeps packed samples apart (the fast step's ``compmo_packed`` implementation).

A packed batch (``modeling.batch.collate_packed``) is one flattened row whose ``cu_seq_lens``
marks the sample boundaries. The attention function registered by ``register_packed_attention``
reads those boundaries: on CUDA it calls PyTorch's variable-length flash attention
(``torch.nn.attention.varlen``), elsewhere SDPA with a block-diagonal causal mask. Without
boundaries (generation, padded batches) it is plain causal attention with the padding mask. The
same packed batch also works with the stock ``sdpa`` implementation of ``transformers`` >= 4.54
(it detects restarting ``position_ids`` when no attention mask is given).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

PACKED_ATTENTION = "compmo_packed"


def block_causal_mask(cu_seq_lens: Any, batch: int, length: int) -> Any:
    """(B, 1, L, L) bool mask: causal and within one segment of the flattened B * L tokens."""
    import torch

    total = batch * length
    seg = torch.zeros(total, dtype=torch.long, device=cu_seq_lens.device)
    inner = cu_seq_lens[1:-1].long()
    seg[inner[inner < total]] += 1
    seg = seg.cumsum(0).reshape(batch, length)
    same = seg[:, :, None] == seg[:, None, :]
    causal = torch.ones(length, length, dtype=torch.bool, device=seg.device).tril()
    return (same & causal)[:, None]


def _varlen_caller():
    """A function (q, k, v, cu, max_len, scale) -> out over (T, H, D), or None if unavailable."""
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        return None
    params = inspect.signature(varlen_attn).parameters
    causal = {"window_size": (-1, 0)} if "window_size" in params else {"is_causal": True}
    gqa = "enable_gqa" in params

    def call(q, k, v, cu, max_len, scale):  # noqa: ANN001, ANN202
        if k.shape[1] != q.shape[1]:
            if gqa:
                return varlen_attn(
                    q, k, v, cu, cu, max_len, max_len, scale=scale, enable_gqa=True, **causal
                )
            rep = q.shape[1] // k.shape[1]
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        return varlen_attn(q, k, v, cu, cu, max_len, max_len, scale=scale, **causal)

    return call


_VARLEN: dict[str, Any] = {}
#: Set to False to force the SDPA block-mask path on CUDA as well (used by the self-check).
USE_VARLEN = {"enabled": True}
#: Under ``torch.compile`` the varlen call runs eagerly (a graph break) unless this is True.
COMPILE_VARLEN = {"inline": False}


def _unpacked_attention(query: Any, key: Any, value: Any, mask2d: Any, scaling: Any) -> Any:
    """Ordinary causal attention (generation, unpacked batches): 2-D padding mask or none."""
    import torch

    q_len, kv_len = query.shape[2], key.shape[2]
    rows = torch.arange(q_len, device=query.device)[:, None] + (kv_len - q_len)
    mask = torch.arange(kv_len, device=query.device)[None, :] <= rows
    if mask2d is not None:
        mask = mask[None, None] & mask2d[:, None, None, -kv_len:].bool()
        mask = mask | (torch.arange(kv_len, device=query.device)[None, :] == rows)  # no empty row
    rep = query.shape[1] // key.shape[1]
    if rep > 1:
        key, value = key.repeat_interleave(rep, dim=1), value.repeat_interleave(rep, dim=1)
    out = torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=mask, scale=scaling
    )
    return out.transpose(1, 2).contiguous()


def _init_varlen() -> None:
    import torch

    if "fn" not in _VARLEN:
        fn = _varlen_caller()
        _VARLEN["fn"] = fn
        _VARLEN["eager"] = torch.compiler.disable(fn) if fn is not None else None


def packed_attention_forward(
    module: Any,
    query: Any,
    key: Any,
    value: Any,
    attention_mask: Any,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[Any, None]:
    """HF attention interface: (B, H, L, D) inputs -> (B, L, H, D) output, segments from kwargs.

    Packed: ``cu_seq_lens_q`` (int32 boundaries over the flattened B * L tokens) and
    ``max_length_q`` in the model call's kwargs, ``attention_mask`` ignored. Without them, plain
    causal attention with the 2-D padding mask (so generation works with the same setting).
    """
    import torch

    cu = kwargs.get("cu_seq_lens_q")
    if cu is None:
        return _unpacked_attention(query, key, value, attention_mask, scaling), None
    if dropout:
        raise ValueError("packed attention does not support attention dropout")
    batch, heads, length, dim = query.shape
    _init_varlen()
    fn = _VARLEN["fn"] if COMPILE_VARLEN["inline"] else _VARLEN["eager"]
    if query.is_cuda and fn is not None and USE_VARLEN["enabled"]:
        q = query.transpose(1, 2).reshape(batch * length, heads, dim)
        k = key.transpose(1, 2).reshape(batch * length, key.shape[1], dim)
        v = value.transpose(1, 2).reshape(batch * length, value.shape[1], dim)
        max_len = int(kwargs.get("max_length_q") or length)
        out = fn(q, k, v, cu, max_len, scaling)
        return out.reshape(batch, length, heads, dim), None
    mask = block_causal_mask(cu, batch, length)
    rep = heads // key.shape[1]
    if rep > 1:
        key, value = key.repeat_interleave(rep, dim=1), value.repeat_interleave(rep, dim=1)
    out = torch.nn.functional.scaled_dot_product_attention(
        query, key, value, attn_mask=mask, scale=scaling
    )
    return out.transpose(1, 2).contiguous(), None


def register_packed_attention() -> str:
    """Register ``packed_attention_forward`` with transformers; returns its name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask

    _init_varlen()
    AttentionInterface.register(PACKED_ATTENTION, packed_attention_forward)
    # The 2-D padding mask (or None), as for flash attention: no (L, L) mask is ever built.
    AttentionMaskInterface.register(PACKED_ATTENTION, flash_attention_mask)
    return PACKED_ATTENTION


def attention_kwargs(batch: Mapping[str, Any], device: Any = None) -> dict[str, Any]:
    """The kwargs the packed attention reads, from a packed batch."""
    cu = batch["cu_seq_lens"].to(device) if device is not None else batch["cu_seq_lens"]
    m = int(batch["max_length"])
    return {"cu_seq_lens_q": cu, "cu_seq_lens_k": cu, "max_length_q": m, "max_length_k": m}
