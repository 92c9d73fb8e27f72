"""A GGUF model converted once: the dequantised Hugging Face model cached as safetensors.

Transformers converts and dequantises a GGUF file on every load (30 s for SmolLM2-135M on an
H100 host, minutes for an 8B model). The first load of a GGUF file (per dtype) saves the converted
model and its tokenizer under ``<cache>/models/<key>/`` where ``<key>`` is the SHA-256 of the GGUF
file, the transformers version and the dtype; later loads read the safetensors folder.
``<cache>`` is ``$COMPMO_CACHE`` or ``$XDG_CACHE_HOME/compmo`` (default ``~/.cache/compmo``).
``COMPMO_MODEL_CACHE=0`` turns the cache off. The folder is written beside its final place and
renamed into it, so a crash never leaves a half-written model that a later load would trust.
The file's hash is remembered by (path, size, mtime) in ``<cache>/models/hashes.json`` so a
cached load does not re-read a large GGUF file.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from compmo_gen.core.io import load_json, sha256_file, write_atomic

log = logging.getLogger(__name__)

#: Written last into a cache folder: a folder without it is incomplete and ignored.
MARKER = "compmo_cache.json"


def cache_root() -> Path:
    """``$COMPMO_CACHE``, else ``$XDG_CACHE_HOME/compmo``, else ``~/.cache/compmo``."""
    if os.environ.get("COMPMO_CACHE"):
        return Path(os.environ["COMPMO_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "compmo"


def enabled() -> bool:
    return os.environ.get("COMPMO_MODEL_CACHE", "1").lower() not in ("0", "false", "no", "off")


def _file_hash(path: Path, root: Path) -> str:
    """SHA-256 of ``path``, remembered by (resolved path, size, mtime)."""
    st = path.stat()
    stamp = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    index_path = root / "hashes.json"
    try:
        index = load_json(index_path)
    except (OSError, ValueError):
        index = {}
    if not isinstance(index, dict):
        index = {}
    if isinstance(index.get(stamp), str):
        return index[stamp]
    digest = sha256_file(path)
    index[stamp] = digest
    try:
        root.mkdir(parents=True, exist_ok=True)
        write_atomic(index_path, json.dumps(index, indent=1) + "\n")
    except OSError as exc:  # a read-only cache still works, it only re-hashes
        log.debug("cannot remember the hash of %s (%s)", path, exc)
    return digest


def _dtype_name(dtype: Any) -> str:
    return "auto" if dtype is None else str(dtype).replace("torch.", "")


def cache_dir(gguf_path: str | Path, dtype: Any = None) -> Path:
    """The cache folder of a GGUF file converted to ``dtype`` (it may not exist yet)."""
    import transformers

    root = cache_root() / "models"
    digest = _file_hash(Path(gguf_path), root)
    return root / f"{digest}-transformers{transformers.__version__}-{_dtype_name(dtype)}"


def cached(gguf_path: str | Path, dtype: Any = None) -> Path | None:
    """The complete cache folder of this GGUF file and dtype, or None."""
    if not enabled():
        return None
    folder = cache_dir(gguf_path, dtype)
    return folder if (folder / MARKER).is_file() else None


def cached_tokenizer(gguf_path: str | Path) -> Path | None:
    """A complete cache folder of this GGUF file (any dtype: they share the tokenizer), or None."""
    if not enabled():
        return None
    folder = cache_dir(gguf_path)
    stem = folder.name.rsplit("-", 1)[0]
    for cand in sorted(folder.parent.glob(stem + "-*")):
        if (cand / MARKER).is_file() and (cand / "tokenizer_config.json").is_file():
            return cand
    return None


def store(llm: Any, gguf_path: str | Path, dtype: Any = None) -> Path | None:
    """Save a model converted from ``gguf_path`` and its tokenizer into the cache, atomically.

    Returns the cache folder, or None when the cache is off or cannot be written (logged)."""
    if not enabled():
        return None
    from transformers import AutoTokenizer

    final = cache_dir(gguf_path, dtype)
    if (final / MARKER).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    try:
        llm.hf_quantizer = None  # the weights were dequantised on load: save them as they are
        llm.save_pretrained(str(tmp), safe_serialization=True)
        gguf_path = Path(gguf_path)
        tok = AutoTokenizer.from_pretrained(
            str(gguf_path.parent), gguf_file=gguf_path.name, local_files_only=True
        )
        tok.save_pretrained(str(tmp))
        meta = {"gguf": str(Path(gguf_path).resolve()), "dtype": _dtype_name(dtype)}
        (tmp / MARKER).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        if final.exists() and not (final / MARKER).is_file():  # left by an earlier crash
            shutil.rmtree(final)
        os.replace(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if (final / MARKER).is_file():  # another process finished first: theirs is as good
            return final
        log.warning("model cache: cannot write %s (%s); continuing without it", final, exc)
        return None
    log.info("model cache: converted %s saved to %s", gguf_path, final)
    return final
