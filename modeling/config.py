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
to ``tokens_per_step``). Left at ``auto`` (the default), ``packing``, ``compile``,
``gradient_checkpointing`` and ``tokens_per_step`` are chosen by ``modeling.autotune`` from the
model's size and the device memory (the plain Hugging Face step for small models).
Same maths: the loss equals the plain path's on the same samples (tests/modeling).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compmo_gen.core import config as core_config
from compmo_gen.core.config import setting
from compmo_gen.core.errors import ConfigError

STAGES = ("stage1", "stage2")
AUTO = "auto"
#: Keys that may be ``auto``: decided at the start of training by ``modeling.autotune``.
AUTO_KEYS = ("packing", "compile", "gradient_checkpointing", "tokens_per_step")


@dataclass
class TrainConfig:
    """Every knob of ``compmo-train``. Paths are as given (relative to the working directory)."""

    #: Training stage (set by the sub-command): stage1 (adapter) or stage2 (adapter + LoRA).
    stage: Literal["stage1", "stage2"] = "stage1"
    #: A Hugging Face model folder, or a folder holding a .gguf file (or the .gguf file itself).
    model: str = ""
    #: The .gguf file to use inside the model folder (when it holds several).
    gguf_file: str | None = None
    #: Stage JSON file to train on (written by `compmo-gen stage-json`).
    train_file: str = ""
    #: Folder the stage file's motion paths resolve in (default: the stage file's folder).
    motion_root: str | None = None
    #: The run folder: config.yaml, adapter weights, lora/, checkpoints, train_report.json.
    output_dir: str = "runs/stage1"
    #: Stage 2: the stage-1 run folder whose adapter initialises this one.
    init_from: str | None = None

    # adapter
    #: Width of the motion adapter's MLP.
    adapter_hidden: int = setting(default=1024, gt=0, le=65_536)
    #: Learned window position embedding (the paper's; the released code has none).
    pos_embedding: bool = False
    #: Most motion windows per sample (a longer motion keeps evenly spaced windows).
    max_windows: int = setting(default=1024, gt=0)
    #: Subtract the root's horizontal position at each window's first frame (off in the paper).
    center_windows: bool = False
    #: Time-aware recipe (modeling/timeaware.py): a text time stamp before each motion token and
    #: stage-2 answers written with those stamps: none (DEMO), index (window k, k x 0.4 s) or
    #: seconds ("12.4").
    time_stamps: Literal["none", "index", "seconds"] = "none"

    # LoRA (stage 2)
    #: LoRA rank.
    lora_r: int = setting(default=128, gt=0)
    #: LoRA alpha (scale alpha / r).
    lora_alpha: int = setting(default=256, gt=0)
    #: Dropout on the LoRA input.
    lora_dropout: float = setting(default=0.05, ge=0, lt=1)
    #: "all-linear" or a list of module names, e.g. [q_proj, v_proj] as in the paper.
    lora_targets: list[str] = field(default_factory=lambda: ["all-linear"])

    # optimisation
    #: Training epochs (fractions allowed; a positive max_steps wins).
    epochs: float = setting(default=1.0, ge=0)
    #: Optimizer steps to run; -1: as many as the epochs need.
    max_steps: int = setting(default=-1, ge=-1)
    #: Peak learning rate.
    learning_rate: float = setting(default=5e-5, ge=0)
    #: AdamW weight decay.
    weight_decay: float = setting(default=0.0, ge=0)
    #: Share of the optimizer steps spent warming the learning rate up.
    warmup_ratio: float = setting(default=0.1, ge=0, lt=1)
    #: A transformers learning-rate schedule.
    lr_scheduler: Literal[
        "cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts",
        "polynomial", "inverse_sqrt",
    ] = "cosine"  # fmt: skip
    #: Samples per micro-batch and device (unused with packing).
    batch_size: int = setting(default=16, gt=0)
    #: Micro-batches per optimizer step.
    grad_accum: int = setting(default=1, gt=0)
    #: Gradient clipping norm (0: none).
    max_grad_norm: float = setting(default=1.0, ge=0)
    #: Longest sample in tokens (over-long samples keep fewer motion windows, never less text).
    model_max_length: int = setting(default=3072, gt=0)
    #: Train in bfloat16; auto: on a GPU that supports it, float32 on a CPU (where bfloat16 is
    #: many times slower).
    bf16: bool | Literal["auto"] = "auto"
    #: Activation checkpointing in the LLM (ignored with packing); auto: modeling/autotune.py.
    gradient_checkpointing: bool | Literal["auto"] = "auto"
    #: Batch samples of similar length together (unused with packing).
    group_by_length: bool = True
    #: Data-loader worker processes.
    num_workers: int = setting(default=2, ge=0)
    #: Seed of the adapter's and LoRA's initialisation and of the data order.
    seed: int = setting(default=42, ge=0, lt=2**32)
    #: DeepSpeed JSON (scripts/zero2.json, zero3.json; "auto" values are filled in and the result
    #: is saved in the run folder). Used when a launcher started the run (WORLD_SIZE > 1 or
    #: LOCAL_RANK set) or when given on the command line; none: never.
    deepspeed: str | None = None
    #: Log every N optimizer steps.
    logging_steps: int = setting(default=10, gt=0)
    #: Save a checkpoint every N optimizer steps.
    save_steps: int = setting(default=500, gt=0)
    #: Checkpoints kept (older ones are deleted).
    save_total_limit: int = setting(default=2, gt=0)
    #: Resume: auto (the last checkpoint in output_dir, if any), a checkpoint folder, or none.
    resume: str | None = None
    #: auto (flash_attention_2 when installed and on a GPU, else sdpa), sdpa, eager, ...
    attn_implementation: Literal[
        "auto", "sdpa", "eager", "flash_attention_2", "flash_attention_3", "flex_attention"
    ] = "auto"
    #: No progress bars (set by -q).
    quiet: bool = False
    #: Loss curves as TensorBoard event files in <output_dir>/runs (the Trainer's report_to);
    #: auto: when the tensorboard package is installed. The loss history is always written to
    #: <output_dir>/log_history.json.
    tensorboard: bool | Literal["auto"] = "auto"

    # fast training path (see the module docstring)
    #: Packed micro-batches, answer-only chunked loss, no activation checkpointing; auto: chosen
    #: by model size and memory (modeling/autotune.py: the plain step for small models).
    packing: bool | Literal["auto"] = "auto"
    #: Regional torch.compile of the decoder layers, static shapes (requires packing); auto.
    compile: bool | Literal["auto"] = "auto"
    #: Token budget of one packed micro-batch (replaces batch_size and group_by_length when
    #: packing; a longer sample is a micro-batch of its own); auto: the most that fits.
    tokens_per_step: int | Literal["auto"] = setting(default="auto", gt=0)
    #: Packed step: LoRA's update added inside the frozen weight's product (one addmm per linear,
    #: modeling/fused_lora.py) instead of PEFT's own LoRA forward (same maths). Off: compiled at
    #: the Llama-3.1-8B shape on an H100 it was 3 % slower (results/gpu_train_8b_speed.md).
    fused_lora: bool = False
    #: Packed step: the frozen LLM weights' products in float8 (e4m3, scaled per row or per
    #: tensor; modeling/fp8_base.py), LoRA's products and everything else unchanged. An
    #: approximation for speed on Hopper-class GPUs (results/gpu_train_8b_speed.md); off: bf16.
    fp8_base: Literal["off", "rowwise", "tensorwise"] = "off"
    #: Compiled packed step: the attention's fixed bounds. general: 256 segments of up to
    #: tokens_per_step tokens; data: this run's most samples a micro-batch and its longest sample
    #: (modeling/packed_train.py data_bounds). Same maths, far fewer empty attention blocks.
    compile_bounds: Literal["general", "data"] = "general"

    def validate(self) -> None:
        """Rules between keys (each key's type and range is checked when it is read)."""
        for key in ("model", "train_file", "output_dir"):
            if not getattr(self, key):
                raise ConfigError(f"{key}: required")
        if self.fp8_base != "off" and self.packing is False:
            raise ConfigError("fp8_base: requires packing=true (float8 is the packed step's)")
        if self.fp8_base != "off" and self.deepspeed:
            raise ConfigError("fp8_base: not with deepspeed (ZeRO owns the weights)")
        if self.compile is True and self.packing is False:
            raise ConfigError(
                "compile: requires packing=true (the compiled step is the packed one)"
            )


