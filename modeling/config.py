"""Typed training configuration: a dataclass read from YAML, overridden from the command line,
and saved into the run folder (``config.yaml``) so every run records exactly what it did.

Fast training path
------------------
``packing: true`` switches ``compmo-train`` to the optimised step of ``modeling.fast_step``:
micro-batches of at most ``tokens_per_step`` tokens (not ``batch_size`` samples) packed into one
row, position ids restarting at every sample and attention that never crosses samples
(``modeling.packing``), the cross-entropy computed only at answer positions in chunks
(``modeling.losses``), and no activation checkpointing (``gradient_checkpointing`` is then
ignored, with a log line). ``compile: true`` (needs ``packing``)
adds regional ``torch.compile`` of the decoder layers with fixed shapes (every micro-batch padded
to ``tokens_per_step``). The default (``packing: false``) is the plain Hugging Face step.
Same maths: the loss equals the plain path's on the same samples (tests/modeling).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STAGES = ("stage1", "stage2")


class ConfigError(ValueError):
    """A bad configuration file or override (one line, names the key)."""


@dataclass
class TrainConfig:
    """Every knob of ``compmo-train``. Paths are as given (relative to the working directory)."""

    stage: str = "stage1"
    #: A Hugging Face model folder, or a folder holding a .gguf file (or the .gguf file itself).
    model: str = ""
    gguf_file: str | None = None
    train_file: str = ""
    #: Folder the stage file's motion paths resolve in (default: the stage file's folder).
    motion_root: str | None = None
    output_dir: str = "runs/stage1"
    #: Stage 2: the stage-1 run folder whose adapter initialises this one.
    init_from: str | None = None

    # adapter
    adapter_hidden: int = 1024
    pos_embedding: bool = False
    max_windows: int = 1024
    center_windows: bool = False

    # LoRA (stage 2)
    lora_r: int = 128
    lora_alpha: int = 256
    lora_dropout: float = 0.05
    #: "all-linear" or a list of module names, e.g. [q_proj, v_proj] as in the paper.
    lora_targets: list[str] = field(default_factory=lambda: ["all-linear"])

    # optimisation
    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    warmup_ratio: float = 0.1
    lr_scheduler: str = "cosine"
    batch_size: int = 16
    grad_accum: int = 1
    max_grad_norm: float = 1.0
    model_max_length: int = 3072
    bf16: bool = False
    gradient_checkpointing: bool = False
    group_by_length: bool = True
    num_workers: int = 2
    seed: int = 42
    deepspeed: str | None = None
    logging_steps: int = 10
    save_steps: int = 500
    save_total_limit: int = 2
    resume: str | None = None
    attn_implementation: str = "auto"
    quiet: bool = False

    # fast training path (see the module docstring)
    #: Packed micro-batches, answer-only chunked loss, no activation checkpointing.
    packing: bool = False
    #: Regional torch.compile of the decoder layers, static shapes (requires packing).
    compile: bool = False
    #: Token budget of one packed micro-batch (replaces batch_size and group_by_length when
    #: packing; a longer sample is a micro-batch of its own).
    tokens_per_step: int = 6144

    def validate(self) -> None:
        if self.stage not in STAGES:
            raise ConfigError(f"stage: must be one of {', '.join(STAGES)}, got {self.stage!r}")
        for key in ("model", "train_file", "output_dir"):
            if not getattr(self, key):
                raise ConfigError(f"{key}: required")
        positive = ("batch_size", "grad_accum", "model_max_length", "lora_r", "max_windows")
        for key in (*positive, "tokens_per_step"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"{key}: must be positive")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError("warmup_ratio: must be in [0, 1)")
        if self.compile and not self.packing:
            raise ConfigError(
                "compile: requires packing=true (the compiled step is the packed one)"
            )


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(TrainConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(TrainConfig)}


def _coerce(key: str, value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        inner = [a for a in args if a is not type(None)][0]
        return _coerce(key, value, inner)
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(key, v, args[0]) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    try:
        if tp is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return tp(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected {tp.__name__}, got {value!r}") from None


def build_config(
    yaml_path: str | Path | None = None, overrides: list[str] | None = None, **kwargs: Any
) -> TrainConfig:
    """YAML file, then ``key=value`` overrides, then keyword arguments; validated."""
    import yaml

    types_ = _field_types()
    values: dict[str, Any] = {}
    if yaml_path is not None:
        try:
            loaded = yaml.safe_load(Path(yaml_path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{yaml_path}: cannot read ({exc})") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{yaml_path}: expected a mapping of config keys")
        values.update(loaded)
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r}: expected key=value")
        values[key.strip().replace("-", "_")] = yaml.safe_load(raw) if raw else ""
    values.update(kwargs)
    unknown = sorted(set(values) - set(types_))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown config key")
    cfg = TrainConfig(**{k: _coerce(k, v, types_[k]) for k, v in values.items()})
    cfg.validate()
    return cfg


def save_config(cfg: TrainConfig, path: str | Path) -> None:
    import yaml

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(
        yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False), encoding="utf-8"
    )


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The config a run saved (``<run>/config.yaml``)."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: not found (not a compmo-train run folder?)")
    return build_config(path)
