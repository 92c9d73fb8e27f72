"""File I/O every reader and writer shares: strict JSON, atomic writes, hashing, path confinement,
and the one loader of joint arrays."""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.errors import AnnotationError, OutputError
from compmo_gen.core.readers import (  # noqa: F401 (the reading layer, re-exported)
    MAX_FILE_BYTES,
    MAX_INT_DIGITS,
    MAX_STRING_CHARS,
    first_text,
    is_input,
    kind_problem,
    load_json,
    load_json_or_lines,
    load_yaml,
    loads_json,
    loads_json_or_lines,
    loads_yaml,
    open_regular,
    read_bytes,
    read_text,
    require_regular,
)

if TYPE_CHECKING:
    import numpy as np


def _name_too_long(path: str | os.PathLike[str]) -> bool:
    """Whether a part of ``path`` is longer than file systems allow (255 bytes)."""
    return any(len(os.fsencode(part)) > 255 for part in Path(path).parts)


def resolve_under(
    root: str | os.PathLike[str], rel: str, *, file: str, record: str | None, field: str | None
) -> Path:
    """Resolve a path from a data file inside ``root``; absolute paths are reduced to their name.

    Raises :class:`AnnotationError` when the result would escape ``root`` (``..`` and the like).
    """
    if "\0" in rel:
        raise AnnotationError(file, record, field, f"path {rel!r} holds a null byte")
    if _name_too_long(rel):
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
    with open_regular(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_target(path: Path, replaces_input: bool) -> None:
    """One-line :class:`OutputError` when an output may not replace what is at ``path``: a
    folder, a FIFO or device (a rename would swap the node for a file), or a file this command
    read as an input (``compmo_gen.core.readers.tracking_inputs``), unless ``replaces_input``.
    A symbolic link is replaced itself, never what it points to."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        return
    problem = kind_problem(st.st_mode)
    if problem is not None:
        raise OutputError(f"cannot write {path}: {problem.split(',')[0]}")
    if is_input(st) and not replaces_input:
        raise OutputError(
            f"cannot write {path}: it is an input of this command (choose another output path)"
        )


def write_atomic(
    path: str | os.PathLike[str],
    data: str | bytes | Iterable[str],
    *,
    replaces_input: bool = False,
) -> None:
    """Write text, bytes or chunks of text (streamed) to ``path`` through a temporary file and a
    rename, with the mode a plain ``open`` would give (``0o666`` less the umask): never a
    half-written file, also when producing the chunks fails. The one atomic writer of the repo.
    ``path`` may not be a folder, a FIFO or device, or (without ``replaces_input``: files a command
    updates, such as an index) a file the running command read (:func:`_check_target`)."""
    path = Path(path)
    _check_target(path, replaces_input)
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
    folder cannot be created or written, or ``path`` is a folder, a FIFO, a device or an input
    (:func:`_check_target`). For outputs of long runs."""
    if path is None:
        return
    path = Path(path)
    _check_target(path, False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_output_folder(path: str | os.PathLike[str], option: str) -> None:
    """Fail now, in one line (:class:`OutputError`), if the output folder ``path`` could not be
    made later: a name over 255 bytes, ``path`` or its nearest existing ancestor not a folder
    (``--out afile/sub``, ``/dev/null/x``), or that ancestor not writable. Creates nothing."""
    p = Path(path)
    if _name_too_long(p):
        raise OutputError(f"{option} {str(p)[:80]}...: a name over 255 bytes")
    ancestor = p.absolute()  # up to the nearest existing entry (exists() is False past a file)
    try:
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
    except OSError as exc:  # a folder on the path that cannot be searched
        raise OutputError(f"{option} {p}: {exc.strerror or exc}") from None
    if ancestor == p.absolute() and not p.is_dir():
        raise OutputError(f"{option} {p}: exists and is not a folder")
    if not ancestor.is_dir():
        raise OutputError(f"{option} {p}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {p}: {ancestor} is not writable")


def check_outputs(*paths: str | os.PathLike[str] | None) -> None:
    """:func:`check_writable` for each output of a command, and one line when two of them name the
    same file (the second would silently replace the first)."""
    seen: dict[Path, str] = {}
    for path in paths:
        if path is None:
            continue
        check_writable(path)
        key = Path(os.path.abspath(path))
        if key in seen:
            raise OutputError(f"cannot write {path}: also the path of another output")
        seen[key] = str(path)


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
    file holds fails before any allocation. ``mmap=True`` returns the read-only map itself (its
    values are then not checked: callers slice first and apply :func:`check_joint_values`). Errors are :class:`MotionError` naming
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
    check_joint_values(out, *where)
    return out.astype(np.float32, copy=False)


def check_joint_values(
    arr: np.ndarray, file: str | os.PathLike[str], record: str | None, field: str | None
) -> None:
    """The value rules of a joint array: finite, within :data:`MAX_ABS_COORD` m (beyond, float32
    overflows and training turns NaN). :func:`load_joints` applies them; a caller of its
    ``mmap=True`` map applies them to the slice it uses. :class:`MotionError` otherwise."""
    import numpy as np

    if not np.isfinite(arr).all():
        raise MotionError(file, record, field, "motion has NaN or infinite values", "nan")
    if arr.size and np.abs(arr).max() > MAX_ABS_COORD:
        raise MotionError(
            file, record, field, f"joint coordinates beyond {MAX_ABS_COORD:g} m (wrong units?)",
            "implausible",
        )  # fmt: skip


def npy_frames(path: str | os.PathLike[str], *, record: str | None = None) -> int:
    """The frame count of an ``.npy`` motion, read from its header (memory-mapped)."""
    import numpy as np

    path = Path(path)
    require_regular(path)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise AnnotationError(
            path, record or path.stem, None, f"unreadable motion ({exc})"
        ) from None
    if not isinstance(arr, np.ndarray) or arr.ndim == 0:
        raise AnnotationError(path, record or path.stem, None, "not an .npy array")
    return int(arr.shape[0])
