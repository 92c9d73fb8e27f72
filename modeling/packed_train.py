"""Wiring of the fast training path (``packing: true``) into ``compmo-train``.

The packed collator (``modeling.batch.collate_packed``), the batch sampler that forms packed
micro-batches by token budget, and the model settings of the fast step
(``modeling.fast_step.configure_model``: packed attention, no activation checkpointing, optional
regional compile). ``MotionLM.forward`` routes a batch that has ``cu_seq_lens`` to
``modeling.fast_step.packed_loss``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from modeling.autotune import settled
from modeling.batch import collate_packed, token_budget_batches
from modeling.config import TrainConfig

log = logging.getLogger(__name__)

#: Fixed number of segments of a compiled step's ``cu_seq_lens`` (static shapes).
COMPILE_MAX_SEGMENTS = 256


#: The longest-segment bound of ``data_bounds`` is a multiple of this (the kernels' block).
BOUND_ROUND = 128


def data_bounds(
    groups: Sequence[Sequence[int]], lengths: Sequence[int], tokens_per_step: int
) -> tuple[int, int]:
    """Fixed attention bounds of a compiled run from its micro-batches: (segments, longest).

    The varlen attention kernels launch blocks for every segment slot and every 128 tokens of
    ``max_length``; the general bounds (``COMPILE_MAX_SEGMENTS`` segments of up to
    ``tokens_per_step`` tokens) launch mostly empty ones. Here the longest segment is the longest
    sample rounded up to ``BOUND_ROUND`` (the padding tail is cut to it) and the segments are the
    largest micro-batch's samples plus the tail's pieces. Same maths, fixed for the run."""
    longest = max(int(n) for n in lengths)
    cap = min(-(-longest // BOUND_ROUND) * BOUND_ROUND, max(tokens_per_step, longest))
    most = max(len(g) for g in groups)
    return most + -(-tokens_per_step // cap), cap


def packed_collate_fn(
    pad_id: int,
    *,
    compile: bool,
    tokens_per_step: int,
    bounds: tuple[int, int] | None = None,
) -> Callable[[list[Any]], dict[str, Any]]:
    """``collate_packed`` with the padding of the fast step (fixed shapes under compile):
    ``COMPILE_MAX_SEGMENTS`` segments of up to ``tokens_per_step`` tokens, or ``bounds``
    (``data_bounds``)."""
    if compile:
        segments, cap = bounds or (COMPILE_MAX_SEGMENTS, None)
        return functools.partial(
            collate_packed,
            pad_id=pad_id,
            pad_to_multiple_of=tokens_per_step,
            max_segments=segments,
            max_length_cap=cap,
        )
    return functools.partial(collate_packed, pad_id=pad_id, pad_to_multiple_of=64)


def packed_collator(
    cfg: TrainConfig, pad_id: int, sampler: PackedBatchSampler | None = None
) -> Callable[[list[Any]], dict[str, Any]]:
    """The config's packed collator (``packed_collate_fn``); ``compile_bounds: data`` takes the
    bounds from ``sampler``'s micro-batches."""
    cfg = settled(cfg)
    bounds = None
    if cfg.compile_bounds == "data" and not cfg.compile:
        log.warning("compile_bounds=data: the step is not compiled; bounds not used")
    if cfg.compile and cfg.compile_bounds == "data" and sampler is not None:
        bounds = data_bounds(sampler.groups, sampler.lengths, cfg.tokens_per_step)
        log.info("compiled attention bounds: %d segments of <= %d tokens", *bounds)
    return packed_collate_fn(
        pad_id, compile=cfg.compile, tokens_per_step=cfg.tokens_per_step, bounds=bounds
    )


class PackedBatchSampler:
    """Micro-batches of at most ``max_tokens`` tokens (and ``max_samples`` samples).

    The groups are formed once, from a seeded permutation of the samples (so the number of
    micro-batches per epoch is fixed); each epoch visits them in its own seeded order. A sample
    longer than the budget is a micro-batch of its own.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        max_tokens: int,
        *,
        seed: int = 0,
        max_samples: int | None = None,
    ) -> None:
        order = np.random.default_rng(np.random.SeedSequence([seed, 0])).permutation(len(lengths))
        groups: list[list[int]] = []
        for group in token_budget_batches([int(lengths[i]) for i in order], max_tokens):
            step = max_samples or len(group)
            for k in range(0, len(group), step):
                groups.append([int(order[j]) for j in group[k : k + step]])
        self.groups = groups
        self.lengths = [int(n) for n in lengths]
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.groups)

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 1, self.epoch]))
        self.epoch += 1  # the next epoch differs even when nobody calls set_epoch
        for i in rng.permutation(len(self.groups)):
            yield self.groups[int(i)]


def packed_batch_sampler(
    lengths: Sequence[int], tokens_per_step: int, *, compile: bool, seed: int
) -> PackedBatchSampler:
    """The fast step's sampler; a compiled step keeps one padding segment free in its
    fixed-size ``cu_seq_lens``."""
    most = COMPILE_MAX_SEGMENTS - 1 if compile else None
    return PackedBatchSampler(lengths, tokens_per_step, seed=seed, max_samples=most)


def packed_sampler(cfg: TrainConfig, lengths: Sequence[int]) -> PackedBatchSampler:
    """The config's packed sampler (``packed_batch_sampler``)."""
    cfg = settled(cfg)
    return packed_batch_sampler(lengths, cfg.tokens_per_step, compile=cfg.compile, seed=cfg.seed)


def configure_fast(llm: Any, cfg: TrainConfig) -> None:
    """Packed attention, no activation checkpointing, regional compile when asked (in place)."""
    cfg = settled(cfg)
    from modeling.fast_step import FastStepConfig, configure_model

    if cfg.gradient_checkpointing:
        log.info("packing=true: activation checkpointing off (gradient_checkpointing ignored)")
    configure_model(
        llm,
        FastStepConfig(
            checkpointing="none",
            compile=cfg.compile,
            lora_rank=cfg.lora_r,
            fused_lora=cfg.fused_lora,
            fp8_base=cfg.fp8_base,
        ),
    )
