"""`compmo-train` and `compmo-infer`: thin shells over modeling.train / modeling.infer."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.core.cli import Command, dispatch

TRAIN_COMMANDS: dict[str, Command] = {
    "stage1": Command("modeling.train_cli", "stage 1: train the motion adapter, LLM frozen"),
    "stage2": Command("modeling.train_cli", "stage 2: adapter + LoRA dense-captioning tuning"),
    "merge": Command("modeling.merge_cli", "merge a stage-2 run's LoRA into the LLM"),
}

INFER_COMMANDS: dict[str, Command] = {
    "run": Command("modeling.infer_cli", "dense captions for a stage/test file with a trained run"),
}


def train_main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-train", TRAIN_COMMANDS, argv)


def infer_main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-infer", INFER_COMMANDS, argv, default="run")
