"""modeling/run_load.py: the load clock and the device choice."""

from __future__ import annotations

import time

import pytest

from compmo_gen.core.errors import PrerequisiteError
from modeling.run_load import LoadClock, pick_device


def test_clock_adds_up_in_order() -> None:
    clock = LoadClock()
    time.sleep(0.01)
    clock.mark("a")
    clock.mark("b")
    time.sleep(0.01)
    clock.mark("a")  # a part marked twice adds up
    assert list(clock.parts) == ["a", "b"]
    assert clock.parts["a"] >= 0.02 and clock.parts["b"] < clock.parts["a"]


def test_pick_device() -> None:
    import torch

    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(PrerequisiteError, match="no CUDA device"):
            pick_device("cuda")
