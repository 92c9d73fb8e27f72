"""Configuration classes on the command line: ``--help`` text from ``#:`` comments, one generated
``--flag`` per key, and the key list for ``--set`` (the loader itself is :mod:`compmo_gen.core.config`).

A field documents itself with ``#:`` comment lines right above it (or ``#:`` at the end of its
line); :func:`field_docs` reads them once per class with :mod:`ast` and caches them.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import textwrap
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from compmo_gen.core.config import (
    coerce,
    describe_type,
    is_config_class,
    limits_text,
    type_hints,
)
from compmo_gen.core.errors import ConfigError
from compmo_gen.core.options import show_value


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """``{field: text}`` from the ``#:`` comments of ``cls`` (and its dataclass bases), parsed once."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            lines = textwrap.dedent(inspect.getsource(klass)).splitlines()
        except (OSError, TypeError):
            continue  # no source (frozen application): no help text, nothing else changes
        tree = ast.parse("\n".join(lines))
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node in body:
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            above: list[str] = []
            i = node.lineno - 2
            while i >= 0 and lines[i].strip().startswith("#:"):
                above.insert(0, lines[i].strip()[2:].strip())
                i -= 1
            end = lines[(node.end_lineno or node.lineno) - 1]
            inline = end.split("#:", 1)[1].strip() if "#:" in end else ""
            text = " ".join(x for x in (*above, inline) if x)
            if text:
                docs[node.target.id] = text
    return docs


@dataclasses.dataclass(frozen=True)
class Key:
    """One dotted configuration key of a (possibly nested) configuration class."""

    name: str
    type: Any
    default: Any
    meta: Mapping[str, Any]
    doc: str


def config_keys(cls: type) -> list[Key]:
    """Every leaf key of ``cls`` in field order, nested dataclasses as ``outer.inner``."""
    out: list[Key] = []
    defaults = cls()
    for f in dataclasses.fields(cls):
        tp = type_hints(cls)[f.name]
        if is_config_class(tp):
            out += [dataclasses.replace(k, name=f"{f.name}.{k.name}") for k in config_keys(tp)]
        else:
            doc = field_docs(cls).get(f.name, "")
            out.append(Key(f.name, tp, getattr(defaults, f.name), f.metadata, doc))
    return out


def keys_help(cls: type) -> str:
    """One line per key: ``name (type, default X): doc`` (for ``--set`` help and the README)."""
    lines = []
    for k in config_keys(cls):
        extra = limits_text(k.meta)
        kind = describe_type(k.type) + (f", {extra}" if extra else "")
        lines.append(f"  {k.name} ({kind}, default {show_value(k.default)}): {k.doc}".rstrip(": "))
    return "\n".join(lines)


def _metavar(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    inner = [a for a in args if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(inner) == 1:
        return _metavar(inner[0])
    if origin in (list, tuple):
        return "A,B,..."
    return describe_type(tp).upper().replace(" ", "_")


def flag_dest(key: str, prefix: str = "cfg_") -> str:
    """The argparse ``dest`` of the generated option of ``key``."""
    return prefix + key.replace(".", "__")


def _flag_type(key: Key) -> Any:
    def parse(text: str) -> Any:
        try:
            return coerce(text, key.type, key.name, key.meta)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = describe_type(key.type)
    return parse


def add_options(
    parser: Any,
    cls: type,
    keys: Sequence[str] | None = None,
    *,
    skip: Iterable[str] = (),
    flags: Mapping[str, str] | None = None,
    helps: Mapping[str, str] | None = None,
    prefix: str = "cfg_",
) -> None:
    """One ``--flag`` per key of ``cls`` (``keys`` or all but ``skip``), help from the ``#:``
    comments. Values are checked as they are parsed; an option not given is absent from the
    namespace, so it never overrides a YAML file. Booleans take an optional value (``--bf16`` is
    ``--bf16 true``). ``flags`` renames options (``{"composition.transition": "--transition"}``)."""
    by_name = {k.name: k for k in config_keys(cls)}
    skipped = set(skip)
    for name in keys if keys is not None else list(by_name):
        if name in skipped:
            continue
        key = by_name[name]
        flag = (flags or {}).get(name, "--" + name.replace("_", "-").replace(".", "-"))
        extra = limits_text(key.meta)
        default = "" if "default" in key.doc else f"default: {show_value(key.default)}"
        tail = "; ".join(x for x in (default, extra) if x)
        text = (helps or {}).get(name) or " ".join(x for x in (key.doc, f"({tail})") if x != "()")
        kwargs: dict[str, Any] = {"dest": flag_dest(name, prefix), "default": argparse.SUPPRESS}
        kwargs["help"] = text.replace("%", "%%")  # argparse %-formats help
        kwargs["type"] = _flag_type(key)
        if key.type is bool:
            kwargs.update(nargs="?", const=True, metavar="true|false")
        elif typing.get_origin(key.type) is Literal:
            kwargs["metavar"] = "{" + ",".join(str(a) for a in typing.get_args(key.type)) + "}"
        else:
            kwargs["metavar"] = _metavar(key.type)
        parser.add_argument(flag, **kwargs)


def options_given(
    args: argparse.Namespace,
    cls: type,
    keys: Sequence[str] | None = None,
    *,
    prefix: str = "cfg_",
) -> dict[str, Any]:
    """``{dotted key: value}`` of the generated options (``keys`` or all) given on the command
    line, for :func:`compmo_gen.core.config.load`'s ``values``."""
    names = keys if keys is not None else [k.name for k in config_keys(cls)]
    out = {}
    for name in names:
        dest = flag_dest(name, prefix)
        if hasattr(args, dest):  # absent when not given (``none`` given is None)
            out[name] = getattr(args, dest)
    return out


__all__ = [
    "Key",
    "add_options",
    "config_keys",
    "field_docs",
    "flag_dest",
    "keys_help",
    "options_given",
]