@dataclass
class GenerationConfig:
    """Decoding settings of ``compmo-infer`` (recorded in ``infer_report.json``)."""

    #: Sequences generated together (sorted by motion length); auto: the most that fit in the
    #: GPU memory (modeling/resources.py), 1 on a CPU.
    batch_size: int | Literal["auto"] = setting(default="auto", gt=0)
    #: Most new tokens per sequence; auto: 500 on a GPU, 256 on a CPU (a DEMO run's own bound
    #: when smaller).
    max_new_tokens: int | Literal["auto"] = setting(default="auto", gt=0, le=100_000)
    #: Sample (seeded) instead of greedy decoding.
    sample: bool = False
    #: Sampling temperature.
    temperature: float = setting(default=0.7, gt=0)
    #: Nucleus sampling: keep the smallest token set of this probability.
    top_p: float = setting(default=0.9, gt=0, le=1)
    #: Sampling seed.
    seed: int = setting(default=0, ge=0, lt=2**32)
    #: Greedy decoder: auto = compmo's Llama decoder for a plain Llama model (loads without
    #: transformers' model classes, merged weights cached; modeling/llama_decode.py), else
    #: transformers' generate; transformers = always transformers' generate.
    decoder: Literal["auto", "transformers"] = "auto"


def resolve_bf16(value: bool | str) -> bool:
    """``bf16: auto``: bfloat16 on a CUDA GPU that supports it, float32 otherwise (on a 2-core
    CPU, bfloat16 made stage 1 and stage 2 steps tens of times slower: docs/training.md)."""
    if value != AUTO:
        return bool(value)
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def build_config(
    yaml_path: str | os.PathLike[str] | None = None,
    overrides: list[str] | Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> TrainConfig:
    """YAML file, then ``key=value`` overrides, then keyword arguments; validated."""
    return core_config.load(TrainConfig, yaml_path, sets=overrides or (), values=kwargs)


def save_config(cfg: TrainConfig, path: str | Path) -> None:
    """``config.yaml`` of a run folder (keys in field order); a resumed run rewrites its own."""
    core_config.save_yaml(cfg, path, replaces_input=True)


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The config a run saved (``<run>/config.yaml``)."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: not found (not a compmo-train run folder?)")
    return build_config(path)


__all__ = [
    "STAGES",
    "ConfigError",
    "GenerationConfig",
    "TrainConfig",
    "build_config",
    "load_run_config",
    "resolve_bf16",
    "save_config",
]
