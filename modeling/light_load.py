"""compmo-infer's light load: a merged Llama model read without transformers' model classes.

The first greedy load of a stage-2 run merges its LoRA weights (PEFT, as before) and keeps the
merged model with its tokenizer in ``<cache>/merged/<key>/`` (``modeling.model_cache``: same
root, same switch ``COMPMO_MODEL_CACHE=0``, same write-then-rename). ``<key>`` is the SHA-256 of
the run's LoRA files and the base model's identity (the GGUF file's hash, or a folder's path, file
sizes and times) plus the dtype. A later load reads that folder (a merged run's ``llm/``
folder, a stage-1 run's base model or its converted GGUF folder) with ``modeling.llama_decode`` and the tokenizer's own class: no import of transformers'
model, generation or PEFT modules, no merge. Merged models over ``MAX_MERGED_BYTES`` are not
cached (``compmo-train merge`` writes a merged run explicitly). Whatever the cache does, a
supported model generates with the same decoder, so outputs do not depend on the cache.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import AnnotationError

log = logging.getLogger(__name__)

#: Largest merged model (bytes of weights) kept in the cache.
MAX_MERGED_BYTES = 4 * 2**30
#: Tokenizer classes read by ``PreTrainedTokenizerFast`` itself (the light path's tokenizer).
LIGHT_TOKENIZERS = ("TokenizersBackend", "PreTrainedTokenizerFast")


def _folder_id(folder: Path) -> str:
    """A model folder's identity: its path and the size and time of its files."""
    parts = [str(folder.resolve())]
    for p in sorted(folder.iterdir()):
        if p.is_file():
            st = p.stat()
            parts.append(f"{p.name}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(parts)


def merged_key(run: Path, model: str, gguf_file: str | None, dtype: Any) -> str | None:
    """The cache key of a run's merged model, or None when it has no LoRA folder."""
    from modeling import model_cache
    from modeling.model import LORA_DIR, resolve_model

    lora = run / LORA_DIR
    if not lora.is_dir():
        return None
    root = model_cache.cache_root() / "merged"
    h = hashlib.sha256()
    for p in sorted(lora.iterdir()):
        if p.is_file():
            h.update(f"{p.name}:{model_cache.file_hash(p, root)}\n".encode())
    path, gguf = resolve_model(model, gguf_file)
    if gguf:
        h.update(
            model_cache.file_hash(Path(path) / gguf, model_cache.cache_root() / "models").encode()
        )
    else:
        h.update(_folder_id(Path(path)).encode())
    return f"{h.hexdigest()}-{model_cache.dtype_name(dtype)}"


def merged_dir(run: Path, model: str, gguf_file: str | None, dtype: Any) -> Path | None:
    """Where the run's merged model is (or would be) cached; None without LoRA or cache."""
    from modeling import model_cache

    if not model_cache.enabled():
        return None
    key = merged_key(run, model, gguf_file, dtype)
    return model_cache.cache_root() / "merged" / key if key else None


def light_folder(run: Path, model: str, gguf_file: str | None, dtype: Any) -> Path | None:
    """A folder the light path can read for this run: its ``llm/`` (a merged run) or the cached
    merged model, when its model and tokenizer are supported; else None."""
    from modeling import model_cache
    from modeling.model import LORA_DIR, MERGED_DIR, resolve_model

    cand: Path | None
    if (run / MERGED_DIR).is_dir():
        cand = run / MERGED_DIR
    elif (run / LORA_DIR).is_dir():
        cand = merged_dir(run, model, gguf_file, dtype)
        if cand is not None and not model_cache.complete(cand):
            cand = None
    else:  # stage 1: the base model itself (a GGUF file's converted folder)
        path, gguf = resolve_model(model, gguf_file)
        cand = model_cache.cached(Path(path) / gguf, dtype) if gguf else Path(path)
    if cand is None:
        return None
    try:
        return cand if readable(cand) else None
    except AnnotationError as exc:
        drop_damaged(cand, exc)
        return None


def in_cache(folder: Path) -> bool:
    """Whether ``folder`` is a merged-model cache folder (which ``drop`` may delete)."""
    from modeling import model_cache

    root = (model_cache.cache_root() / "merged").resolve()
    return folder.resolve().parent == root


def drop_damaged(folder: Path, exc: Exception) -> None:
    """A damaged merged-model cache entry is dropped with a warning (the caller rebuilds it); a
    run's own folder is not a cache: ``exc`` stands."""
    if not in_cache(folder):
        raise exc
    log.warning("merged-model cache %s unreadable (%s): rebuilt", folder, exc)
    drop(folder)


def drop(folder: Path) -> None:
    """Delete an unreadable merged-model cache folder (the next load writes it again)."""
    import shutil

    if in_cache(folder):
        shutil.rmtree(folder, ignore_errors=True)


def readable(folder: Path) -> bool:
    """Whether ``folder`` holds a supported Llama model and a tokenizer the light path reads."""
    from modeling.llama_decode import read_json, supported

    cfg = read_json(folder / "config.json")
    tok = read_json(folder / "tokenizer_config.json")
    return (
        cfg is not None
        and supported(cfg)
        and tok is not None
        and tok.get("tokenizer_class") in LIGHT_TOKENIZERS
        and (folder / "tokenizer.json").is_file()
    )


def load_tokenizer(folder: Path) -> Any:
    """The folder's tokenizer through its own class (no auto classes); pad = eos when unset."""
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def store(llm: Any, tok: Any, target: Path | None) -> Path | None:
    """Keep a merged transformers model and its tokenizer at ``target`` (best effort)."""
    from modeling import model_cache

    if target is None:
        return None
    size = sum(p.numel() * p.element_size() for p in llm.parameters())
    if size > MAX_MERGED_BYTES and not (target / model_cache.MARKER).is_file():
        log.info(
            "merged model of %.1f GiB not cached (over %d GiB)",
            size / 2**30,
            MAX_MERGED_BYTES // 2**30,
        )
        return None
    meta = {"merged": True, "dtype": model_cache.dtype_name(llm.dtype)}
    return model_cache.save_folder(target, llm, lambda: tok, meta, "merged-model cache")


def decoder_from(llm: Any) -> Any | None:
    """A ``LlamaDecoder`` sharing the weights of a merged transformers Llama, or None when the
    model is not one the decoder computes."""
    from modeling.llama_decode import decoder_from_state, supported

    cfg = llm.config.to_dict()
    if hasattr(llm, "peft_config") or not supported(cfg):
        return None
    eos = getattr(getattr(llm, "generation_config", None), "eos_token_id", None)
    return decoder_from_state(
        cfg, dict(llm.state_dict()), dtype=llm.dtype, device=llm.device, eos=eos
    )
