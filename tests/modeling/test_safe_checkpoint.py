"""DeepSpeed checkpoints load with weights_only=True: its own classes pass, code does not run."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("deepspeed")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_deepspeed_states_load_and_pickled_code_is_refused(tmp_path):
    import torch
    from deepspeed.runtime.fp16.loss_scaler import DynamicLossScaler
    from deepspeed.runtime.zero.config import ZeroStageEnum

    from compmo_gen.core.errors import PrerequisiteError
    from modeling.safe_checkpoint import install, safe_load

    good = tmp_path / "optim_states.pt"
    torch.save(
        {"loss_scaler": DynamicLossScaler(2.0**16, 1000, 1.0, 2, False), "zero_stage": ZeroStageEnum.gradients,
         "module": {"w": torch.ones(2)}, "param_shapes": [{"w": torch.Size([2])}]},
        good,
    )  # fmt: skip
    state = safe_load(str(good))
    assert state["zero_stage"] == ZeroStageEnum.gradients and state["module"]["w"].sum() == 2
    bad = tmp_path / "model_states.pt"
    torch.save({"module": Evil()}, bad)
    with pytest.raises(PrerequisiteError, match="safe load refuses"):
        safe_load(str(bad))
    install()
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    with pytest.raises(PrerequisiteError):
        TorchCheckpointEngine.load(None, str(bad))
