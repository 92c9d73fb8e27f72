"""One configuration mechanism for every compmo tool: typed dataclasses, one loader, one ``coerce``.

A configuration is a dataclass. Each field has a type (``bool``, ``int``, ``float``, ``str``,
``X | None``, ``list[X]``, ``tuple[X, ...]``, fixed ``tuple[X, Y]``, ``Literal[...]`` or a nested
dataclass, addressed as ``outer.inner`` dotted keys), a default, and a ``#:`` comment on the lines
right above it (or at the end of its line) which is its documentation: the ``--help`` text of its
generated ``--flag`` (:mod:`compmo_gen.core.config_cli`). Numeric limits are declared with
:func:`setting` (``ge``/``gt``/``le``/``lt``); floats must be finite unless a field says
``finite=False``.

Values are layered: the dataclass defaults, then a YAML file, then ``--set key=value`` overrides,
then explicit ``--flag`` options (or keyword arguments), then the class's own ``validate()``
(cross-field rules). Every problem is a :class:`~compmo_gen.core.errors.ConfigError` naming the
source and the key. :func:`to_dict`, :func:`config_hash` and :func:`save_yaml` record a resolved
configuration in a run folder or manifest.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import math
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

from compmo_gen.core.errors import AnnotationError, ConfigError
from compmo_gen.core.io import write_atomic

T = TypeVar("T")

#: The accepted spellings of booleans (case-insensitive), and nothing else.
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
_NONE_WORDS = ("none", "null", "")
_LIMITS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def setting(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Any = dataclasses.MISSING,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    finite: bool = True,
    saved: bool = True,
) -> Any:
    """A dataclass field with numeric limits (checked on every number of the value).

    ``saved=False``: a run option that does not change the result (e.g. a safety override); it is
    left out of :func:`to_dict` and :func:`config_hash`."""
    meta = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt)) if v is not None}
    meta["finite"] = finite
    if not saved:
        meta["saved"] = False
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


# --- types ---------------------------------------------------------------------------------------


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a configuration class (cached)."""
    return typing.get_type_hints(cls)


def is_config_class(tp: Any) -> bool:
    """Whether ``tp`` is a configuration (dataclass) type, i.e. a section of dotted keys."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def describe_type(tp: Any) -> str:
    """A short human name of a field type: ``int``, ``true/false``, ``a|b``, ``list of str``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [describe_type(a) for a in args if a is not type(None)]
        return " or ".join(inner) + (" or none" if type(None) in args else "")
    if origin is Literal:
        return "|".join(str(a) for a in args)
    if origin in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return f"{len(args)} x {describe_type(args[0])}"
        return f"list of {describe_type(args[0])}" if args else "list"
    if tp is bool:
        return "true/false"
    return getattr(tp, "__name__", str(tp))


def limits_text(meta: Mapping[str, Any]) -> str:
    """The declared limits of a field as text (``>= 0, < 1``)."""
    return ", ".join(f"{op} {meta[k]:g}" for k, op in _LIMITS.items() if k in meta)


# --- coercion ------------------------------------------------------------------------------------


def _check_number(value: float, key: str, meta: Mapping[str, Any]) -> None:
    if isinstance(value, float) and meta.get("finite", True) and not math.isfinite(value):
        raise ConfigError(f"{key}: must be a finite number, got {value!r}")
    for name, op in _LIMITS.items():
        limit = meta.get(name)
        if limit is None:
            continue
        ok = {
            "ge": value >= limit,
            "gt": value > limit,
            "le": value <= limit,
            "lt": value < limit,
        }[name]
        if not ok:
            raise ConfigError(f"{key}: must be {op} {limit:g}, got {value!r}")


def _items(value: Any, key: str) -> list[Any]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            from compmo_gen.core.readers import loads_yaml

            try:
                value = loads_yaml(text, key)
            except AnnotationError:
                raise ConfigError(f"{key}: cannot read the list {value[:80]!r}") from None
        else:
            return [v for v in re.split(r"[,\s]+", text) if v]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ConfigError(f"{key}: expected a list, got {value!r}")


def coerce(value: Any, tp: Any, key: str, meta: Mapping[str, Any] | None = None) -> Any:
    """``value`` (from YAML, JSON, ``--set`` text or Python) as type ``tp``; ``key`` names it in
    errors, ``meta`` holds the limits of :func:`setting`."""
    meta = meta or {}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and (
            value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS)
        ):
            return None
        inner = [a for a in args if a is not type(None)]
        errors = []
        for option in inner:
            try:
                return coerce(value, option, key, meta)
            except ConfigError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        raise ConfigError(f"{key}: expected {describe_type(tp)}, got {value!r}")
    if origin is Literal:
        for choice in args:
            if value == choice and type(value) is type(choice):
                return choice
            if isinstance(value, str) and value.strip() == str(choice):
                return choice
        choices = ", ".join(str(a) for a in args)
        raise ConfigError(f"{key}: must be one of {choices}, got {value!r}")
    if is_config_class(tp):
        if isinstance(value, tp):
            return value
        return _apply(tp(), value, key + ".")
    if origin in (list, tuple) or tp in (list, tuple):
        items = _items(value, key)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(items) != len(args):
                raise ConfigError(f"{key}: expected {len(args)} values, got {value!r}")
            kinds = list(args)
        else:
            kinds = [args[0] if args else Any] * len(items)
        out = [coerce(v, t, key, meta) for v, t in zip(items, kinds, strict=True)]
        return tuple(out) if (origin or tp) is tuple else out
    if tp is bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower() if isinstance(value, (str, int)) else None
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ConfigError(f"{key}: expected true/false (or yes/no, 1/0), got {value!r}")
    if tp is int or tp is float:
        number: Any = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            try:
                number = int(value.strip()) if tp is int else float(value.strip())
            except ValueError:
                try:
                    number = float(value.strip())
                except ValueError:
                    number = None
        if tp is int and isinstance(number, float):
            number = int(number) if number.is_integer() else None
        if number is None:
            raise ConfigError(f"{key}: expected {tp.__name__}, got {value!r}")
        number = tp(number)
        _check_number(number, key, meta)
        return number
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    raise ConfigError(f"{key}: unsupported config type {tp!r}")


