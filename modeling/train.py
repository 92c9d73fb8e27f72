"""Two-stage DEMO training with the Hugging Face Trainer (plain process, torchrun or DeepSpeed).

Stage 1: the whole motion adapter trains, the LLM is frozen (the released code leaves the MLP
frozen by mistake). Stage 2: the adapter (initialised from stage 1) and LoRA on the LLM.
The run folder gets ``config.yaml``, ``motion_adapter.safetensors`` + ``motion_adapter.json``,
``lora/`` (stage 2), ``train_report.json`` (metrics, tokens/s, over-long counts) and checkpoints.

Fast training path (``packing: true``, see ``modeling/config.py``): the same Trainer and run
folder, but packed micro-batches of at most ``tokens_per_step`` tokens
(``modeling.packed_train``), the loss from ``modeling.fast_step.packed_loss`` normalised over the
accumulated micro-batches (the Trainer's ``num_items_in_batch``), and no activation checkpointing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import AnnotationError, ConfigError, PrerequisiteError
from modeling.batch import collate_padded
from modeling.config import TrainConfig, resolve_bf16, save_config
from modeling.data import MotionTextDataset, load_examples
from modeling.fast_step import configure_model, default_step_config
from modeling.model import (
    LORA_DIR,
    adapter_spec,
    build_motion_lm,
    load_adapter_weights,
    load_llm,
    load_tokenizer,
    make_adapter,
    read_adapter_spec,
    save_adapter,
)
from modeling.packed_train import configure_fast, packed_collator, packed_sampler
from modeling.trainer import make_trainer_class
from modeling.zero_config import llm_hidden_size, write_zero_config

log = logging.getLogger(__name__)


def use_tensorboard(cfg: TrainConfig) -> bool:
    """``tensorboard: auto`` is on when the package is installed; ``true`` without it is an error."""
    import importlib.util

    have = importlib.util.find_spec("tensorboard") is not None
    if cfg.tensorboard is True and not have:
        raise PrerequisiteError("tensorboard: true, but the tensorboard package is not installed")
    return have if cfg.tensorboard == "auto" else bool(cfg.tensorboard)


def _optimizer_steps(cfg: TrainConfig, n_batches: int, world: int) -> int:
    """``n_batches``: micro-batches in one epoch, all devices together."""
    per_step = cfg.grad_accum * max(world, 1)
    if cfg.max_steps > 0:
        return cfg.max_steps
    return math.ceil(math.ceil(n_batches / per_step) * cfg.epochs)


def _training_args(cfg: TrainConfig, steps: int, deepspeed: str | None) -> Any:
    """The Trainer's arguments; ``deepspeed``: the resolved DeepSpeed JSON (or None)."""
    import torch
    from transformers import TrainingArguments

    wanted: dict[str, Any] = {
        "output_dir": cfg.output_dir,
        "per_device_train_batch_size": cfg.batch_size,
        "gradient_accumulation_steps": cfg.grad_accum,
        "num_train_epochs": cfg.epochs,
        "max_steps": cfg.max_steps,
        "learning_rate": cfg.learning_rate,
        "weight_decay": cfg.weight_decay,
        "warmup_steps": int(math.ceil(cfg.warmup_ratio * steps)),
        "lr_scheduler_type": cfg.lr_scheduler,
        "max_grad_norm": cfg.max_grad_norm,
        "bf16": resolve_bf16(cfg.bf16),
        "logging_steps": cfg.logging_steps,
        "save_strategy": "steps",
        "save_steps": cfg.save_steps,
        "save_total_limit": cfg.save_total_limit,
        "report_to": ["tensorboard"] if use_tensorboard(cfg) else [],
        "logging_dir": str(Path(cfg.output_dir) / "runs"),
        "seed": cfg.seed,
        "dataloader_num_workers": cfg.num_workers,
        "remove_unused_columns": False,
        "disable_tqdm": cfg.quiet,
        "deepspeed": deepspeed,
        "use_cpu": not torch.cuda.is_available(),
        "logging_first_step": True,
    }
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    return TrainingArguments(**{k: v for k, v in wanted.items() if k in fields})


def fp8_count(model: Any, cfg: TrainConfig) -> int:
    """Frozen linears running float8 products (``fp8_base``); a request that took none is warned."""
    from modeling.fp8_base import FP8

    n = sum(hasattr(m, FP8) for m in model.modules())
    if cfg.fp8_base != "off" and n == 0:
        why = "the packed step only" if not cfg.packing else "bf16 LoRA linears only"
        log.warning("fp8_base=%s: no weight converted (%s); bf16 products", cfg.fp8_base, why)
    return n


