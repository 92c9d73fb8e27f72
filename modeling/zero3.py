"""DeepSpeed ZeRO-3 helpers: parameters used outside their module's forward, and saving.

Under ZeRO-3 every parameter is partitioned across the ranks and gathered only while its own
module runs. The packed step (``modeling.fast_step.packed_loss``) projects the hidden states on
the LM head's weight without calling the head (the chunked answer-only cross-entropy), so the
weight is gathered around that use (its gradient with respect to the hidden states is computed in
the forward pass: nothing needs it in the backward pass). Saving the adapter and LoRA at the end
of training gathers the trainable weights the same way. Without DeepSpeed (or below ZeRO-3) these
are no-ops.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any


def is_partitioned(param: Any) -> bool:
    """A ZeRO-3 parameter (DeepSpeed sets ``ds_id`` on them)."""
    return hasattr(param, "ds_id")


@contextlib.contextmanager
def gathered(params: Iterable[Any]) -> Iterator[None]:
    """The full ZeRO-3 parameters inside the block (read only), re-partitioned after it."""
    params = [p for p in params if is_partitioned(p)]
    if not params:
        yield
        return
    import deepspeed

    with deepspeed.zero.GatheredParameters(params, modifier_rank=None):
        yield
