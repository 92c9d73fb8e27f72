"""File I/O every reader and writer shares: strict JSON, atomic writes, hashing, path confinement,
and the one loader of joint arrays."""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import json
import math
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.errors import AnnotationError, OutputError

if TYPE_CHECKING:
    import numpy as np


#: Limits of :func:`load_json` / :func:`loads_json`, generous for every compmo format: integers of
#: more digits, floats beyond the float range, strings longer, or nesting deeper are refused.
MAX_INT_DIGITS = 308
MAX_STRING_CHARS = 1 << 24
#: Text and JSON files larger than this are refused before they are read.
MAX_FILE_BYTES = 4 << 30
_BOM = "\ufeff"


def _regular_file(path: Path, file: str | os.PathLike[str] | None = None) -> int:
    """The size of ``path`` if it is a readable regular file, else an :class:`AnnotationError`
    (missing, a directory, a FIFO or device, unreadable, too large)."""
    where = path if file is None else file
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AnnotationError(where, None, None, "file not found") from None
    except (OSError, ValueError) as exc:
        raise AnnotationError(where, None, None, f"cannot read ({_os_reason(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise AnnotationError(where, None, None, "is a directory, expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise AnnotationError(where, None, None, "not a regular file (a FIFO or device?)")
    if st.st_size > MAX_FILE_BYTES:
        raise AnnotationError(
            where, None, None, f"file of {st.st_size} bytes exceeds the limit {MAX_FILE_BYTES}"
        )
    return st.st_size


def _os_reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def read_text(path: str | os.PathLike[str], *, errors: str = "strict") -> str:
    """A UTF-8 text file (a leading byte-order mark dropped); missing, directory, FIFO, unreadable
    or (with ``errors="strict"``) non-UTF-8 files are one-line :class:`AnnotationError`."""
    path = Path(path)
    _regular_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnnotationError(path, None, None, f"cannot read ({_os_reason(exc)})") from None
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
    path = Path(path)
    _regular_file(path)
    try:
        with open(path, encoding="utf-8", errors="strict") as f:
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


def loads_json(
    text: str, file: str | os.PathLike[str], record: str | None = None, field: str | None = None
) -> Any:
    """Parse JSON text strictly: no duplicate keys, numbers that fit a float (``NaN`` and
    ``Infinity`` are read, for the field checks to name),
    integers of at most :data:`MAX_INT_DIGITS` digits, object values up to :data:`MAX_STRING_CHARS`
    characters, nesting up to the interpreter's recursion limit. Every violation is one :class:`AnnotationError`."""

    def fail(message: str, rec: str | None = record) -> AnnotationError:
        return AnnotationError(file, rec, field, message)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for k, v in pairs:
            if k in seen:
                raise fail("duplicate key", k if record is None else record)
            if (isinstance(v, str) and len(v) > MAX_STRING_CHARS) or len(k) > MAX_STRING_CHARS:
                raise fail(f"string longer than {MAX_STRING_CHARS} characters")
            seen[k] = v
        return seen

    def parse_int(s: str) -> int:
        if len(s.lstrip("-")) > MAX_INT_DIGITS:
            raise fail(f"integer of {len(s.lstrip('-'))} digits (limit {MAX_INT_DIGITS})")
        return int(s)

    def parse_float(s: str) -> float:
        if len(s) > MAX_INT_DIGITS + 40:
            raise fail(f"number of {len(s)} characters (limit {MAX_INT_DIGITS + 40})")
        v = float(s)
        if not math.isfinite(v):
            raise fail(f"number {s[:40]} out of the float range")
        return v

    text = text[1:] if text.startswith(_BOM) else text
    try:
        return json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_int=parse_int,
            parse_float=parse_float,
        )
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise fail(f"JSON nested deeper than about {sys.getrecursionlimit()} levels") from None