def build_model(cfg: TrainConfig, tokenizer: Any) -> tuple[Any, dict[str, Any]]:
    """LLM (frozen) + adapter (+ LoRA in stage 2), trainable flags set."""
    import torch

    from modeling.autotune import settled

    cfg = settled(cfg)  # `auto` keys that train() did not decide: the static defaults

    dtype = torch.bfloat16 if cfg.bf16 else torch.float32
    llm = load_llm(cfg.model, cfg.gguf_file, dtype=dtype, attn=cfg.attn_implementation)
    llm.config.use_cache = False
    for p in llm.parameters():
        p.requires_grad_(False)
    spec = adapter_spec(cfg, llm.config.hidden_size)
    adapter = make_adapter(spec)
    if cfg.stage == "stage2":
        if cfg.init_from:
            init = Path(cfg.init_from)
            old = read_adapter_spec(init)
            if old["d_model"] != spec["d_model"] or old["hidden"] != spec["hidden"]:
                raise ConfigError(f"init_from: {init}: adapter sizes differ from this run's")
            load_adapter_weights(adapter, init)
            log.info("adapter initialised from %s", init)
        else:
            log.warning("stage2 without init_from: the adapter starts from scratch")
        from peft import LoraConfig, get_peft_model

        targets: Any = cfg.lora_targets
        if targets == ["all-linear"]:
            targets = "all-linear"
        lora = LoraConfig(
            r=cfg.lora_r,
            lora_alpha=cfg.lora_alpha,
            lora_dropout=cfg.lora_dropout,
            target_modules=targets,
            task_type="CAUSAL_LM",
        )
        llm = get_peft_model(llm, lora)
    if cfg.packing:
        configure_fast(llm, cfg)
    else:
        configure_model(llm, default_step_config(cfg.gradient_checkpointing), packed=False)
    for p in adapter.parameters():
        p.requires_grad_(True)  # the whole adapter, MLP included (the released code's bug)
    model = build_motion_lm(llm, adapter)
    model.accepts_loss_kwargs = cfg.packing  # packed loss normalised by the Trainer's count
    return model, spec


def count_parameters(model: Any) -> dict[str, int]:
    """Trainable and all parameters of the built model (ZeRO-3 partitions counted whole): the
    one count that the log and ``train_report.json`` both give."""

    def numel(p: Any) -> int:
        return int(getattr(p, "ds_numel", 0) or p.numel())

    params = list(model.parameters())
    return {
        "trainable_parameters": sum(numel(p) for p in params if p.requires_grad),
        "parameters": sum(numel(p) for p in params),
    }


