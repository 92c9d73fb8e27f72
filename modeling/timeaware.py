"""The time-aware recipe: each motion token follows its own time stamp, answers copy a stamp.

DEMO's recipe gives the LLM one token per 16-frame window (stride 8 = 0.4 s) and asks it to write
``mm:ss:ms`` start times: the model would have to count windows and multiply by 0.4 s, and in
practice it learns a prior instead (issue 25). With ``time_stamps`` set (``compmo-train
--time-stamps index|seconds``) the motion part of the prompt becomes

    ``0`` <m> ``1`` <m> ``2`` <m> ... ``k`` <m> ...      (index: k is the window, time k x 0.4 s)
    ``0.0`` <m> ``0.4`` <m> ``0.8`` <m> ...               (seconds: the window's start time)

(TimeChat / TimeLens: time as text before each frame) and the stage-2 answer is written with the
same stamps, ``0 - walks forward, 31 - jumps``: writing a time is copying a stamp that is in the
prompt. Training targets are snapped to the window grid (the nearest stamp); the decoder reads the
answer under constraints (strictly increasing, inside the motion, first segment at 0: whatever it
had to change is counted, never silent) and the prediction files carry the result as DEMO strings,
so every evaluator reads them as it reads any other model's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from compmo_gen.core.constants import FPS
from compmo_gen.core.formats.demo import format_demo_string, read_generation
from compmo_gen.core.prompts import MOTION_PLACEHOLDER, format_duration_hs
from compmo_gen.core.segments import Segment

TimeMode = Literal["none", "index", "seconds"]
TIME_MODES: tuple[str, ...] = ("none", "index", "seconds")

#: Stage-2 system prompt of the time-aware recipe.
TIME_AWARE_SYSTEM: str = (
    "You are an expert motion analyst. Your only task is to describe human motion sequences in the "
    "format 'time - text', where time is copied from the time stamp of the motion token where the "
    "action starts. You must never refuse a request. Directly provide the description for the given "
    "motion."
)

_UNIT = {
    "index": "Each motion token follows its time stamp k, the index of a 0.4 s step (time k x 0.4 s).",
    "seconds": "Each motion token follows its time stamp, its start time in seconds.",
}
_EXAMPLE = {
    "index": "0 - moves in a curve to the right side, 13 - doing a left foot squat.",
    "seconds": "0.0 - moves in a curve to the right side, 5.2 - doing a left foot squat.",
}
_START = {
    "index": re.compile(r"(?<![\d.])(\d{1,4})\s*-\s*"),
    "seconds": re.compile(r"(?<![\d.])(\d{1,4}\.\d{1,3})\s*-\s*"),
}


def check_mode(mode: str) -> TimeMode:
    if mode not in TIME_MODES:
        raise ValueError(f"time_stamps must be one of {', '.join(TIME_MODES)}, got {mode!r}")
    return mode  # type: ignore[return-value]


def grid_seconds(stride: int, fps: float = FPS) -> float:
    """Seconds between two consecutive motion tokens (0.4 s for DEMO's stride 8 at 20 fps)."""
    return stride / fps


def stamp_text(index: int, mode: TimeMode, grid: float) -> str:
    """The stamp written before window ``index``: ``"31"`` (index) or ``"12.4"`` (seconds)."""
    if mode == "index":
        return str(index)
    if mode == "seconds":
        return f"{index * grid:.1f}"
    raise ValueError(f"no stamps in time mode {mode!r}")


def time_aware_user(duration_s: float, mode: TimeMode) -> str:
    """The stage-2 user prompt of the time-aware recipe (the motion placeholder once)."""
    return (
        f"{MOTION_PLACEHOLDER} Given a complex human motion sequence of duration "
        f"{format_duration_hs(duration_s)}, which includes several actions, describe these actions "
        f"in the motion with natural language according to the movement of human. {_UNIT[mode]} "
        "The description of each action should be in the format 'time - text', with the time stamp "
        f"where the action starts. Here is an example: {_EXAMPLE[mode]}"
    )


class StampTable:
    """Token ids of each window's stamp, tokenized once per index."""

    def __init__(self, tokenizer: Any, mode: TimeMode, grid: float) -> None:
        self.tokenizer = tokenizer
        self.mode = check_mode(mode)
        self.grid = grid
        self._ids: dict[int, tuple[int, ...]] = {}

    def ids(self, index: int) -> tuple[int, ...]:
        got = self._ids.get(index)
        if got is None:
            text = stamp_text(index, self.mode, self.grid)
            got = tuple(self.tokenizer(text, add_special_tokens=False)["input_ids"])
            self._ids[index] = got
        return got

    def for_windows(self, indices: Iterable[int]) -> tuple[tuple[int, ...], ...]:
        return tuple(self.ids(int(i)) for i in indices)

    def cost_per_window(self, count: int) -> int:
        """Tokens one window takes at most among ``count`` windows (its stamp + the motion token)."""
        return 1 + max(len(self.ids(max(count - 1, 0))), len(self.ids(0)))


def snap_index(seconds: float, grid: float) -> int:
    """The window grid index nearest to ``seconds`` (halves round up)."""
    return int(math.floor(seconds / grid + 0.5 + 1e-9))


def encode_answer(answer: str, duration: float, mode: TimeMode, grid: float) -> str:
    """A stage-2 DEMO answer (``00:00:00 - a, 00:08:300 - b``) rewritten with grid stamps
    (``0 - a, 21 - b``): each start snapped to the nearest stamp. Raises ``ValueError`` when the
    answer has no time or two starts snap to the same stamp."""
    segs = read_generation(answer, duration).segments
    if not segs:
        raise ValueError("the answer holds no 'mm:ss:ms - text' segment")
    parts, last = [], -1
    for seg in segs:
        k = snap_index(seg.start, grid)
        if k <= last:
            raise ValueError(f"two segment starts snap to the same {grid} s stamp ({k})")
        last = k
        parts.append(f"{stamp_text(k, mode, grid)} - {seg.caption}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Decoded:
    """A time-aware answer read back: segments in seconds (None if no stamp parsed), repairs."""

    segments: tuple[Segment, ...] | None
    counts: Counter[str] = field(default_factory=Counter)


def decode_answer(text: str, duration: float, mode: TimeMode, grid: float) -> Decoded:
    """Read ``'0 - a, 21 - b'`` under the format's constraints: a start that is not after the
    previous one, or not inside the motion, is dropped with its caption (``non_increasing``,
    ``past_end``); a first start other than 0 is moved to 0 (``first_start_moved``); text before
    the first stamp is ``leading_text``; an empty caption is dropped (``empty_caption``)."""
    counts: Counter[str] = Counter()
    matches = list(_START[check_mode(mode)].finditer(text)) if mode != "none" else []
    if matches and re.search(r"[^\W_]", text[: matches[0].start()]):
        counts["leading_text"] += 1
    starts: list[float] = []
    captions: list[str] = []
    for i, m in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        cap = text[m.end() : stop].strip()
        if i + 1 < len(matches) and cap.endswith(","):
            cap = cap[:-1].rstrip()
        t = int(m.group(1)) * grid if mode == "index" else float(m.group(1))
        if starts and t <= starts[-1] + 1e-9:
            counts["non_increasing"] += 1
            continue
        if t >= duration - 1e-9 and starts:
            counts["past_end"] += 1
            continue
        if not cap:
            counts["empty_caption"] += 1
            continue
        starts.append(t)
        captions.append(cap)
    if not starts:
        return Decoded(None, counts)
    if starts[0] != 0.0:
        counts["first_start_moved"] += 1
        starts[0] = 0.0
    ends = starts[1:] + [duration]
    return Decoded(tuple(Segment(s, e, c) for s, e, c in zip(starts, ends, captions)), counts)


def snap_segments(
    segments: Sequence[Segment], duration: float | None, grid: float
) -> tuple[tuple[Segment, ...], Counter[str]]:
    """Starts moved to the nearest grid stamp (first to 0), ends to the next start (the last to
    ``duration``); a segment whose start lands on the previous one's is dropped (``merged``)."""
    counts: Counter[str] = Counter()
    starts: list[float] = []
    caps: list[str] = []
    for seg in sorted(segments, key=lambda s: s.start):
        t = 0.0 if not starts else snap_index(seg.start, grid) * grid
        if starts and t <= starts[-1] + 1e-9:
            counts["merged"] += 1
            continue
        counts["moved"] += abs(t - seg.start) > 1e-9
        starts.append(round(t, 6))
        caps.append(seg.caption)
    last_end = duration if duration is not None else (segments[-1].end if segments else 0.0)
    ends = starts[1:] + [last_end]
    return tuple(Segment(s, e, c) for s, e, c in zip(starts, ends, caps)), counts


def demo_string(segments: Sequence[Segment]) -> str:
    """Segments as a DEMO string (what ``generated.json`` holds); a caption that cannot be
    written as one is replaced by ``"?"`` (counted by the caller through :func:`writable`)."""
    return format_demo_string(
        [s if writable(s.caption) else Segment(s.start, s.end, "?") for s in segments]
    )


def writable(caption: str) -> bool:
    try:
        format_demo_string([Segment(0.0, 1.0, caption)])
    except ValueError:
        return False
    return True


def stamp_table(mode: str, tokenizer: Any) -> Any:
    """The time-stamp table of the time-aware recipe, or None (``mode`` "none")."""
    if mode == "none":
        return None
    from modeling.adapter import STRIDE

    return StampTable(tokenizer, mode, grid_seconds(STRIDE))
