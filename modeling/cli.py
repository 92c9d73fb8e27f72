"""`compmo-train` and `compmo-infer`: thin shells over modeling.train / modeling.infer.

The logging flags (``-q``/``--quiet``, ``-v``/``--verbose``) may come before the sub-command
(``compmo-train -q stage2 ...``) as well as after it. ``-q`` also silences the progress bars of
the libraries underneath (transformers' weight-loading bars, Hugging Face Hub downloads, tqdm),
in this process and in the worker processes it starts."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from compmo_gen.core.cli import Command, dispatch

TRAIN_COMMANDS: dict[str, Command] = {
    "stage1": Command("modeling.train_cli", "stage 1: train the motion adapter, LLM frozen"),
    "stage2": Command("modeling.train_cli", "stage 2: adapter + LoRA dense-captioning tuning"),
    "merge": Command("modeling.merge_cli", "merge a stage-2 run's LoRA into the LLM"),
    "import-demo": Command(
        "modeling.import_demo_cli", "DEMO/LLaVA-style checkpoint folder -> a compmo run folder"
    ),
}

INFER_COMMANDS: dict[str, Command] = {
    "run": Command("modeling.infer_cli", "dense captions for a stage/test file with a trained run"),
}

LOGGING_FLAGS = ("-q", "--quiet", "-v", "--verbose")


def _flags_after_command(args: list[str], commands: dict[str, Command]) -> list[str]:
    """``-q stage2 ...`` -> ``stage2 -q ...``: leading logging flags move behind the command."""
    lead = 0
    while lead < len(args) and args[lead] in LOGGING_FLAGS:
        lead += 1
    if lead and lead < len(args) and args[lead] in commands:
        return [args[lead], *args[:lead], *args[lead + 1 :]]
    return args


def quiet_libraries() -> None:
    """No progress bars from transformers, huggingface_hub or tqdm (inherited by children)."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["TQDM_DISABLE"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "transformers" in sys.modules:  # already imported: its switch was read at import time
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()


def _main(prog: str, commands: dict[str, Command], argv: Sequence[str] | None, **kw: str) -> int:
    args = _flags_after_command(list(sys.argv[1:] if argv is None else argv), commands)
    head = args[: args.index("--")] if "--" in args else args
    if "-q" in head or "--quiet" in head:
        quiet_libraries()
    return dispatch(prog, commands, args, **kw)


def train_main(argv: Sequence[str] | None = None) -> int:
    return _main("compmo-train", TRAIN_COMMANDS, argv)


def infer_main(argv: Sequence[str] | None = None) -> int:
    return _main("compmo-infer", INFER_COMMANDS, argv, default="run")
