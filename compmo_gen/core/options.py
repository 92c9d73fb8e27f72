"""``argparse`` types for numeric options: a non-finite, zero or negative value where none makes
sense is a one-line usage error, not a traceback later (``--fps 0``, ``--seed -1``, ``--alpha nan``)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any


def finite_float(text: str) -> float:
    """A finite float."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite float > 0 (frame rates, durations)."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def open_unit(text: str) -> float:
    """A float strictly between 0 and 1 (significance levels)."""
    value = finite_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An ``argparse`` type: an integer in ``[low, high]`` (bootstrap replicates, decimals)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"expected an integer from {low} to {high}, got {text!r}"
            )
        return value

    parse.__name__ = f"integer in [{low}, {high}]"
    return parse


def seed(text: str) -> int:
    """A seed: an integer in [0, 2**63)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63), got {text!r}")
    return value


def show_value(value: Any) -> str:
    """An option's value as help texts and config listings write it (``true``, ``none``,
    ``0.3,0.5``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "none"
    if value == "":
        return '""'
    if isinstance(value, (list, tuple)):
        return ",".join(show_value(v) for v in value) or "(empty)"
    return str(value)
