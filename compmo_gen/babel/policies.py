"""From clip-local BABEL labels to dense-caption segments, under the options of :class:`BabelConfig`.

Order: label text (and the mirror swap), transitions, overlaps, gaps, then adjacent segments with
the same caption are merged. Per-frame policies (``longest``, ``first``) work on the 20 fps frame
grid of the clip; ``join`` and ``multi-track`` keep label times (rounded to the millisecond).
Everything changed or dropped is counted in ``counts``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from compmo_gen.babel.config import BabelConfig
from compmo_gen.babel.placement import LocalLabel, swap_left_right
from compmo_gen.babel.reader import BabelLabel
from compmo_gen.core.constants import FPS
from compmo_gen.core.segments import Segment

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Span:
    """A captioned interval in clip seconds; ``transition`` marks BABEL's transition labels."""

    start: float
    end: float
    text: str
    transition: bool = False


def sanitize(text: str) -> str:
    """One line, lower case, single spaces, ``°`` spelled out, no trailing full stop."""
    text = text.replace("°", " degree ").replace("\\n", " ").replace("\\t", " ")
    return _SPACES.sub(" ", text).strip().lower().rstrip(".").strip()


#: Lone UTF-16 surrogates (JSON ``"\ud800"``): not encodable, replaced by U+FFFD.
_SURROGATES = re.compile("[\ud800-\udfff]")
#: Control characters other than whitespace: removed.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(text: str, counts: Counter) -> str:
    """A label text every writer can store: lone surrogates replaced by U+FFFD, control
    characters removed, ``#`` (the field separator of STMC timelines and HumanML3D caption files)
    replaced by a space; each change counted."""
    if _SURROGATES.search(text):
        counts["label_text_lone_surrogates_replaced"] += 1
        text = _SURROGATES.sub("\ufffd", text)
    if _CONTROLS.search(text):
        counts["label_text_control_characters_removed"] += 1
        text = _CONTROLS.sub("", text)
    if "#" in text:
        counts["label_text_hash_signs_removed"] += 1
        text = text.replace("#", " ")
    return text


def label_text(label: BabelLabel, choice: str, counts: Counter) -> str:
    """The caption of a label: sanitised ``raw_label``, ``proc_label`` or its ``act_cat`` joined
    (made writable by :func:`normalise_text`; empty when nothing is left)."""
    return sanitize(normalise_text(_label_text(label, choice, counts), counts))


def _label_text(label: BabelLabel, choice: str, counts: Counter) -> str:
    if choice == "act_cat" and label.act_cat:
        return sanitize(", ".join(label.act_cat))
    first, other = (
        (label.proc_label, label.raw_label)
        if choice == "proc"
        else (label.raw_label, label.proc_label)
    )
    text = sanitize(first)
    if not text or choice == "act_cat":
        counts[f"label_text_fallback_{choice}"] += 1
        text = sanitize(other) or sanitize(first)
    return text


def to_spans(
    labels: Sequence[LocalLabel], cfg: BabelConfig, mirrored: bool, counts: Counter
) -> list[Span]:
    """Captioned spans sorted by (start, end, text); exact duplicates are dropped and counted."""
    spans = set()
    for lab in labels:
        text = label_text(lab.label, cfg.label_text, counts)
        if not text:
            counts["labels_without_text_dropped"] += 1
            continue
        if mirrored:
            swapped = swap_left_right(text)
            counts["mirrored_texts_changed"] += int(swapped != text)
            text = swapped
        span = Span(lab.start, lab.end, text, lab.label.is_transition)
        if span in spans:
            counts["duplicate_labels"] += 1
        spans.add(span)
    return sorted(spans, key=lambda s: (s.start, s.end, s.text))


def _neighbours(spans: Sequence[Span], t: Span) -> tuple[Span | None, Span | None]:
    others = [s for s in spans if not s.transition]
    before = [s for s in others if s.start < t.start]
    after = [s for s in others if s.end > t.end]
    prev = min(before, key=lambda s: (abs(s.end - t.start), -s.end, s.text), default=None)
    nxt = min(after, key=lambda s: (abs(s.start - t.end), s.start, s.text), default=None)
    return prev, nxt


def apply_transitions(spans: list[Span], mode: str, counts: Counter) -> list[Span]:
    """``keep`` as a segment, ``drop``, ``rename`` to "transition from A to B", or ``split``
    between the neighbours at its midpoint (a transition without neighbours is dropped)."""
    trans = [s for s in spans if s.transition]
    counts["transition_labels"] += len(trans)
    if mode == "keep" or not trans:
        return spans
    if mode == "drop":
        counts["transitions_dropped"] += len(trans)
        return [s for s in spans if not s.transition]
    out = [s for s in spans if not s.transition]
    for t in trans:
        prev, nxt = _neighbours(out, t)
        if mode == "rename":
            text = (
                "transition"
                + (f" from {prev.text}" if prev else "")
                + (f" to {nxt.text}" if nxt else "")
            )
            out.append(Span(t.start, t.end, text, True))
            counts["transitions_renamed"] += 1
            continue
        if prev is None and nxt is None:
            counts["transitions_dropped_no_neighbour"] += 1
            continue
        mid = round((t.start + t.end) / 2, 6) if prev and nxt else None
        if prev is not None:
            end = max(prev.end, t.end if mid is None else mid)
            out[out.index(prev)] = Span(prev.start, end, prev.text)
        if nxt is not None:
            start = min(nxt.start, t.start if mid is None else mid)
            out[out.index(nxt)] = Span(start, nxt.end, nxt.text)
        counts["transitions_split"] += 1
    return sorted(out, key=lambda s: (s.start, s.end, s.text))