# --- layering ------------------------------------------------------------------------------------


def _nest(data: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Dotted keys (``a.b: 1``) as nested mappings (``a: {b: 1}``); ``-`` read as ``_``."""
    out: dict[str, Any] = {}
    for raw, value in data.items():
        parts = str(raw).strip().replace("-", "_").split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = prefix + ".".join(parts[: i + 1])
                raise ConfigError(f"{where}: given both as a value and as a section")
            node = child
        if isinstance(node.get(parts[-1]), dict) and isinstance(value, Mapping):
            node[parts[-1]].update(value)
        else:
            node[parts[-1]] = value
    return out


def _apply(obj: T, data: Any, prefix: str = "") -> T:
    if not isinstance(data, Mapping):
        where = prefix.rstrip(".") or "config"
        raise ConfigError(f"{where}: expected a mapping of config keys, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(obj)}  # type: ignore[arg-type]
    hints = type_hints(type(obj))
    changes = {}
    for name, value in _nest(data, prefix).items():
        if name not in fields:
            near = difflib.get_close_matches(name, list(fields), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"{prefix}{name}: unknown config key{hint}")
        tp = hints[name]
        if is_config_class(tp) and isinstance(value, Mapping):
            changes[name] = _apply(getattr(obj, name), value, f"{prefix}{name}.")
        else:
            changes[name] = coerce(value, tp, prefix + name, fields[name].metadata)
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


def apply(obj: T, data: Mapping[str, Any], where: str) -> T:
    """A copy of ``obj`` with ``data`` (nested or dotted keys) coerced in; errors start ``where: ``."""
    try:
        return _apply(obj, data)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def parse_sets(items: Iterable[str]) -> dict[str, str]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": "1", "c": "x"}`` (the text is coerced later)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping in a YAML file (an empty file is ``{}``)."""
    from compmo_gen.core.readers import load_yaml

    try:
        data = load_yaml(path)  # not a regular file, bad YAML, limits
    except AnnotationError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.message})") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    return dict(data)


def validate(cfg: T) -> T:
    """Run the class's own ``validate()`` (cross-field rules) when it has one."""
    check = getattr(cfg, "validate", None)
    if callable(check):
        check()
    return cfg


def load(
    cls: type[T],
    path: str | os.PathLike[str] | None = None,
    *,
    sets: Iterable[str] | Mapping[str, Any] = (),
    values: Mapping[str, Any] | None = None,
    where: str = "option",
) -> T:
    """Defaults, then the YAML file ``path``, then ``--set`` items (``"key=value"`` strings or a
    mapping of dotted keys), then ``values`` (explicit options); validated."""
    cfg = cls()
    if path is not None:
        cfg = apply(cfg, read_yaml(path), str(path))
    overrides = dict(sets) if isinstance(sets, Mapping) else parse_sets(sets)
    if overrides:
        cfg = apply(cfg, overrides, "--set")
    if values:
        cfg = apply(cfg, values, where)
    return validate(cfg)


def from_dict(cls: type[T], data: Mapping[str, Any], where: str) -> T:
    """A configuration from a saved mapping (``to_dict`` output), validated."""
    return validate(apply(cls(), data, where))


# --- records -------------------------------------------------------------------------------------


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain JSON-able data: nested dicts, tuples as lists (fields declared ``saved=False`` left out)."""
    return _saved_only(type(cfg), json.loads(json.dumps(dataclasses.asdict(cfg))))


def _saved_only(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    hints = type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("saved", True) is False:
            data.pop(f.name, None)
        elif is_config_class(hints.get(f.name)) and isinstance(data.get(f.name), dict):
            data[f.name] = _saved_only(hints[f.name], data[f.name])
    return data


def config_hash(cfg: Any) -> str:
    """sha256 of the canonical JSON (sorted keys) of :func:`to_dict`, or of the class's own
    ``to_dict()`` when it has one (e.g. one that leaves out a section that is switched off)."""
    own = getattr(cfg, "to_dict", None)
    data = own() if callable(own) else to_dict(cfg)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def save_yaml(cfg: Any, path: str | os.PathLike[str], *, replaces_input: bool = False) -> None:
    """Write ``cfg`` as YAML in field order (atomically), readable back by :func:`load`;
    ``replaces_input``: the file may be one the command read (a resumed run's own config)."""
    import yaml

    write_atomic(path, yaml.safe_dump(to_dict(cfg), sort_keys=False), replaces_input=replaces_input)


def save_json(cfg: Any, path: str | os.PathLike[str]) -> None:
    """Write ``cfg`` as sorted, indented JSON (atomically), readable back by :func:`from_dict`."""
    write_atomic(path, json.dumps(to_dict(cfg), indent=1, sort_keys=True) + "\n")


__all__ = [
    "ConfigError",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "apply",
    "coerce",
    "config_hash",
    "describe_type",
    "from_dict",
    "is_config_class",
    "limits_text",
    "load",
    "parse_sets",
    "read_yaml",
    "save_json",
    "save_yaml",
    "setting",
    "to_dict",
    "type_hints",
    "validate",
]
