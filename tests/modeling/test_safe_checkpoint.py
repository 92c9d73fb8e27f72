"""DeepSpeed checkpoints load with weights_only=True: its own classes pass, code does not run.

The checkpoints are written with explicit pickle forms (not the running Python's own choice), so
the test covers every supported Python: enum members by value (``ZeroStageEnum(2)``) and by name
through ``builtins.getattr`` (Debian's Python 3.11.2)."""

from __future__ import annotations

import os
import pickle
import types

import pytest

pytest.importorskip("deepspeed")


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def _pickle_module(reduce_enum):
    """A ``pickle_module`` for ``torch.save`` whose Pickler reduces enum members as told."""
    import enum

    class Pickler(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, enum.Enum):
                return reduce_enum(obj)
            return NotImplemented

    return types.SimpleNamespace(__name__="enum_form_pickle", Pickler=Pickler)


BY_VALUE = _pickle_module(lambda m: (type(m), (m._value_,)))
BY_NAME = _pickle_module(lambda m: (getattr, (type(m), m._name_)))


def _save(obj, path, module) -> None:
    import torch

    torch.save(obj, path, pickle_module=module)


@pytest.mark.parametrize("form", [BY_VALUE, BY_NAME], ids=["by-value", "by-getattr"])
def test_deepspeed_states_load_and_pickled_code_is_refused(tmp_path, form):
    import torch
    from deepspeed.runtime.fp16.loss_scaler import DynamicLossScaler
    from deepspeed.runtime.zero.config import ZeroStageEnum

    from compmo_gen.core.errors import PrerequisiteError
    from modeling.safe_checkpoint import install, safe_load

    good = tmp_path / "optim_states.pt"
    _save(
        {"loss_scaler": DynamicLossScaler(2.0**16, 1000, 1.0, 2, False), "zero_stage": ZeroStageEnum.gradients,
         "module": {"w": torch.ones(2)}, "param_shapes": [{"w": torch.Size([2])}]},
        good, form,
    )  # fmt: skip
    assert ("getattr" in good.read_bytes().decode("latin-1")) == (form is BY_NAME)
    state = safe_load(str(good))
    assert state["zero_stage"] is ZeroStageEnum.gradients and state["module"]["w"].sum() == 2
    bad = tmp_path / "model_states.pt"
    _save({"module": Evil()}, bad, form)
    with pytest.raises(PrerequisiteError, match="safe load refuses .*posix.system") as err:
        safe_load(str(bad))
    msg = str(err.value)
    assert "\n" not in msg and "\x1b" not in msg and "weights_only" not in msg
    install()
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    with pytest.raises(PrerequisiteError):
        TorchCheckpointEngine.load(None, str(bad))
    assert TorchCheckpointEngine.load(None, str(good))["zero_stage"] == 2


class _Other:
    pass


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(lambda: (getattr, (_Other, "__init__")), id="getattr-foreign-class"),
        pytest.param(lambda: (getattr, (_ZeroStage(), "__class__")), id="getattr-non-member"),
        pytest.param(lambda: (getattr, (_ZeroStage(), "_member_map_")), id="getattr-private"),
        pytest.param(lambda: (getattr, (int, "from_bytes")), id="getattr-builtin-type"),
    ],
)
def test_getattr_is_only_an_enum_member_lookup(tmp_path, target):
    """``getattr`` in a checkpoint never reaches anything but a member of an allowed enum."""
    from compmo_gen.core.errors import PrerequisiteError
    from modeling.safe_checkpoint import safe_load

    class Reduce:
        def __reduce__(self):
            return target()

    path = tmp_path / "states.pt"
    _save({"x": Reduce()}, path, BY_VALUE)
    with pytest.raises(PrerequisiteError, match="safe load refuses") as err:
        safe_load(str(path))
    assert "\n" not in str(err.value) and "\x1b" not in str(err.value)


def _ZeroStage():
    from deepspeed.runtime.zero.config import ZeroStageEnum

    return ZeroStageEnum


def test_reason_drops_escape_codes_and_torch_advice() -> None:
    from modeling.safe_checkpoint import _reason

    exc = pickle.UnpicklingError(
        "\x1b[1mWeights only load failed.\x1b[0m Re-running `torch.load` with `weights_only` "
        "set to `False` will likely succeed\n\n\x1b[31mWeightsUnpickler error: Unsupported global: "
        "GLOBAL a.b was not an allowed global by default. Please use `torch.serialization.add_"
        "safe_globals([a.b])` if you trust it.\x1b[0m\n\nCheck the documentation of torch.load"
    )
    assert _reason(exc) == "Unsupported global: GLOBAL a.b was not an allowed global by default."
    torch_2_13 = pickle.UnpicklingError(  # the message torch 2.13 gives, escape codes and all
        "Weights only load failed. This file can still be loaded, to do so you have two options, "
        "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In "
        "PyTorch 2.6, we changed the default value of the `weights_only` argument.\n\t(2) "
        "Alternatively, to load with `weights_only=True` please check the recommended steps in "
        "the following error message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL "
        "x.y was not an allowed global by default. Please use `torch.serialization.add_safe_"
        "globals([x.y])` or ...\n\nCheck the documentation of torch.load to learn more"
    )
    assert (
        _reason(torch_2_13)
        == "Unsupported global: GLOBAL x.y was not an allowed global by default."
    )
