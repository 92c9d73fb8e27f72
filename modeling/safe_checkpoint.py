"""DeepSpeed resumes without unpickling arbitrary objects.

DeepSpeed's ``TorchCheckpointEngine.load`` calls ``torch.load(weights_only=False)`` on every
checkpoint file, so a crafted ``mp_rank_00_model_states.pt`` could run code on resume.
:func:`install` replaces it with ``torch.load(weights_only=True)`` that allows, besides tensors and
plain containers, only the few DeepSpeed classes its own checkpoints hold (loss scalers, the ZeRO
stage enum). Anything else fails with a one-line :class:`PrerequisiteError`.
"""

from __future__ import annotations

import logging
from typing import Any

from compmo_gen.core.errors import PrerequisiteError

log = logging.getLogger(__name__)


def _allowed() -> list[Any]:
    allowed: list[Any] = []
    try:
        from deepspeed.runtime.fp16 import loss_scaler

        allowed += [loss_scaler.LossScaler, loss_scaler.DynamicLossScaler]
    except ImportError:  # pragma: no cover (deepspeed layout changed)
        pass
    try:
        from deepspeed.runtime.zero.config import ZeroStageEnum

        allowed.append(ZeroStageEnum)
    except ImportError:  # pragma: no cover
        pass
    return allowed


def safe_load(path: str, map_location: Any = None) -> Any:
    """``torch.load`` restricted to tensors, containers and DeepSpeed's checkpoint classes."""
    import pickle

    import torch

    with torch.serialization.safe_globals(_allowed()):
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PrerequisiteError(
                f"{path}: checkpoint holds objects a safe load refuses ({first})"
            ) from None


def install() -> None:
    """Make DeepSpeed's torch checkpoint engine load through :func:`safe_load`."""
    from deepspeed.runtime.checkpoint_engine import torch_checkpoint_engine as tce

    def load(self: Any, path: str, map_location: Any = None) -> Any:
        return safe_load(path, map_location)

    tce.TorchCheckpointEngine.load = load
    log.debug("DeepSpeed checkpoints load with torch.load(weights_only=True)")
