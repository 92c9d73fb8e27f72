"""The one sample format, the one batch description and the one motion splice of both training paths.

A :class:`Sample` is ``before`` token ids, ``M`` motion windows (one LLM token each), ``after``
token ids (the rest of the prompt) and ``answer`` token ids (the only labelled part; empty at
inference); with the time-aware recipe (``modeling.timeaware``) each window's token follows its
time stamp's token ids (``stamps``), so the motion slots are not contiguous. A batch is a dict of tensors that always holds ``input_ids`` (R, L), ``labels``
(R, L, unshifted, HF convention; left out for generation), ``motion_windows`` (sum M, features)
float32, ``motion_index`` (the flat position in the R * L tokens of each window),
``motion_counts`` (M of each sample) and the ints ``num_tokens`` (without padding) and
``num_label_tokens``. Two layouts of the same samples:

* padded (``collate_padded``, compmo-train's default step and generation): one row per sample,
  right (training) or left (generation) padding, ``attention_mask``;
* packed (``collate_packed``, the fast step): every sample in one row, ``position_ids``
  restarting at 0 per sample, ``cu_seq_lens`` sample boundaries and ``max_length``.

``embed_batch`` (adapter + ``splice_motion``) turns either layout into input embeddings, so both
steps put the same motion tokens at the same places of the same token sequences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modeling.losses import IGNORE_INDEX


@dataclass(frozen=True)
class Sample:
    """One sample in token space: ids before/after the motion, motion windows, answer ids."""

    before: tuple[int, ...]
    windows: np.ndarray  # (M, features) float32
    after: tuple[int, ...]
    answer: tuple[int, ...]
    #: Time-aware recipe (``modeling.timeaware``): the token ids written before each window
    #: (one tuple per window), or empty for none.
    stamps: tuple[tuple[int, ...], ...] = ()

    @property
    def num_motion(self) -> int:
        return int(self.windows.shape[0])

    def __len__(self) -> int:
        n_stamps = sum(len(s) for s in self.stamps)
        return len(self.before) + n_stamps + self.num_motion + len(self.after) + len(self.answer)

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> Sample:
        """From ``{"before", "after", "answer", "windows"}`` or ``{"prompt": EncodedPrompt, "windows"}``."""
        prompt = item.get("prompt")
        src = prompt if prompt is not None else item
        get = (lambda k: getattr(src, k)) if prompt is not None else src.__getitem__
        windows = np.asarray(item["windows"], dtype=np.float32)
        if windows.ndim != 2:
            raise ValueError(f"windows must be 2-D (M, features), got shape {windows.shape}")
        stamps = tuple(tuple(x) for x in item.get("stamps") or ())
        return cls(
            tuple(get("before")),
            windows,
            tuple(get("after")),
            tuple(get("answer") or ()),
            stamps,
        )


def _as_samples(items: Sequence[Any], who: str) -> list[Sample]:
    if not items:
        raise ValueError(f"{who} needs at least one sample")
    return [it if isinstance(it, Sample) else Sample.from_mapping(it) for it in items]


def _sample_rows(s: Sample, ignore_index: int) -> tuple[list[int], list[int], np.ndarray]:
    """(ids with 0 in motion slots, labels, offsets of the motion slots in the sample)."""
    if s.stamps and len(s.stamps) != s.num_motion:
        raise ValueError(f"{len(s.stamps)} time stamps for {s.num_motion} motion windows")
    if s.stamps:
        motion: list[int] = []
        offsets = []
        for stamp in s.stamps:
            motion += list(stamp)
            offsets.append(len(s.before) + len(motion))
            motion.append(0)
        where = np.asarray(offsets, dtype=np.int64)
    else:
        motion = [0] * s.num_motion
        where = len(s.before) + np.arange(s.num_motion, dtype=np.int64)
    ids = list(s.before) + motion + list(s.after) + list(s.answer)
    labels = [ignore_index] * (len(ids) - len(s.answer)) + list(s.answer)
    return ids, labels, where


def _motion(samples: list[Sample], starts: list[np.ndarray]) -> dict[str, Any]:
    """The motion part of a batch; ``starts``: flat index of each sample's motion slots."""
    import torch

    feats = max(s.windows.shape[1] for s in samples)
    win = [s.windows for s in samples if s.num_motion]
    windows = np.concatenate(win, axis=0) if win else np.zeros((0, feats), np.float32)
    index = np.concatenate([np.asarray(st, dtype=np.int64) for st in starts])
    return {
        "motion_windows": torch.from_numpy(windows),
        "motion_index": torch.from_numpy(index.astype(np.int64)),
        "motion_counts": torch.tensor([s.num_motion for s in samples], dtype=torch.long),
        "num_label_tokens": int(sum(len(s.answer) for s in samples)),
    }


