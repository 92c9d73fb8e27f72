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
from pathlib import Path
from typing import Any

from compmo_gen.core.io import atomic_dir, load_json, sha256_file, write_atomic

log = logging.getLogger(__name__)

#: Written last into a cache folder: a folder without it is incomplete and ignored.
MARKER = "compmo_cache.json"
#: The small files whose SHA-256 the marker keeps: one edited since makes the entry damaged
#: (``config.json`` with fewer layers would otherwise load part of the weights without a word).
CHECKED = ("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json")


def cache_root() -> Path:
    """``$COMPMO_CACHE``, else ``$XDG_CACHE_HOME/compmo``, else ``~/.cache/compmo``."""
    if os.environ.get("COMPMO_CACHE"):
        return Path(os.environ["COMPMO_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "compmo"


def enabled() -> bool:
    return os.environ.get("COMPMO_MODEL_CACHE", "1").lower() not in ("0", "false", "no", "off")


def file_hash(path: Path, root: Path) -> str:
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
        write_atomic(index_path, json.dumps(index, indent=1) + "\n", replaces_input=True)
    except OSError as exc:  # a read-only cache still works, it only re-hashes
        log.debug("cannot remember the hash of %s (%s)", path, exc)
    return digest


def dtype_name(dtype: Any) -> str:
    return "auto" if dtype is None else str(dtype).replace("torch.", "")


def cache_dir(gguf_path: str | Path, dtype: Any = None) -> Path:
    """The cache folder of a GGUF file converted to ``dtype`` (it may not exist yet)."""
    import transformers

    root = cache_root() / "models"
    digest = file_hash(Path(gguf_path), root)
    return root / f"{digest}-transformers{transformers.__version__}-{dtype_name(dtype)}"


def cached(gguf_path: str | Path, dtype: Any = None) -> Path | None:
    """The complete cache folder of this GGUF file and dtype, or None."""
    if not enabled():
        return None
    folder = cache_dir(gguf_path, dtype)
    return folder if complete(folder) else None


def _digests(folder: Path) -> dict[str, str]:
    return {n: sha256_file(folder / n) for n in CHECKED if (folder / n).is_file()}


def complete(folder: Path) -> bool:
    """Whether ``folder`` is a finished cache entry whose small files are as written; a finished
    entry that is not (edited, truncated) is deleted with a warning, so the caller rebuilds it.
    Markers written before the digests were kept are trusted as before."""
    marker = folder / MARKER
    if not marker.is_file():
        return False
    try:
        want = json.loads(marker.read_text(encoding="utf-8")).get("sha256", {})
        same = not isinstance(want, dict) or not want or _digests(folder) == want
    except (OSError, ValueError, AttributeError):
        same = False
    if not same:
        log.warning("cache entry %s changed since it was written: rebuilt", folder)
        shutil.rmtree(folder, ignore_errors=True)
    return same


def cached_tokenizer(gguf_path: str | Path) -> Path | None:
    """A complete cache folder of this GGUF file (any dtype: they share the tokenizer), or None."""
    if not enabled():
        return None
    folder = cache_dir(gguf_path)
    stem = folder.name.rsplit("-", 1)[0]
    for cand in sorted(folder.parent.glob(stem + "-*")):
        if complete(cand) and (cand / "tokenizer_config.json").is_file():
            return cand
    return None


def drop_gguf_quantization(llm: Any) -> Any:
    """Forget that ``llm`` came from a GGUF file: its weights were dequantised on load, so it
    saves as a plain model (``save_pretrained`` refuses a model that keeps the GGUF quantizer, and
    a saved ``quantization_config`` would bring it back on the next load)."""
    config = getattr(llm, "config", None)
    qc = getattr(config, "quantization_config", None)
    method = qc.get("quant_method") if isinstance(qc, dict) else getattr(qc, "quant_method", None)
    if str(getattr(method, "value", method)).lower() != "gguf":
        return llm
    llm.hf_quantizer = None
    del config.quantization_config
    return llm


def save_folder(
    final: Path, llm: Any, tokenizer: Any, meta: dict[str, Any], what: str
) -> Path | None:
    """Write ``llm`` and its tokenizer (``tokenizer()`` builds it) into the cache folder ``final``
    atomically, ``MARKER`` (with ``meta``) last; the folder when complete, None when it cannot be
    written (logged). A folder left without its marker by a crash is replaced; a folder another
    process completed first is kept."""
    if (final / MARKER).is_file():
        return final
    if final.exists():  # left by an earlier crash
        shutil.rmtree(final, ignore_errors=True)
    try:
        with atomic_dir(final, exist_ok=True) as tmp:  # another process may finish first
            drop_gguf_quantization(llm)  # dequantised on load: saved as they are
            llm.save_pretrained(str(tmp), safe_serialization=True)
            tokenizer().save_pretrained(str(tmp))
            meta = {**meta, "sha256": _digests(tmp)}
            (tmp / MARKER).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        if (final / MARKER).is_file():  # another process finished first: theirs is as good
            return final
        log.warning("%s: cannot write %s (%s); continuing without it", what, final, exc)
        return None
    log.info("%s: saved to %s", what, final)
    return final


def store(llm: Any, gguf_path: str | Path, dtype: Any = None) -> Path | None:
    """Save a model converted from ``gguf_path`` and its tokenizer into the cache, atomically.

    Returns the cache folder, or None when the cache is off or cannot be written (logged)."""
    if not enabled():
        return None
    from transformers import AutoTokenizer

    gguf_path = Path(gguf_path)

    def tokenizer() -> Any:
        return AutoTokenizer.from_pretrained(
            str(gguf_path.parent), gguf_file=gguf_path.name, local_files_only=True
        )

    meta = {"gguf": str(gguf_path.resolve()), "dtype": dtype_name(dtype)}
    return save_folder(cache_dir(gguf_path, dtype), llm, tokenizer, meta, "model cache")
