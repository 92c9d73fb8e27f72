"""File I/O every reader and writer shares: strict JSON, atomic writes, hashing, path confinement,
and the one loader of joint arrays."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.errors import AnnotationError

if TYPE_CHECKING:
    import numpy as np


def load_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file; duplicate keys, bad UTF-8 and bad JSON are one-line :class:`AnnotationError`."""
    path = Path(path)

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for k, v in pairs:
            if k in seen:
                raise AnnotationError(path, k, None, "duplicate key")
            seen[k] = v
        return seen

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, object_pairs_hook=no_duplicates)
    except FileNotFoundError:
        raise AnnotationError(path, None, None, "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, None, None, f"not valid JSON ({exc})") from None


def resolve_under(
    root: str | os.PathLike[str], rel: str, *, file: str, record: str | None, field: str | None
) -> Path:
    """Resolve a path from a data file inside ``root``; absolute paths are reduced to their name.

    Raises :class:`AnnotationError` when the result would escape ``root`` (``..`` and the like).
    """
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


def write_atomic(path: str | os.PathLike[str], text: str | Iterable[str]) -> None:
    """Write text (or chunks of text, streamed) to ``path`` through a temporary file and a rename:
    never a half-written file, also when producing the chunks fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if isinstance(text, str):
                f.write(text)
            else:
                f.writelines(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    out = np.asarray(arr, dtype=np.float32)
    if not np.isfinite(out).all():
        raise MotionError(*where, "motion has NaN or infinite values", "nan")
    return out


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
