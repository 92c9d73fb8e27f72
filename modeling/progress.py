"""A per-token progress bar for ``generate`` (one tick per decoding step), used on CPUs where one
sequence can take minutes; it never stops generation."""

from __future__ import annotations

from typing import Any


class TokenBar:
    """``stopping_criteria`` that only advances a tqdm bar; ``close()`` after each batch."""

    def __init__(self, total: int, *, disable: bool = False) -> None:
        import torch
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="tokens", unit="tok", leave=False, disable=disable)
        bar = self.bar

        def tick(input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            bar.update(1)
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

        #: a list of ``(input_ids, scores) -> bool per row`` callables (``MotionLM.generate``
        #: hands it to transformers as a ``StoppingCriteriaList``)
        self.criteria = [tick]

    def close(self) -> None:
        self.bar.close()


def step_clock(tokens: Any, *, skip: int = 2) -> Any:
    """A ``TrainerCallback`` timing each optimizer step; ``tokens()`` gives the tokens seen so far.

    ``summary()`` reports the first step apart (``first_step_s``: compile warm-up, CUDA start) and
    the steady-state rate after the first ``skip`` steps (``steady_tokens_per_s``), which the
    Trainer's runtime-wide ``tokens_per_s`` mixes together."""
    import time

    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def __init__(self) -> None:
            self.start = 0.0
            self.marks: list[tuple[float, int]] = []

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.start = time.perf_counter()
            self.marks = []

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.marks.append((time.perf_counter(), int(tokens())))

        def summary(self) -> dict[str, Any]:
            if not self.marks:
                return {}
            out: dict[str, Any] = {"first_step_s": round(self.marks[0][0] - self.start, 3)}
            if len(self.marks) > skip:
                (t0, n0), (t1, n1) = self.marks[skip - 1], self.marks[-1]
                out["steady_from_step"] = skip + 1
                out["steady_s"] = round(t1 - t0, 3)
                out["steady_tokens_per_s"] = round((n1 - n0) / (t1 - t0), 1) if t1 > t0 else None
            return out

    return StepClock()