def _resume_path(cfg: TrainConfig) -> str | None:
    if cfg.resume in (None, "", "none"):
        return None
    if cfg.resume == "auto":
        from transformers.trainer_utils import get_last_checkpoint

        last = get_last_checkpoint(cfg.output_dir) if Path(cfg.output_dir).is_dir() else None
        log.info("resume=auto: %s", last or "no checkpoint, starting fresh")
        return last
    return cfg.resume


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Run one training stage; return the report written to ``train_report.json``."""
    from modeling.staging import (
        check_finite_weights,
        check_one_gpu_per_process,
        check_train_inputs,
        resume_problem,
    )
    from modeling.timeaware import stamp_table

    check_one_gpu_per_process()
    check_train_inputs(cfg)  # every input before the tokenizer and the model load
    import torch

    if not torch.cuda.is_available():  # the one CPU thread rule, per process of a launcher
        from modeling.resources import set_cpu_threads

        n = set_cpu_threads(int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1))
        log.info("CPU training: %d thread(s) per process", n)
    out = Path(cfg.output_dir)
    tokenizer = load_tokenizer(cfg.model, cfg.gguf_file)
    counts: Counter[str] = Counter()
    t0 = time.perf_counter()
    stamps = stamp_table(cfg.time_stamps, tokenizer)
    examples = load_examples(
        cfg.train_file,
        tokenizer,
        max_length=cfg.model_max_length,
        motion_root=cfg.motion_root,
        counts=counts,
        stamps=stamps,
        timed_answers=cfg.stage == "stage2",
    )
    if not examples:
        raise AnnotationError(cfg.train_file, None, None, "no training example")
    prep_s = time.perf_counter() - t0
    dataset = MotionTextDataset(examples, center=cfg.center_windows, stamps=stamps)
    from modeling.autotune import resolve

    cfg = dataclasses.replace(cfg, bf16=resolve_bf16(cfg.bf16))  # auto: a GPU's bf16, else fp32
    cfg, tuned = resolve(cfg, dataset.lengths())  # the `auto` keys decided (and recorded)
    from transformers import set_seed

    set_seed(cfg.seed)  # the adapter's and LoRA's initialisation too, not only the Trainer's
    model, spec = build_model(cfg, tokenizer)
    n_params = count_parameters(model)
    log.info("trainable parameters: %(trainable_parameters)d of %(parameters)d", n_params)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if cfg.packing:
        sampler = packed_sampler(cfg, dataset.lengths())
        extra: dict[str, Any] = {"batch_sampler": sampler}
        collator: Any = packed_collator(cfg, tokenizer.pad_token_id, sampler)
        n_batches = len(sampler)
        log.info("packing: %d micro-batches of <= %d tokens", n_batches, cfg.tokens_per_step)
    else:
        extra = {"lengths": dataset.lengths() if cfg.group_by_length else None}
        collator = functools.partial(collate_padded, pad_id=tokenizer.pad_token_id)
        n_batches = math.ceil(len(dataset) / cfg.batch_size)
    steps = _optimizer_steps(cfg, n_batches, world)
    deepspeed = None
    if cfg.deepspeed:  # "auto" resolved here: the composite model has no config.hidden_size
        deepspeed = str(
            write_zero_config(
                cfg,
                llm_hidden_size(model.llm.config),
                out,
                world=world,
                steps=steps,
                warmup_steps=int(math.ceil(cfg.warmup_ratio * steps)),
            )
        )
        log.info("deepspeed: %s resolved into %s", cfg.deepspeed, deepspeed)
    args = _training_args(cfg, steps, deepspeed)
    trainer = make_trainer_class()(
        model=model, args=args, train_dataset=dataset, data_collator=collator, **extra
    )
    from modeling.progress import step_clock

    clock = step_clock(lambda: trainer.tokens_seen)
    trainer.add_callback(clock)
    if cfg.deepspeed:
        from modeling.safe_checkpoint import install

        install()  # a resumed ZeRO checkpoint is loaded with weights_only=True
    save_config(cfg, out / "config.yaml")  # once every input has loaded: a refusal writes nothing
    resume = _resume_path(cfg)
    from modeling.fp8_base import restore

    fp8_linears = fp8_count(model, cfg)
    try:
        result = trainer.train(resume_from_checkpoint=resume)
    except Exception as exc:  # a checkpoint refused on resuming: one line
        if (problem := resume_problem(exc, resume)) is None:
            raise
        raise ConfigError(problem) from None
    finally:
        restore(model)  # the bf16 weights back before anything is saved
    model = trainer.accelerator.unwrap_model(trainer.model)
    report: dict[str, Any] = {
        "stage": cfg.stage,
        "examples": len(dataset),
        "packing": cfg.packing,
        "autotune": tuned,
        "counts": dict(counts),
        "optimizer_steps": steps,
        "fp8_base": {"mode": cfg.fp8_base, "linears": fp8_linears},
        **n_params,
        "data_prep_s": round(prep_s, 3),
        **{k: v for k, v in result.metrics.items()},
    }
    runtime = result.metrics.get("train_runtime") or 0.0
    report["tokens_seen"] = trainer.tokens_seen * world
    report["tokens_per_s"] = round(report["tokens_seen"] / runtime, 1) if runtime else None
    steady = clock.summary()  # the first steps (compile warm-up) apart from the steady state
    if steady.get("steady_tokens_per_s") is not None:
        steady["steady_tokens_per_s"] = round(steady["steady_tokens_per_s"] * world, 1)
    report.update(steady)
    import torch

    if torch.cuda.is_available():  # this process's peak, what decides the token budget
        report["cuda_peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    from modeling.zero3 import gathered

    with gathered(p for p in model.parameters() if p.requires_grad):  # ZeRO-3: whole weights
        check_finite_weights(model, report)
        if trainer.args.should_save:
            save_adapter(model.adapter, spec, out)
            if cfg.stage == "stage2":
                model.llm.save_pretrained(str(out / LORA_DIR))
            tokenizer.save_pretrained(str(out / "tokenizer"))
            (out / "train_report.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
            history = json.dumps(trainer.state.log_history, indent=1) + "\n"
            (out / "log_history.json").write_text(history, "utf-8")
    log.info("done: %s", json.dumps(report))
    return report
