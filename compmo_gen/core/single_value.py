"""Repeating a single-value command-line option is an error, not "the last one wins".

argparse's default ``store`` action silently keeps the last value, so ``--gt a --gt b`` would
score only ``b``. :func:`forbid_repeated_options` turns every single-value option of a parser
(and of its sub-parsers) into :class:`SingleValue`, which rejects a second occurrence with the
usual argparse usage error (exit 2). Flags (``store_true``), counters and ``append`` options are
left alone: repeating them is harmless or meaningful.
"""

from __future__ import annotations

import argparse
from typing import Any

_SEEN = "_compmo_options_seen"


class SingleValue(argparse._StoreAction):
    """``store``, but a second occurrence of the option is a usage error."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        seen: set[str] = namespace.__dict__.setdefault(_SEEN, set())
        if self.dest in seen:
            names = "/".join(self.option_strings)
            parser.error(
                f"{names} given more than once (it takes one value; repeat its values "
                f"after one {self.option_strings[-1]} where it accepts several)"
            )
        seen.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


def forbid_repeated_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make every optional ``store`` action of ``parser`` a :class:`SingleValue`; returns it."""
    for action in parser._actions:
        if type(action) is argparse._StoreAction and action.option_strings:
            action.__class__ = SingleValue
        elif isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                forbid_repeated_options(sub)
    return parser


def clean_namespace(args: argparse.Namespace) -> argparse.Namespace:
    """Drop the bookkeeping attribute (so it never reaches a command)."""
    args.__dict__.pop(_SEEN, None)
    return args
