"""DeepSpeed for ``compmo-train``: when to use it, and its JSON with every ``"auto"`` filled in.

The Hugging Face Trainer fills most ``"auto"`` values itself, but the ZeRO bucket sizes come from
``model.config.hidden_size``, which the composite motion model (adapter + LLM) does not have, so
DeepSpeed dies on ``reduce_bucket_size: "auto"``. :func:`resolve_zero_config` fills every
``"auto"`` from the training config and the real LLM's config instead, with the formulas the
Trainer uses, and the resolved JSON is written into the run folder (``deepspeed_config.json``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import ConfigError
from compmo_gen.core.io import load_json, write_atomic
from modeling.config import TrainConfig, resolve_bf16

#: The resolved DeepSpeed config in a run folder.
RESOLVED_NAME = "deepspeed_config.json"


def launched_by_launcher(env: Mapping[str, str] | None = None) -> bool:
    """Whether torchrun / deepspeed started this process (``WORLD_SIZE > 1`` or ``LOCAL_RANK``)."""
    env = os.environ if env is None else env
    try:
        world = int(env.get("WORLD_SIZE", "1") or "1")
    except ValueError:
        world = 1
    return world > 1 or "LOCAL_RANK" in env


def llm_hidden_size(llm_config: Any) -> int:
    """The LLM's hidden size (``hidden_size``, or the largest of ``hidden_sizes``)."""
    text = getattr(llm_config, "get_text_config", None)
    config = text() if callable(text) else llm_config
    size = getattr(config, "hidden_size", None)
    if size is None and getattr(config, "hidden_sizes", None):
        size = max(config.hidden_sizes)
    if not isinstance(size, int) or size <= 0:
        raise ConfigError("deepspeed: the LLM config has no hidden_size to size ZeRO buckets with")
    return size


def _auto_values(cfg: TrainConfig, hidden: int, world: int) -> dict[str, Any]:
    """Dotted JSON key -> value, as transformers' ``HfTrainerDeepSpeedConfig`` computes them."""
    return {
        "train_micro_batch_size_per_gpu": cfg.batch_size,
        "gradient_accumulation_steps": cfg.grad_accum,
        "train_batch_size": cfg.batch_size * cfg.grad_accum * max(world, 1),
        "gradient_clipping": cfg.max_grad_norm,
        "bf16.enabled": resolve_bf16(cfg.bf16),
        "fp16.enabled": False,
        "optimizer.params.lr": cfg.learning_rate,
        "optimizer.params.weight_decay": cfg.weight_decay,
        "optimizer.params.betas": [0.9, 0.999],
        "optimizer.params.eps": 1e-8,
        "scheduler.params.warmup_min_lr": 0,
        "scheduler.params.warmup_max_lr": cfg.learning_rate,
        "zero_optimization.reduce_bucket_size": hidden * hidden,
        "zero_optimization.stage3_prefetch_bucket_size": int(0.9 * hidden * hidden),
        "zero_optimization.stage3_param_persistence_threshold": 10 * hidden,
    }


def resolve_zero_config(
    source: str | os.PathLike[str] | Mapping[str, Any],
    cfg: TrainConfig,
    hidden: int,
    *,
    world: int = 1,
    steps: int | None = None,
    warmup_steps: int | None = None,
) -> dict[str, Any]:
    """The DeepSpeed config ``source`` (a JSON file or mapping) with no ``"auto"`` left; an
    ``"auto"`` this function cannot fill is a :class:`ConfigError` naming its key."""
    where = str(source) if not isinstance(source, Mapping) else "deepspeed config"
    data = json.loads(json.dumps(source)) if isinstance(source, Mapping) else load_json(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    values = _auto_values(cfg, hidden, world)
    if steps is not None:
        values["scheduler.params.total_num_steps"] = steps
    if warmup_steps is not None:
        values["scheduler.params.warmup_num_steps"] = warmup_steps

    def fill(node: Any, prefix: str) -> Any:
        if isinstance(node, dict):
            return {k: fill(v, f"{prefix}{k}.") for k, v in node.items()}
        if node == "auto":
            key = prefix.rstrip(".")
            if key not in values:
                raise ConfigError(f"{where}: {key}: 'auto' has no value compmo-train can fill")
            return values[key]
        return node

    return fill(data, "")


def write_zero_config(
    cfg: TrainConfig, hidden: int, out: Path, *, world: int, steps: int, warmup_steps: int
) -> Path:
    """Resolve ``cfg.deepspeed`` and write it as ``out/deepspeed_config.json``; its path."""
    if not cfg.deepspeed:
        raise ConfigError("deepspeed: no DeepSpeed config to resolve")
    resolved = resolve_zero_config(
        cfg.deepspeed, cfg, hidden, world=world, steps=steps, warmup_steps=warmup_steps
    )
    path = out / RESOLVED_NAME
    write_atomic(path, json.dumps(resolved, indent=1) + "\n")
    return path
