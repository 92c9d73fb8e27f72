""".npy and .npz files read without trusting them: regular files only, never unpickled, and an
array header's ``shape x dtype`` checked against the bytes the file (or zip member) really holds
before anything is allocated, so a 1 kB file claiming 98 GiB fails in one line. Truncated or
corrupt archives, an ``.npz`` named ``.npy`` and object arrays are :class:`MotionImportError`."""

from __future__ import annotations

import math
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.io import MAX_FILE_BYTES, require_regular
from compmo_gen.motion_import.joint_sets import MotionImportError

#: Largest array one field may hold (bytes): far above any motion (a 10-hour SMPL-X clip at
#: 120 fps is about 1.4 GB of float64 parameters).
MAX_ARRAY_BYTES = 2 << 30
#: What a malformed file makes numpy or zipfile raise (a mangled header: SyntaxError, TokenError).
_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, KeyError, SyntaxError, tokenize.TokenError)  # fmt: skip


def _regular(path: Path) -> int:
    """The size of ``path``, a regular file (the shared check: never opens a FIFO or device)."""
    try:
        return require_regular(path, limit=MAX_FILE_BYTES)
    except AnnotationError as exc:
        if exc.message == "file not found" or exc.message.startswith(("cannot read", "file of")):
            raise MotionImportError(f"{path}: {exc.message}") from None
        raise MotionImportError(f"{path}: not a regular file ({exc.message})") from None


def _header(fh: IO[bytes], where: str, available: int) -> tuple[tuple[int, ...], np.dtype, bool]:
    """(shape, dtype, fortran order) of an .npy stream, checked against ``available`` bytes."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    start = fh.tell()
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = fmt.read_array_header_2_0(fh)
    else:
        raise MotionImportError(f"{where}: unsupported .npy version {version}")
    header = fh.tell() - start + 8  # the magic string and version (6 + 2 bytes)
    if dtype.hasobject:
        raise MotionImportError(f"{where}: object array (pickled data is never read)")
    if any(d < 0 for d in shape):
        raise MotionImportError(f"{where}: negative array shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise MotionImportError(
            f"{where}: array header claims {shape} {dtype} ({nbytes / 2**30:.1f} GiB), over the "
            f"{MAX_ARRAY_BYTES >> 30} GiB limit"
        )
    if nbytes != available - header:
        raise MotionImportError(
            f"{where}: array header claims {shape} {dtype} ({nbytes} bytes) but the file holds "
            f"{max(available - header, 0)} (truncated or corrupt)"
        )
    return shape, dtype, fortran


def _read(fh: IO[bytes], where: str, available: int) -> np.ndarray:
    shape, dtype, fortran = _header(fh, where, available)
    data = fh.read(math.prod(shape) * dtype.itemsize)
    arr = np.frombuffer(data, dtype=dtype)
    arr = arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)
    return arr.copy()


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def load_npy(path: Path) -> np.ndarray:
    """The array of an ``.npy`` file (an ``.npz`` archive under that name is refused)."""
    size = _regular(path)
    try:
        if _is_zip(path):
            raise MotionImportError(f"{path}: an .npz archive named .npy (rename it to .npz)")
        with open(path, "rb") as fh:
            return _read(fh, str(path), size)
    except MotionImportError:
        raise
    except _ERRORS as exc:
        raise MotionImportError(f"{path}: unreadable .npy ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:120] or type(exc).__name__


class Npz:
    """The members of an ``.npz`` archive, read one at a time on demand (``z.files``, ``z[name]``,
    ``name in z``); use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _regular(path)
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except _ERRORS as exc:
            raise MotionImportError(f"{path}: unreadable .npz ({_reason(exc)})") from None
        self._info = {i.filename[:-4]: i for i in infos if i.filename.endswith(".npy")}
        self.files = list(self._info)

    def __contains__(self, name: str) -> bool:
        return name in self._info

    def __getitem__(self, name: str) -> np.ndarray:
        info = self._info[name]
        where = f"{self.path}: field {name!r}"
        try:
            with self._zip.open(info) as fh:
                return _read(fh, where, info.file_size)
        except MotionImportError:
            raise
        except _ERRORS as exc:
            raise MotionImportError(f"{where}: unreadable ({_reason(exc)})") from None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Npz:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def frame_rate(path: Path, key: str, value: np.ndarray) -> float:
    """A file's frame-rate field (``fps``, ``mocap_framerate``, ...): one real number, else
    :class:`MotionImportError` naming the field (a complex rate was silently truncated before)."""
    value = np.asarray(value)
    real = np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating)
    if value.size != 1 or not real:  # bool and complex are neither
        raise MotionImportError(
            f"{path}: field {key!r}: expected one number, got {value.dtype} {value.shape}"
        )
    return float(value.reshape(-1)[0])
