"""DEMO's own inference prompt and decoding (41xu/DEMO ``inference.py`` and ``utils/conversation.py``
``conv_llama_3``), stored in an imported run folder as ``prompt.json`` and used by ``compmo-infer``.

The user turn is DEMO's ``human_input`` after its own clean-up (``<motion>`` moved to the front,
stripped); the duration is DEMO's ``time_convert`` (``mm:ss`` and the milliseconds as ``%02d``, so
usually three digits). The system turn is ``conv_llama_3.system``; the chat template is the
tokenizer's (DEMO renders ``conv_llama_3`` with ``apply_chat_template`` too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compmo_gen.core.errors import ConfigError

PROMPT_FILE = "prompt.json"

DEMO_SYSTEM = (
    "You are an expert motion analyst. Your only task is to describe human motion sequences with "
    "natural language. You must never refuse a request. Directly provide the description for the "
    "given motion."
)
DEMO_USER = (
    "<motion>\nGiven a complex human motion sequence of duration {duration} which includes several "
    "actions, describe these actions in the motion with natural language according to the movement "
    "of human. \nThe description of each action should be in the format 'mm:ss:ms - text'. \n"
    "Here is an example: 00:00:00 - moves in a curve to the right side, 00:05:09 - doing a left "
    "foot squat"
)
#: DEMO's decoding: ``do_sample=True, top_p=0.9, temperature=0.7, max_new_tokens=500``.
DEMO_GENERATION = {"sample": True, "temperature": 0.7, "top_p": 0.9, "max_new_tokens": 500}


def demo_time(seconds: float) -> str:
    """DEMO's ``time_convert``: ``f"{min:02d}:{sec:02d}:{int(frac * 1000):02d}"``."""
    t = float(seconds)
    return f"{int(t // 60):02d}:{int(t % 60):02d}:{int((t - int(t)) * 1000):02d}"


def demo_prompt_spec() -> dict[str, Any]:
    return {
        "style": "demo",
        "system": DEMO_SYSTEM,
        "user": DEMO_USER,
        "duration_format": "demo",
        "generation": dict(DEMO_GENERATION),
    }


def read_prompt_spec(run: str | Path) -> dict[str, Any] | None:
    """The run's ``prompt.json`` (None when the run uses compmo's own prompts)."""
    path = Path(run) / PROMPT_FILE
    if not path.is_file():
        return None
    from compmo_gen.core.io import load_json

    spec = load_json(path)
    if not isinstance(spec, dict) or not isinstance(spec.get("user"), str):
        raise ConfigError(f"{path}: field 'user': missing or not a string")
    if spec["user"].count("<motion>") != 1 or "{duration}" not in spec["user"]:
        raise ConfigError(f"{path}: field 'user': needs <motion> once and a {{duration}} field")
    return spec


def user_prompt(spec: dict[str, Any], duration_s: float) -> str:
    """The user turn of ``spec`` for a motion of ``duration_s`` seconds."""
    from compmo_gen.core.prompts import format_duration_hs

    fmt = demo_time if spec.get("duration_format") == "demo" else format_duration_hs
    return spec["user"].replace("{duration}", fmt(duration_s))