def _frames(s: Span) -> tuple[int, int]:
    return int(round(s.start * FPS)), int(round(s.end * FPS))


def per_frame(spans: Sequence[Span], n_frames: int, rule: str, counts: Counter) -> list[Span]:
    """One label per frame (``longest`` or ``first`` wins), runs of identical labels merged."""
    rank = {
        "longest": lambda s: (-(s.end - s.start), s.start, s.text),
        "first": lambda s: (s.start, -(s.end - s.start), s.text),
    }[rule]
    frame: list[Span | None] = [None] * n_frames
    for s in sorted(spans, key=rank, reverse=True):  # the best label is written last
        a, b = _frames(s)
        for f in range(max(a, 0), min(b, n_frames)):
            if frame[f] is not None and frame[f].text != s.text:
                counts["frames_overlap_resolved"] += 1
            frame[f] = s
    out: list[Span] = []
    for f, s in enumerate(frame):
        if s is None:
            continue
        if out and out[-1].text == s.text and round(out[-1].end * FPS) == f:
            out[-1] = Span(out[-1].start, (f + 1) / FPS, s.text, out[-1].transition)
        else:
            out.append(Span(f / FPS, (f + 1) / FPS, s.text, s.transition))
    lost = {s.text for s in spans} - {s.text for s in out}
    counts["labels_hidden_by_overlap"] += len(lost)
    return out


def join_overlaps(spans: Sequence[Span], counts: Counter) -> list[Span]:
    """Cut at every boundary; concurrent labels joined with " and " (in start order)."""
    cuts = sorted({t for s in spans for t in (s.start, s.end)})
    out: list[Span] = []
    for a, b in zip(cuts, cuts[1:]):
        active = [s for s in spans if s.start <= a and s.end >= b]
        if not active or b - a <= 1e-9:
            continue
        texts = list(dict.fromkeys(s.text for s in sorted(active, key=lambda s: (s.start, s.text))))
        counts["joined_pieces"] += int(len(texts) > 1)
        out.append(Span(a, b, " and ".join(texts), all(s.transition for s in active)))
    return out


def fill_gaps(spans: list[Span], duration: float, counts: Counter) -> list[Span]:
    """Unlabeled spans taken by the neighbour: the previous segment, or the first one at the start."""
    if not spans:
        return spans
    out = []
    for i, s in enumerate(spans):
        start = 0.0 if i == 0 else s.start
        end = spans[i + 1].start if i + 1 < len(spans) else duration
        counts["gaps_filled"] += int(start < s.start - 1e-9) + int(end > s.end + 1e-9)
        out.append(Span(start, max(end, s.end), s.text, s.transition))
    return out


def merge_runs(spans: Sequence[Span]) -> list[Span]:
    """Adjacent (touching) segments with the same caption become one."""
    out: list[Span] = []
    for s in spans:
        if out and out[-1].text == s.text and abs(out[-1].end - s.start) <= 1e-6:
            out[-1] = Span(out[-1].start, s.end, s.text, out[-1].transition and s.transition)
        else:
            out.append(s)
    return out


def segments_for_clip(
    labels: Sequence[LocalLabel], n_frames: int, cfg: BabelConfig, mirrored: bool, counts: Counter
) -> list[Segment]:
    """The dense-caption segments of one clip of ``n_frames`` frames."""
    duration = n_frames / FPS
    spans = apply_transitions(to_spans(labels, cfg, mirrored, counts), cfg.transitions, counts)
    if cfg.overlap in ("longest", "first"):
        spans = per_frame(spans, n_frames, cfg.overlap, counts)
    elif cfg.overlap == "join":
        spans = join_overlaps(spans, counts)
    else:
        counts["overlapping_pairs_kept"] += sum(
            1 for i, a in enumerate(spans) for b in spans[i + 1 :] if b.start < a.end - 1e-9
        )
    if cfg.gaps == "fill":
        spans = fill_gaps(spans, duration, counts)
    if cfg.overlap != "multi-track":
        spans = merge_runs(spans)
    return [
        Segment(round(max(s.start, 0.0), 3), round(min(s.end, duration), 3), s.text)
        for s in spans
        if min(s.end, duration) - max(s.start, 0.0) > 1e-9
    ]
