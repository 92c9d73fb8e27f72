"""Packing several motion-captioning samples into one row, and attention that keeps them apart.

A sample is ``before`` token ids, ``M`` motion windows (one LLM token each), ``after`` token ids
(the rest of the prompt) and ``answer`` token ids (the only labelled part). ``collate_packed``
concatenates a micro-batch into one flattened row (no padding except an optional tail): position
ids restart at 0 for every sample and ``cu_seq_lens`` marks the sample boundaries. The attention
function registered by ``register_packed_attention`` reads those boundaries: on CUDA it calls
PyTorch's variable-length flash attention (``torch.nn.attention.varlen``), elsewhere SDPA with a
block-diagonal causal mask. The same batch also works with the stock ``sdpa`` implementation
of ``transformers`` >= 4.54 (it detects restarting ``position_ids`` when no attention mask is
given and builds the block-diagonal mask itself). ``collate_padded`` is the plain, right-padded
layout of the same samples (the Hugging Face baseline).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.losses import IGNORE_INDEX

logger = logging.getLogger(__name__)

PACKED_ATTENTION = "compmo_packed"


@dataclass(frozen=True)
class PackSample:
    """One sample in token space: ids before/after the motion, motion windows, answer ids."""

    before: tuple[int, ...]
    windows: np.ndarray  # (M, features) float32
    after: tuple[int, ...]
    answer: tuple[int, ...]

    @property
    def num_motion(self) -> int:
        return int(self.windows.shape[0])

    def __len__(self) -> int:
        return len(self.before) + self.num_motion + len(self.after) + len(self.answer)

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> PackSample:
        """From ``{"before", "after", "answer", "windows"}`` or ``{"prompt": EncodedPrompt, "windows"}``."""
        prompt = item.get("prompt")
        src = prompt if prompt is not None else item
        get = (lambda k: getattr(src, k)) if prompt is not None else src.__getitem__
        windows = np.asarray(item["windows"], dtype=np.float32)
        if windows.ndim != 2:
            raise ValueError(f"windows must be 2-D (M, features), got shape {windows.shape}")
        return cls(tuple(get("before")), windows, tuple(get("after")), tuple(get("answer") or ()))


def _as_samples(items: Sequence[Any]) -> list[PackSample]:
    return [it if isinstance(it, PackSample) else PackSample.from_mapping(it) for it in items]


def _sample_rows(s: PackSample, ignore_index: int) -> tuple[list[int], list[int], int]:
    """(ids with 0 in motion slots, labels, offset of the first motion slot)."""
    m = s.num_motion
    ids = list(s.before) + [0] * m + list(s.after) + list(s.answer)
    labels = [ignore_index] * (len(ids) - len(s.answer)) + list(s.answer)
    return ids, labels, len(s.before)


def _motion(samples: list[PackSample], starts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    feats = max((s.windows.shape[1] for s in samples), default=0)
    win = [s.windows for s in samples if s.num_motion]
    windows = np.concatenate(win, axis=0) if win else np.zeros((0, feats), np.float32)
    index = [np.arange(st, st + s.num_motion) for s, st in zip(samples, starts)]
    return windows, np.concatenate(index).astype(np.int64) if index else np.zeros(0, np.int64)


def collate_packed(
    items: Sequence[Any],
    *,
    pad_id: int = 0,
    pad_to_multiple_of: int = 1,
    max_segments: int | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> dict[str, Any]:
    """Pack a micro-batch into one row of shape (1, T).

    For static shapes (``torch.compile`` without recompiles) pad T to a fixed size with
    ``pad_to_multiple_of`` and give ``max_segments``: ``cu_seq_lens`` then always has
    ``max_segments + 1`` entries (empty segments at the end) and ``max_length`` is T.

    Returns tensors ``input_ids``, ``position_ids``, ``labels`` (unshifted, HF convention),
    ``motion_windows`` (sum M, features) float32, ``motion_index`` (flat token index of each
    window), ``cu_seq_lens`` (int32, boundaries; a padding tail is its own segment) and the ints
    ``max_length``, ``num_tokens`` (without padding) and ``num_label_tokens``.
    """
    import torch

    samples = _as_samples(items)
    if not samples:
        raise ValueError("collate_packed needs at least one sample")
    ids: list[int] = []
    labels: list[int] = []
    pos: list[int] = []
    bounds = [0]
    starts: list[int] = []
    for s in samples:
        sid, slab, mstart = _sample_rows(s, ignore_index)
        starts.append(len(ids) + mstart)
        ids += sid
        labels += slab
        pos += list(range(len(sid)))
        bounds.append(len(ids))
    real = len(ids)
    tail = (-real) % max(pad_to_multiple_of, 1)
    if tail:
        ids += [pad_id] * tail
        labels += [ignore_index] * tail
        pos += list(range(tail))
        bounds.append(len(ids))
    windows, index = _motion(samples, starts)
    lengths = np.diff(bounds)
    max_length = int(lengths.max())
    if max_segments is not None:
        if len(bounds) - 1 > max_segments:
            raise ValueError(f"{len(bounds) - 1} segments exceed max_segments={max_segments}")
        bounds += [bounds[-1]] * (max_segments + 1 - len(bounds))
        max_length = len(ids)
    return {
        "input_ids": torch.tensor([ids], dtype=torch.long),
        "position_ids": torch.tensor([pos], dtype=torch.long),
        "labels": torch.tensor([labels], dtype=torch.long),
        "motion_windows": torch.from_numpy(windows),
        "motion_index": torch.from_numpy(index),
        "motion_counts": torch.tensor([s.num_motion for s in samples], dtype=torch.long),
        "cu_seq_lens": torch.tensor(bounds, dtype=torch.int32),
        "max_length": max_length,
        "num_tokens": real,
        "num_label_tokens": int(sum(len(s.answer) for s in samples)),
    }


def collate_padded(
    items: Sequence[Any], *, pad_id: int = 0, ignore_index: int = IGNORE_INDEX
) -> dict[str, Any]:
    """Right-padded (B, L_max) batch with ``attention_mask``: the plain Hugging Face layout."""
    import torch

    samples = _as_samples(items)
    if not samples:
        raise ValueError("collate_padded needs at least one sample")
    width = max(len(s) for s in samples)
    ids = np.full((len(samples), width), pad_id, np.int64)
    labels = np.full((len(samples), width), ignore_index, np.int64)
    mask = np.zeros((len(samples), width), np.int64)
    starts = []
    for row, s in enumerate(samples):
        sid, slab, mstart = _sample_rows(s, ignore_index)
        ids[row, : len(sid)] = sid
        labels[row, : len(sid)] = slab
        mask[row, : len(sid)] = 1
        starts.append(row * width + mstart)
    windows, index = _motion(samples, starts)
    return {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(mask),
        "labels": torch.from_numpy(labels),
        "motion_windows": torch.from_numpy(windows),
        "motion_index": torch.from_numpy(index),
        "motion_counts": torch.tensor([s.num_motion for s in samples], dtype=torch.long),
        "num_tokens": int(mask.sum()),
        "num_label_tokens": int(sum(len(s.answer) for s in samples)),
    }


def token_budget_batches(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Split sample indices, in order, into consecutive groups of at most ``max_tokens`` tokens.

    A sample longer than the budget gets a group of its own (never truncated here).
    """
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, n in enumerate(lengths):
        if current and used + n > max_tokens:
            groups.append(current)
            current, used = [], 0
        current.append(i)
        used += n
    if current:
        groups.append(current)
    return groups


def splice_motion(embeds: Any, motion_embeds: Any, motion_index: Any) -> Any:
    """Put ``motion_embeds`` (M, d) at the flat token positions ``motion_index`` of (B, L, d)."""
    if motion_index.numel() == 0:
        return embeds
    shape = embeds.shape
    flat = embeds.reshape(-1, shape[-1])
    return flat.index_copy(0, motion_index, motion_embeds.to(flat.dtype)).reshape(shape)


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
    """The kwargs the packed attention reads, from a ``collate_packed`` batch."""
    cu = batch["cu_seq_lens"].to(device) if device is not None else batch["cu_seq_lens"]
    m = int(batch["max_length"])
    return {"cu_seq_lens_q": cu, "cu_seq_lens_k": cu, "max_length_q": m, "max_length_k": m}
