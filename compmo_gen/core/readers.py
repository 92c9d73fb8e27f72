"""The one way compmo reads a file: regular files only, bounded, strict JSON and YAML.

Every reader of the project (predictions, ground truth, durations, configs, stage files, BABEL
files, manifests, results files, joint maps, and the ``.npy``/``.npz``/``.txt``/``.csv`` inputs)
goes through :func:`require_regular` before it opens a path, so a directory, a FIFO (which would
block ``open`` forever), a socket, a device such as ``/dev/zero``, a symbolic-link loop or an
oversized file is one :class:`AnnotationError` line, never a traceback or a hang. JSON is parsed
by :func:`loads_json` (integers of more than :data:`MAX_INT_DIGITS` digits, nesting deeper than
the interpreter allows and duplicate keys refused; numbers beyond the float range read as
infinities, like ``Infinity``, for the field checks to refuse where a number is used); YAML by
:func:`loads_yaml` under the same limits. Re-exported by :mod:`compmo_gen.core.io`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from compmo_gen.core.errors import AnnotationError

#: Limits of :func:`load_json` / :func:`loads_json`, generous for every compmo format: integers of
#: more digits or strings longer are refused (and nesting deeper than the recursion limit).
MAX_INT_DIGITS = 308
MAX_STRING_CHARS = 1 << 24
#: Text and JSON files larger than this are refused before they are read.
MAX_FILE_BYTES = 4 << 30
#: YAML configuration files larger than this are refused (a config is a few kB).
MAX_YAML_BYTES = 1 << 20
#: Values a YAML document may expand to once its aliases are followed (a 300-byte "billion laughs"
#: file loads in milliseconds as shared references and expands to 10**9 values for whoever walks it).
MAX_YAML_VALUES = 1_000_000
_BOM = "\ufeff"
#: (device, inode) of every file :func:`require_regular` passed while a command runs
#: (:func:`tracking_inputs`): :func:`compmo_gen.core.io.write_atomic` refuses to replace one of
#: them with an output (``--out`` naming the predictions file would silently destroy it).
_inputs: set[tuple[int, int]] | None = None
_KINDS = (
    (stat.S_ISDIR, "is a directory, expected a file"),
    (stat.S_ISFIFO, "is a FIFO (named pipe), expected a regular file"),
    (stat.S_ISSOCK, "is a socket, expected a regular file"),
    (stat.S_ISCHR, "is a character device, expected a regular file"),
    (stat.S_ISBLK, "is a block device, expected a regular file"),
)


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def kind_problem(mode: int) -> str | None:
    """Why a file of ``mode`` is not a regular file (None when it is one)."""
    for test, message in _KINDS:
        if test(mode):
            return message
    return None if stat.S_ISREG(mode) else "not a regular file"


def require_regular(
    path: str | os.PathLike[str],
    file: str | os.PathLike[str] | None = None,
    *,
    limit: int = MAX_FILE_BYTES,
) -> int:
    """The size of ``path`` if it is a readable regular file of at most ``limit`` bytes, else one
    :class:`AnnotationError` naming ``file`` (default ``path``): missing, a directory, a FIFO, a
    socket, a device, a symbolic-link loop, unreadable or too large. Never opens the path."""
    where = path if file is None else file
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AnnotationError(where, None, None, "file not found") from None
    except (OSError, ValueError) as exc:
        raise AnnotationError(where, None, None, f"cannot read ({_os_reason(exc)})") from None
    problem = kind_problem(st.st_mode)
    if problem is not None:
        raise AnnotationError(where, None, None, problem)
    if st.st_size > limit:
        raise AnnotationError(
            where, None, None, f"file of {st.st_size} bytes exceeds the limit {limit}"
        )
    if _inputs is not None:
        _inputs.add((st.st_dev, st.st_ino))
    return st.st_size


@contextmanager
def tracking_inputs() -> Iterator[None]:
    """Remember the files read inside the block (a command's run: ``core.cli.dispatch``)."""
    global _inputs
    before, _inputs = _inputs, set()
    try:
        yield
    finally:
        _inputs = before


def is_input(st: os.stat_result) -> bool:
    """Whether the file of ``st`` was read as an input inside :func:`tracking_inputs`."""
    return _inputs is not None and (st.st_dev, st.st_ino) in _inputs


@contextmanager
def open_regular(
    path: str | os.PathLike[str],
    mode: str = "rb",
    *,
    file: str | os.PathLike[str] | None = None,
    limit: int = MAX_FILE_BYTES,
    **kwargs: Any,
) -> Iterator[IO[Any]]:
    """``open(path, mode)`` for reading, only for a regular file (:func:`require_regular`); the
    file is opened non-blocking and checked again on its descriptor, so a FIFO swapped in never
    blocks. ``kwargs`` go to :func:`open` (``encoding``, ``newline``, ``errors``)."""
    if any(c in mode for c in "wax+"):
        raise ValueError(f"open_regular reads only, not mode {mode!r}")
    where = path if file is None else file
    require_regular(path, file, limit=limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise AnnotationError(where, None, None, f"cannot read ({_os_reason(exc)})") from None
    try:
        problem = kind_problem(os.fstat(fd).st_mode)
        if problem is not None:
            raise AnnotationError(where, None, None, problem)
        fh = open(fd, mode, **kwargs)  # noqa: SIM115 (closed below)
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh


def read_bytes(
    path: str | os.PathLike[str],
    *,
    file: str | os.PathLike[str] | None = None,
    limit: int = MAX_FILE_BYTES,
) -> bytes:
    """The bytes of a regular file (:func:`open_regular`); OS errors are one-line errors."""
    where = path if file is None else file
    with open_regular(path, "rb", file=file, limit=limit) as f:
        try:
            return f.read()
        except OSError as exc:
            raise AnnotationError(where, None, None, f"cannot read ({_os_reason(exc)})") from None


def read_text(
    path: str | os.PathLike[str], *, errors: str = "strict", limit: int = MAX_FILE_BYTES
) -> str:
    """A UTF-8 text file (a leading byte-order mark dropped); missing, directory, FIFO, unreadable
    or (with ``errors="strict"``) non-UTF-8 files are one-line :class:`AnnotationError`."""
    data = read_bytes(path, limit=limit)
    try:
        text = data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AnnotationError(
            path, None, f"line {line}", f"not UTF-8 text (byte {exc.start})"
        ) from None
    return text[1:] if text.startswith(_BOM) else text


def first_text(path: str | os.PathLike[str], size: int = 4096) -> str:
    """Up to ``size`` characters of a text file from its first non-blank one (a byte-order mark
    and any amount of leading whitespace skipped): enough to tell its format."""
    try:
        with open_regular(path, "r", encoding="utf-8", errors="strict") as f:
            head = ""
            while True:
                block = f.read(1 << 16)
                head = (head + block).lstrip(_BOM + " \t\r\n")
                if len(head) >= size or not block:
                    return head[:size]
    except UnicodeDecodeError:
        raise AnnotationError(path, None, None, "not UTF-8 text") from None
    except OSError as exc:
        raise AnnotationError(path, None, None, f"cannot read ({_os_reason(exc)})") from None


def _line_of(text: str, literal: str) -> str:
    """``" (line N)"`` for the first number token ``literal`` in ``text``, else ``""``."""
    if len(text) > 1 << 26:
        return ""
    m = re.search(r"(?<![\w.+\-])" + re.escape(literal), text)
    return f" (line {text.count(chr(10), 0, m.start()) + 1})" if m else ""


class _Refused(Exception):
    """A limit of :func:`_parse` crossed: ``message``, the offending number or key."""

    def __init__(self, message: str, literal: str | None = None, key: str | None = None):
        super().__init__(message)
        self.message, self.literal, self.key = message, literal, key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen = dict(pairs)
    if len(seen) != len(pairs):
        keys: set[str] = set()
        for k, _ in pairs:
            if k in keys:
                raise _Refused("duplicate key", key=k)
            keys.add(k)
    return seen


def _pairs_long(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for k, v in pairs:
        if len(k) > MAX_STRING_CHARS or (isinstance(v, str) and len(v) > MAX_STRING_CHARS):
            raise _Refused(f"string longer than {MAX_STRING_CHARS} characters")
    return _pairs(pairs)


def _int(s: str) -> int:
    if len(s) > MAX_INT_DIGITS:
        digits = len(s.lstrip("-"))
        if digits > MAX_INT_DIGITS:
            raise _Refused(f"integer of {digits} digits (limit {MAX_INT_DIGITS})", s[:64])
    return int(s)


#: Decoders built once (one per call costs more than parsing a short line); the second checks
#: string lengths, needed only for a text longer than the limit. Numbers beyond the float range
#: read as infinities, like ``Infinity``: the field checks refuse them where a number is used.
_DECODER, _DECODER_LONG = (
    json.JSONDecoder(object_pairs_hook=hook, parse_int=_int) for hook in (_pairs, _pairs_long)
)


def _parse(text: str, fail: Any) -> Any:
    """JSON text under the limits of :func:`loads_json`; ``fail(message, key=None)`` builds the
    error. :class:`json.JSONDecodeError` is left to the caller."""
    try:
        return (_DECODER_LONG if len(text) > MAX_STRING_CHARS else _DECODER).decode(text)
    except _Refused as exc:
        where = _line_of(text, exc.literal) if exc.literal else ""
        raise fail(exc.message + where, exc.key) from None
    except RecursionError:
        raise fail(f"JSON nested deeper than about {sys.getrecursionlimit()} levels") from None


def loads_json(
    text: str, file: str | os.PathLike[str], record: str | None = None, field: str | None = None
) -> Any:
    """Parse JSON text strictly: no duplicate keys, numbers beyond the float range read as
    infinities (like ``NaN`` and ``Infinity``, read for the field checks to name), integers of at most
    :data:`MAX_INT_DIGITS` digits, object values up to :data:`MAX_STRING_CHARS` characters,
    nesting up to the interpreter's recursion limit. Every violation is one :class:`AnnotationError`
    naming ``file`` (and ``record``/``field`` when given; a duplicate key names itself)."""

    def fail(message: str, key: str | None = None) -> AnnotationError:
        return AnnotationError(file, key if record is None and key else record, field, message)

    text = text[1:] if text.startswith(_BOM) else text
    try:
        return _parse(text, fail)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON ({exc})") from None


def load_json(path: str | os.PathLike[str], *, limit: int = MAX_FILE_BYTES) -> Any:
    """Parse a JSON file through :func:`read_text` and :func:`loads_json` (one-line
    :class:`AnnotationError` for every problem: not a regular file, non-UTF-8, bad JSON, limits)."""
    return loads_json(read_text(path, limit=limit), Path(path))


def loads_json_or_lines(text: str, file: str | os.PathLike[str]) -> Any:
    """A JSON document, or else the list of the JSON values on each non-blank line (JSON lines),
    under the limits of :func:`loads_json`; a bad line is named ``line N``."""
    text = text[1:] if text.startswith(_BOM) else text
    try:
        return _parse(text, lambda m, k=None: AnnotationError(file, k, None, m))
    except json.JSONDecodeError:
        pass
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            out.append(loads_json(line, file, f"line {n}"))
    return out


def load_json_or_lines(path: str | os.PathLike[str]) -> Any:
    """:func:`loads_json_or_lines` of a file read by :func:`read_text`."""
    return loads_json_or_lines(read_text(path), Path(path))


def loads_yaml(text: str, file: str | os.PathLike[str]) -> Any:
    """``yaml.safe_load`` of ``text`` with its failures as one :class:`AnnotationError`: bad YAML,
    integers beyond :data:`MAX_INT_DIGITS` digits, nesting deeper than the interpreter allows,
    aliases that expand beyond :data:`MAX_YAML_VALUES` values or refer to their own container."""
    import yaml

    if re.search(r"\d{" + str(MAX_INT_DIGITS + 1) + "}", text):
        raise AnnotationError(file, None, None, f"a number of more than {MAX_INT_DIGITS} digits")
    try:
        data = yaml.load(text, Loader=_strict_loader())  # noqa: S506 (a SafeLoader subclass)
    except _RepeatedKey as exc:
        raise AnnotationError(file, None, exc.key, f"repeated key (line {exc.line})") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AnnotationError(file, None, None, f"not valid YAML ({first})") from None
    except RecursionError:
        raise AnnotationError(
            file, None, None, f"YAML nested deeper than about {sys.getrecursionlimit()} levels"
        ) from None
    except (ValueError, OverflowError) as exc:
        raise AnnotationError(file, None, None, f"not valid YAML ({_os_reason(exc)})") from None
    if "*" in text:  # aliases: bound what they expand to
        _yaml_expansion(data, file)
    return data


class _RepeatedKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


@functools.cache
def _strict_loader() -> type:
    """``yaml.SafeLoader`` that refuses a key written twice in one mapping (YAML keeps the last
    silently: a preset's second ``composition:`` section dropped the first); merge keys (``<<``)
    still work."""
    import yaml

    class StrictSafeLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != MERGE_TAG:
                    if key_node.value in seen:
                        raise _RepeatedKey(key_node.value, key_node.start_mark.line + 1)
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep)

    return StrictSafeLoader


MERGE_TAG = "tag:yaml.org,2002:merge"


def _yaml_expansion(data: Any, file: str | os.PathLike[str]) -> int:
    """The number of values ``data`` expands to with every alias followed (shared containers
    counted once per reference, in time linear in the distinct containers); a document that
    contains itself or expands beyond :data:`MAX_YAML_VALUES` is an :class:`AnnotationError`."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, (list, dict)):
            continue
        children = list(obj.keys()) + list(obj.values()) if isinstance(obj, dict) else obj
        if done:
            open_.discard(id(obj))
            total = 1 + sum(sizes.get(id(c), 1) for c in children)
            if total > MAX_YAML_VALUES:
                raise AnnotationError(
                    file, None, None, f"YAML aliases expand to more than {MAX_YAML_VALUES:,} values"
                )
            sizes[id(obj)] = total
            continue
        if id(obj) in sizes:
            continue
        if id(obj) in open_:
            raise AnnotationError(file, None, None, "YAML alias refers to a value that contains it")
        open_.add(id(obj))
        stack.append((obj, True))
        stack.extend((c, False) for c in children if isinstance(c, (list, dict)))
    return sizes.get(id(data), 1)


def load_yaml(path: str | os.PathLike[str], *, limit: int = MAX_YAML_BYTES) -> Any:
    """:func:`loads_yaml` of a regular UTF-8 file of at most ``limit`` bytes."""
    return loads_yaml(read_text(path, limit=limit), Path(path))
