"""DeepSpeed resumes without unpickling arbitrary objects.

DeepSpeed's ``TorchCheckpointEngine.load`` calls ``torch.load(weights_only=False)`` on every
checkpoint file, so a crafted ``mp_rank_00_model_states.pt`` could run code on resume.
:func:`install` replaces it with ``torch.load(weights_only=True)`` that allows, besides tensors and
plain containers, only the few DeepSpeed classes its own checkpoints hold (loss scalers, the ZeRO
stage enum, ZeRO-2's ``fragment_address`` slices: found by loading real ZeRO-2 checkpoints in
``tests/modeling/test_multiprocess.py``). Anything else fails with a one-line :class:`PrerequisiteError`.

Enum members are pickled in one of two ways depending on the Python that wrote the file: by value
(``ZeroStageEnum(2)``) or, on some Python 3.11 releases (Debian's 3.11.2), by name through
``builtins.getattr`` (``getattr(ZeroStageEnum, "gradients")``). The second form is allowed only
for the allow-listed enum classes and their member names: ``getattr`` in a checkpoint resolves to
:func:`_enum_member`, never to the real ``getattr``.
"""

from __future__ import annotations

import enum
import logging
import re
from typing import Any

from compmo_gen.core.errors import PrerequisiteError

log = logging.getLogger(__name__)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Lines of torch's refusal message that are not its reason (its numbered advice included).
_GENERIC = (
    "Weights only load failed",
    "Check the documentation",
    "Please file an issue",
    "(1) ",
    "(2) ",
)


def _enums() -> list[type[enum.Enum]]:
    try:
        from deepspeed.runtime.zero.config import ZeroStageEnum
    except ImportError:  # pragma: no cover (deepspeed layout changed)
        return []
    return [ZeroStageEnum]


def _enum_member(cls: Any, name: Any) -> Any:
    """``getattr(cls, name)`` as a pickle may call it: only a member of an allowed enum class."""
    import pickle

    if not (isinstance(cls, type) and cls in _enums()):
        raise pickle.UnpicklingError(f"getattr on {cls!r} is not allowed (only allowed enums)")
    if not isinstance(name, str) or name not in cls.__members__:
        raise pickle.UnpicklingError(f"{cls.__name__} has no member {name!r}")
    return cls.__members__[name]


def _allowed() -> list[Any]:
    allowed: list[Any] = [*_enums(), (_enum_member, "builtins.getattr")]
    try:
        from deepspeed.runtime.fp16 import loss_scaler

        allowed += [loss_scaler.LossScaler, loss_scaler.DynamicLossScaler]
    except ImportError:  # pragma: no cover (deepspeed layout changed)
        pass
    try:  # ZeRO-1/2 optimizer states: (numel, start) of each parameter's slice
        from deepspeed.utils.tensor_fragment import fragment_address

        allowed.append(fragment_address)
    except ImportError:  # pragma: no cover
        pass
    return allowed


def _reason(exc: BaseException) -> str:
    """Why the unpickler refused, in one line: torch's generic preamble, its documentation
    pointer and its advice (to load with ``weights_only=False`` or allow-list the global) are
    dropped, and so are terminal escape codes."""
    lines = [ln.strip() for ln in _ANSI.sub("", str(exc)).splitlines() if ln.strip()]
    for line in lines:
        if not line.startswith(_GENERIC):
            line = line.removeprefix("WeightsUnpickler error: ")
            return line.split(" Please use `torch.serialization", 1)[0].strip()
    return lines[0] if lines else type(exc).__name__


def safe_load(path: str, map_location: Any = None) -> Any:
    """``torch.load`` restricted to tensors, containers and DeepSpeed's checkpoint classes."""
    import pickle

    import torch

    with torch.serialization.safe_globals(_allowed()):
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as exc:
            raise PrerequisiteError(
                f"{path}: checkpoint holds objects a safe load refuses ({_reason(exc)})"
            ) from None


def install() -> None:
    """Make DeepSpeed's torch checkpoint engine load through :func:`safe_load`."""
    from deepspeed.runtime.checkpoint_engine import torch_checkpoint_engine as tce

    def load(self: Any, path: str, map_location: Any = None) -> Any:
        return safe_load(path, map_location)

    tce.TorchCheckpointEngine.load = load
    log.debug("DeepSpeed checkpoints load with torch.load(weights_only=True)")
