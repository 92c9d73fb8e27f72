"""Stage files -> tokenized examples with motion windows; the over-long policy; the dataset.

Over-long policy: when text + motion tokens exceed ``max_length``, the motion is shortened by
keeping evenly spaced windows (so it still spans the whole sequence); the text and the target are
never cut. An example whose text alone does not fit is skipped. Both are counted and logged.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from compmo_gen.core.constants import FPS
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import check_joint_values, load_joints, require_regular
from compmo_gen.core.prompts import STAGE2_SYSTEM, stage1_prompt, stage2_user
from compmo_gen.core.stage_files import StageRecord, motion_path, read_stage_file
from modeling.adapter import STRIDE, WINDOW, motion_windows, num_windows, select_windows
from modeling.batch import Sample
from modeling.prompting import MOTION_PLACEHOLDER, EncodedPrompt, encode_prompt
from modeling.timeaware import TIME_AWARE_SYSTEM, StampTable, encode_answer, time_aware_user

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    id: str
    motion: Path
    frames: tuple[int, int]
    prompt: EncodedPrompt
    windows: int  # windows kept (after the over-long policy)
    total_windows: int
    gt: str | None = None
    #: Time stamp tokens written before the kept windows (time-aware recipe; 0 otherwise).
    stamp_tokens: int = 0

    @property
    def duration(self) -> float:
        return (self.frames[1] - self.frames[0]) / FPS

    def length(self) -> int:
        return self.prompt.text_length() + self.windows + self.stamp_tokens


def _check_motion(
    path: Path, file: str, rid: str, frames: tuple[int, int] | None
) -> tuple[int, int]:
    arr = load_joints(path, file=file, record=rid, field="motion", mmap=True)
    if frames is None:
        frames = (0, int(arr.shape[0]))
    if frames[1] > arr.shape[0]:
        raise AnnotationError(file, rid, "frames", f"end {frames[1]} beyond {arr.shape[0]} frames")
    check_joint_values(arr[frames[0] : frames[1]], file, rid, "motion")
    return frames


def prompt_for(record: StageRecord, duration: float, kind: str) -> tuple[str | None, str]:
    """(system, user) of a record; test records get the stage-1 or stage-2 prompt built here."""
    if record.user is not None:
        return record.system, record.user
    if kind == "stage1":
        return None, stage1_prompt(duration)
    return STAGE2_SYSTEM, stage2_user(duration)


def load_examples(
    stage_file: str | Path,
    tokenizer: Any,
    *,
    max_length: int,
    motion_root: str | None = None,
    with_answer: bool = True,
    prompt_kind: str = "stage2",
    counts: Counter[str] | None = None,
    stamps: StampTable | None = None,
    timed_answers: bool = False,
) -> list[Example]:
    """Read, check and tokenize a stage file (bad records raise :class:`AnnotationError`).

    ``stamps`` (time-aware recipe): each window is preceded by its time stamp and the stage-2
    prompt is :func:`modeling.timeaware.time_aware_user`; ``timed_answers``: the answers are DEMO
    strings, rewritten with grid stamps (:func:`modeling.timeaware.encode_answer`)."""
    counts = Counter() if counts is None else counts
    file = str(stage_file)
    out = []
    for rec in read_stage_file(stage_file):
        counts["records"] += 1
        if with_answer and (rec.user is None or not rec.answer):
            raise AnnotationError(file, rec.id, "conversations", "no 'gpt' answer to train on")
        path = motion_path(rec, file=file, root=motion_root)
        frames = _check_motion(path, file, rec.id, rec.frames)
        duration = (frames[1] - frames[0]) / FPS
        system, user = prompt_for(rec, duration, prompt_kind)
        answer = rec.answer if with_answer else None
        if stamps is not None and (timed_answers or (not with_answer and prompt_kind == "stage2")):
            system, user = TIME_AWARE_SYSTEM, time_aware_user(duration, stamps.mode)
            if answer is not None:
                try:
                    answer = encode_answer(answer, duration, stamps.mode, stamps.grid)
                except ValueError as exc:
                    raise AnnotationError(file, rec.id, "conversations", str(exc)) from None
        if user.count(MOTION_PLACEHOLDER) != 1:
            raise AnnotationError(
                file, rec.id, "conversations", f"the prompt must hold {MOTION_PLACEHOLDER} once"
            )
        enc = encode_prompt(tokenizer, system, user, answer)
        total = max(num_windows(frames[1] - frames[0], WINDOW, STRIDE), 1)
        per_window = stamps.cost_per_window(total) if stamps is not None else 1
        budget = (max_length - enc.text_length()) // per_window
        if budget < 1:
            counts["skipped_text_too_long"] += 1
            continue
        if total > budget:
            counts["motion_shortened"] += 1
        keep = min(total, budget)
        n_stamps = 0
        if stamps is not None:
            n_stamps = sum(len(x) for x in stamps.for_windows(select_windows(total, keep)))
        out.append(Example(rec.id, path, frames, enc, keep, total, rec.gt, n_stamps))
    counts["examples"] += len(out)
    if counts["motion_shortened"] or counts["skipped_text_too_long"]:
        log.warning(
            "%s: over-long policy: %d motions shortened (evenly spaced windows kept), "
            "%d examples skipped (text alone over %d tokens)",
            file,
            counts["motion_shortened"],
            counts["skipped_text_too_long"],
            max_length,
        )
    return out


def example_windows(ex: Example, *, center: bool = False) -> np.ndarray:
    require_regular(ex.motion)
    arr = np.load(ex.motion, mmap_mode="r", allow_pickle=False)
    clip = np.asarray(arr[ex.frames[0] : ex.frames[1]], dtype=np.float32)
    win = motion_windows(clip, WINDOW, STRIDE, center=center)
    return win[select_windows(len(win), ex.windows)]


class MotionTextDataset:
    """A map-style dataset of :class:`~modeling.batch.Sample`; motions are read lazily (workers
    may load in parallel). Batch it with ``modeling.batch.collate_padded`` or ``collate_packed``."""

    def __init__(
        self, examples: list[Example], *, center: bool = False, stamps: StampTable | None = None
    ) -> None:
        self.examples = examples
        self.center = center
        self.stamps = stamps

    def __len__(self) -> int:
        return len(self.examples)

    def lengths(self) -> list[int]:
        return [ex.length() for ex in self.examples]

    def __getitem__(self, i: int) -> Sample:
        ex = self.examples[i]
        p = ex.prompt
        windows = example_windows(ex, center=self.center)
        marks: tuple[tuple[int, ...], ...] = ()
        if self.stamps is not None:
            marks = self.stamps.for_windows(select_windows(ex.total_windows, ex.windows))
        return Sample(p.before, windows, p.after, p.answer, marks)