def load_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file through :func:`read_text` and :func:`loads_json` (one-line
    :class:`AnnotationError` for every problem: missing, directory, non-UTF-8, bad JSON, limits)."""
    return loads_json(read_text(path), Path(path))


def resolve_under(
    root: str | os.PathLike[str], rel: str, *, file: str, record: str | None, field: str | None
) -> Path:
    """Resolve a path from a data file inside ``root``; absolute paths are reduced to their name.

    Raises :class:`AnnotationError` when the result would escape ``root`` (``..`` and the like).
    """
    if "\0" in rel:
        raise AnnotationError(file, record, field, f"path {rel!r} holds a null byte")
    if any(len(os.fsencode(part)) > 255 for part in Path(rel).parts):
        raise AnnotationError(
            file, record, field, f"path {rel[:80]!r}... has a name over 255 bytes"
        )
    root = Path(root).resolve()
    p = Path(rel)
    candidate = (root / p.name) if p.is_absolute() else (root / p)
    candidate = candidate.resolve()
    if candidate != root and root not in candidate.parents:
        raise AnnotationError(file, record, field, f"path {rel!r} escapes its root {root}")
    return candidate


def json_object_chunks(members: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """``json.dumps(dict(members), indent=1)`` piece by piece (byte-identical), then a newline."""
    empty = True
    for key, value in members:
        yield ("{" if empty else ",") + json.dumps({key: value}, indent=1, ensure_ascii=False)[1:-2]
        empty = False
    yield "{}\n" if empty else "\n}\n"


def json_list_chunks(items: Iterable[Any]) -> Iterator[str]:
    """``json.dumps(list(items), indent=1)`` piece by piece (byte-identical), then a newline."""
    empty = True
    for item in items:
        yield ("[" if empty else ",") + json.dumps([item], indent=1, ensure_ascii=False)[1:-2]
        empty = False
    yield "[]\n" if empty else "\n]\n"


def remove_stale_siblings(path: str | os.PathLike[str]) -> int:
    """Delete the ``.<name>.<random>.tmp`` files that a killed :func:`write_atomic` of ``path``
    left beside it; the number removed (for a rerun that rewrites ``path``)."""
    path = Path(path)
    removed = 0
    for p in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        p.unlink(missing_ok=True)
        removed += 1
    return removed


def remove_stale_tmp(root: str | os.PathLike[str]) -> int:
    """Delete the ``.<name>.<random>.tmp`` files an interrupted :func:`write_atomic` (or a killed
    writer of the same pattern) left anywhere under ``root``; the number removed. Only for a folder
    that no other process is writing to (a build being resumed)."""
    removed = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if name.startswith(".") and name.endswith(".tmp"):
                try:
                    os.unlink(os.path.join(dirpath, name))
                    removed += 1
                except FileNotFoundError:
                    pass
    return removed


@functools.cache
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(path: str | os.PathLike[str], data: str | bytes | Iterable[str]) -> None:
    """Write text, bytes or chunks of text (streamed) to ``path`` through a temporary file and a
    rename, with the mode a plain ``open`` would give (``0o666`` less the umask): never a
    half-written file, also when producing the chunks fails. The one atomic writer of the repo."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                if isinstance(data, str):
                    f.write(data)
                else:
                    f.writelines(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str], *, exist_ok: bool = False) -> Iterator[Path]:
    """Yield a new temporary sibling folder of ``target``, renamed to ``target`` when the block
    ends normally and removed when it raises: never a half-written folder. An empty ``target`` is
    replaced; a non-empty one (another process finished first) keeps its content and ours is
    dropped with ``exist_ok`` (caches), else :class:`OutputError`."""
    from compmo_gen.core.staging import staging_path

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_path(target)  # .NAME.PID.tmp: removed by the next run if this one is killed
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        try:
            tmp.rename(target)
        except OSError as exc:
            if not (exist_ok and target.is_dir()):
                raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_writable(path: str | os.PathLike[str] | None) -> None:
    """Fail now, in one line (:class:`OutputError`), if ``path`` could not be written later: its
    folder cannot be created or written, or ``path`` is a folder. For outputs of long runs."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"cannot write {path}: is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


class MotionError(AnnotationError):
    """An unusable joint array; ``reason`` is a short key for counting (``missing_file``, ...)."""

    def __init__(
        self,
        file: str | os.PathLike[str],
        record: str | None,
        field: str | None,
        message: str,
        reason: str,
    ):
        super().__init__(file, record, field, message)
        self.reason = reason


#: Joint coordinates (metres) beyond this are refused by :func:`load_joints` (``implausible``).
MAX_ABS_COORD = 1e4


def load_joints(
    path: str | os.PathLike[str],
    *,
    file: str | os.PathLike[str] | None = None,
    record: str | None = None,
    field: str | None = "motion",
    mmap: bool = False,
    joints: int = NUM_JOINTS,
) -> np.ndarray:
    """A finite ``(T, joints, 3)`` joint array (T >= 1) from an ``.npy`` file, float32.

    Never unpickles; the file is memory-mapped first, so a header that claims more frames than the
    file holds fails before any allocation. ``mmap=True`` returns the read-only map itself (finite
    values are then not checked: callers slice first). Errors are :class:`MotionError` naming
    ``file`` (default: the motion path), ``record`` and ``field``, with a counting ``reason``.
    """
    import numpy as np

    path = Path(path)
    where = (str(path) if file is None else file, record, field)
    if not path.exists():
        raise MotionError(*where, f"motion file {str(path)!r} not found", "missing_file")
    if not path.is_file():
        raise MotionError(*where, f"{str(path)!r} is not a regular file", "unreadable")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        reason = str(exc).split(". ")[0].strip() or type(exc).__name__
        raise MotionError(*where, f"unreadable motion ({reason})", "unreadable") from None
    if not isinstance(arr, np.ndarray):
        arr.close()
        raise MotionError(*where, "not an .npy array (an .npz archive?)", "unreadable")
    if arr.ndim != 3 or arr.shape[1:] != (joints, 3):
        raise MotionError(
            *where, f"expected shape (T, {joints}, 3), got {arr.shape}", "wrong_shape"
        )
    if arr.shape[0] == 0:
        raise MotionError(*where, "motion has no frames", "empty")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise MotionError(*where, f"unsupported dtype {arr.dtype}", "unreadable")
    if mmap:
        return arr
    out = np.asarray(arr, dtype=np.float64 if arr.dtype == np.float64 else np.float32)
    if not np.isfinite(out).all():
        raise MotionError(*where, "motion has NaN or infinite values", "nan")
    if np.abs(out).max() > MAX_ABS_COORD:
        raise MotionError(
            *where, f"joint coordinates beyond {MAX_ABS_COORD:g} m (wrong units?)", "implausible"
        )
    return out.astype(np.float32, copy=False)


def npy_frames(path: str | os.PathLike[str], *, record: str | None = None) -> int:
    """The frame count of an ``.npy`` motion, read from its header (memory-mapped)."""
    import numpy as np

    path = Path(path)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise AnnotationError(
            path, record or path.stem, None, f"unreadable motion ({exc})"
        ) from None
    if not isinstance(arr, np.ndarray) or arr.ndim == 0:
        raise AnnotationError(path, record or path.stem, None, "not an .npy array")
    return int(arr.shape[0])
