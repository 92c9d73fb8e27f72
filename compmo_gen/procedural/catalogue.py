"""The catalogue of procedural action kinds: parameters, caption templates, body parts.

Each kind varies a few discrete, captioned parameters (continuous quantities are drawn inside a
bin whose label is in the caption, with gaps between bins). Every parameter value is a mapping of
word forms (``{"k": "left", ...}``) so that templates can say ``{side[k]}`` or ``{count[times]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from compmo_gen.procedural.rig import Plan

Forms = Mapping[str, str]
Maker = Callable[[np.random.Generator, Mapping[str, str]], Plan]

PARTS = ("left arm", "right arm", "legs", "head", "spine")

_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
_TIMES = {1: "once", 2: "twice"}


def counts(lo: int, hi: int, noun: str = "") -> tuple[Forms, ...]:
    """Count values lo..hi with forms k (digit), n (word), times (once, twice, three times)."""
    out = []
    for i in range(lo, hi + 1):
        word = _NUMBERS[i]
        out.append({"k": str(i), "n": word, "times": _TIMES.get(i, f"{word} times")})
    return tuple(out)


def sides(*names: str, **extra: Mapping[str, str]) -> tuple[Forms, ...]:
    """Side values (``left``, ``right``, ``both``) with extra forms given per form name."""
    return tuple({"k": n, **{form: table[n] for form, table in extra.items()}} for n in names)


def words(*names: str, **extra: Mapping[str, str]) -> tuple[Forms, ...]:
    """Plain values; ``extra`` maps a form name to {value: text}."""
    return sides(*names, **extra)


@dataclass(frozen=True)
class Kind:
    """One action kind of the library."""

    name: str
    params: dict[str, tuple[Forms, ...]]
    templates: tuple[str, ...]
    make: Maker
    parts: Callable[[Mapping[str, str]], tuple[str, ...]]
    #: Parameter whose ``left``/``right`` values are mirror images (balanced 50/50).
    mirror: str | None = None
    weights: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def caption(self, template: str, values: Mapping[str, Forms]) -> str:
        return " ".join(template.format(**values).split())


def fixed_parts(*parts: str) -> Callable[[Mapping[str, str]], tuple[str, ...]]:
    return lambda p: parts


def side_parts(
    param: str, *others: str, limb: str = "arm"
) -> Callable[[Mapping[str, str]], tuple[str, ...]]:
    """Parts of a one-sided action: ``{side} arm`` (both arms for ``both``), plus ``others``."""

    def parts(p: Mapping[str, str]) -> tuple[str, ...]:
        side = p[param]
        if limb == "leg":
            return ("legs",) + others
        sel = ("left", "right") if side == "both" else (side,)
        return tuple(f"{s} arm" for s in sel) + others

    return parts


def mirror_word(text: str) -> str:
    """Swap left and right (the caption of the mirrored action)."""
    swap = {"left": "right", "right": "left"}
    return " ".join(swap.get(w, w) for w in text.split(" "))
