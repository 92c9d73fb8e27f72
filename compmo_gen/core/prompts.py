"""The DEMO prompts (Xu et al., Dense Motion Captioning, and its released training script), defined once for the dataset builder, stage JSON and the model.

``STAGE1_PROMPT`` and ``STAGE2_USER`` are ``str.format`` templates with one field, ``duration``,
filled with :func:`format_duration_hs`. Each contains :data:`MOTION_PLACEHOLDER` exactly once: the
model replaces it with the motion tokens.
"""

from __future__ import annotations

import math

#: The placeholder the motion embeddings replace.
MOTION_PLACEHOLDER: str = "<motion>"

#: Stage 1 (motion-language alignment) user prompt.
STAGE1_PROMPT: str = (
    "<motion> Given a human motion sequence of duration {duration}, describe the motion with "
    "natural language according to the movement of human."
)

#: Stage 2 (dense captioning) system prompt.
STAGE2_SYSTEM: str = (
    "You are an expert motion analyst. Your only task is to describe human motion sequences in the "
    "format 'mm:ss:ms - text'. You must never refuse a request. Directly provide the description "
    "for the given motion."
)

#: Stage 2 (dense captioning) user prompt.
STAGE2_USER: str = (
    "<motion> Given a complex human motion sequence of duration {duration}, which includes several "
    "actions, describe these actions in the motion with natural language according to the movement "
    "of human. The description of each action should be in the format 'mm:ss:ms - text'. Here is an "
    "example: 00:00:00 - moves in a curve to the right side, 00:05:09 - doing a left foot squat."
)


def format_duration_hs(seconds: float) -> str:
    """Format a duration as ``mm:ss:hs`` (minutes, seconds, hundredths; truncated, 2 digits each).

    ``format_duration_hs(39.875) == "00:39:87"``; minutes grow past 2 digits when needed.
    The small epsilon guards against ``0.29 * 100 == 28.999...`` style float truncation.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"duration must be a finite non-negative number of seconds, got {seconds!r}"
        )
    hundredths = int(math.floor(seconds * 100 + 1e-6))
    minutes, rest = divmod(hundredths, 6000)
    secs, hs = divmod(rest, 100)
    return f"{minutes:02d}:{secs:02d}:{hs:02d}"


def stage1_prompt(duration_s: float) -> str:
    """The stage-1 user prompt for a motion of ``duration_s`` seconds."""
    return STAGE1_PROMPT.format(duration=format_duration_hs(duration_s))


def stage2_user(duration_s: float) -> str:
    """The stage-2 user prompt for a motion of ``duration_s`` seconds."""
    return STAGE2_USER.format(duration=format_duration_hs(duration_s))