def collate_packed(
    items: Sequence[Any],
    *,
    pad_id: int = 0,
    pad_to_multiple_of: int = 1,
    max_segments: int | None = None,
    max_length_cap: int | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> dict[str, Any]:
    """Pack a micro-batch into one row of shape (1, T) (the fast step's layout).

    For static shapes (``torch.compile`` without recompiles) pad T to a fixed size with
    ``pad_to_multiple_of`` and give ``max_segments``: ``cu_seq_lens`` then always has
    ``max_segments + 1`` entries (empty segments at the end) and ``max_length`` is T, or
    ``max_length_cap`` when given (the padding tail is then cut into segments of at most that
    many tokens, and a longer sample is refused). ``cu_seq_lens`` is int32; a padding tail is its
    own segment(s).
    """
    import torch

    samples = _as_samples(items, "collate_packed")
    ids: list[int] = []
    labels: list[int] = []
    pos: list[int] = []
    bounds = [0]
    starts: list[np.ndarray] = []
    for s in samples:
        sid, slab, where = _sample_rows(s, ignore_index)
        starts.append(len(ids) + where)
        ids += sid
        labels += slab
        pos += list(range(len(sid)))
        bounds.append(len(ids))
    real = len(ids)
    tail = (-real) % max(pad_to_multiple_of, 1)
    chunk = max_length_cap or tail
    while tail:
        n = min(tail, chunk)
        ids += [pad_id] * n
        labels += [ignore_index] * n
        pos += list(range(n))
        bounds.append(len(ids))
        tail -= n
    max_length = int(np.diff(bounds).max())
    if max_length_cap is not None and max_length > max_length_cap:
        raise ValueError(f"a {max_length}-token sample exceeds max_length_cap={max_length_cap}")
    if max_segments is not None:
        if len(bounds) - 1 > max_segments:
            raise ValueError(f"{len(bounds) - 1} segments exceed max_segments={max_segments}")
        bounds += [bounds[-1]] * (max_segments + 1 - len(bounds))
        max_length = max_length_cap or len(ids)
    return {
        "input_ids": torch.tensor([ids], dtype=torch.long),
        "position_ids": torch.tensor([pos], dtype=torch.long),
        "labels": torch.tensor([labels], dtype=torch.long),
        **_motion(samples, starts),
        "cu_seq_lens": torch.tensor(bounds, dtype=torch.int32),
        "max_length": max_length,
        "num_tokens": real,
    }


def collate_padded(
    items: Sequence[Any],
    *,
    pad_id: int = 0,
    padding_side: str = "right",
    with_labels: bool = True,
    ignore_index: int = IGNORE_INDEX,
) -> dict[str, Any]:
    """One row per sample, padded to the longest, with ``attention_mask`` (compmo-train's default
    step: ``padding_side='right'``; generation: ``'left'``, ``with_labels=False``)."""
    import torch

    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    samples = _as_samples(items, "collate_padded")
    width = max(len(s) for s in samples)
    ids = np.full((len(samples), width), pad_id, np.int64)
    labels = np.full((len(samples), width), ignore_index, np.int64)
    mask = np.zeros((len(samples), width), np.int64)
    starts = []
    for row, s in enumerate(samples):
        sid, slab, where = _sample_rows(s, ignore_index)
        first = width - len(sid) if padding_side == "left" else 0
        cols = slice(first, first + len(sid))
        ids[row, cols], labels[row, cols], mask[row, cols] = sid, slab, 1
        starts.append(row * width + first + where)
    batch = {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(mask),
        "labels": torch.from_numpy(labels),
        **_motion(samples, starts),
        "num_tokens": int(mask.sum()),
    }
    if not with_labels:
        del batch["labels"]
    return batch


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


def to_device(batch: Mapping[str, Any], device: Any) -> dict[str, Any]:
    """The batch's tensors on ``device`` (its ints unchanged)."""
    import torch

    return {
        k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v
        for k, v in batch.items()
    }


def motion_positions(batch: Mapping[str, Any]) -> Any:
    """(R, L) bool: True at the motion slots of the batch's rows."""
    import torch

    flat = torch.zeros(batch["input_ids"].numel(), dtype=torch.bool)
    flat[batch["motion_index"].cpu()] = True
    return flat.reshape(batch["input_ids"].shape).to(batch["input_ids"].device)


def encode_motion(adapter: Any, windows: Any, counts: Any) -> Any:
    """Adapter over all windows at once; per sample when it has a positional embedding."""
    import torch

    param = next(adapter.parameters(), None)
    if param is not None and windows.dtype != param.dtype:
        windows = windows.to(param.dtype)
    if getattr(adapter, "pos", None) is None or windows.shape[0] == 0:
        return adapter(windows[None])[0]
    parts = [p for p in windows.split([int(c) for c in counts]) if p.shape[0]]
    return torch.cat([adapter(p[None])[0] for p in parts])


def splice_motion(embeds: Any, motion_embeds: Any, motion_index: Any) -> Any:
    """Put ``motion_embeds`` (M, d) at the flat token positions ``motion_index`` of (R, L, d)."""
    if motion_index.numel() == 0:
        return embeds
    shape = embeds.shape
    flat = embeds.reshape(-1, shape[-1])
    return flat.index_copy(0, motion_index, motion_embeds.to(flat.dtype)).reshape(shape)


def embed_batch(lm: Any, adapter: Any, batch: Mapping[str, Any]) -> Any:
    """Input embeddings of a padded or packed batch: token embeddings, adapter tokens spliced in."""
    if batch["motion_windows"].shape[0] != batch["motion_index"].numel():
        raise ValueError("motion windows and motion positions disagree in number")
    embeds = lm.get_input_embeddings()(batch["input_ids"])
    motion = encode_motion(adapter, batch["motion_windows"], batch["motion_counts"])
    return splice_motion(embeds, motion, batch["motion_index"])
