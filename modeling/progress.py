"""A per-token progress bar for ``generate`` (one tick per decoding step), used on CPUs where one
sequence can take minutes; it never stops generation."""

from __future__ import annotations

from typing import Any


class TokenBar:
    """``stopping_criteria`` that only advances a tqdm bar; ``close()`` after each batch."""

    def __init__(self, total: int, *, disable: bool = False) -> None:
        import torch
        from tqdm import tqdm
        from transformers import StoppingCriteria, StoppingCriteriaList

        self.bar = tqdm(total=total, desc="tokens", unit="tok", leave=False, disable=disable)
        bar = self.bar

        class _Tick(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                bar.update(1)
                return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        self.criteria = StoppingCriteriaList([_Tick()])

    def close(self) -> None:
        self.bar.close()
