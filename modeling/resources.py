"""Inference resources: the generation batch size that fits the memory, and CPU threads.

``--batch-size auto`` (the default of ``compmo-infer``): on CUDA the largest batch whose KV cache
and prefill activations fit in the free memory left after the weights (``auto_batch_size``, from
the model's config, the longest sequence ``model_max_length`` and a 20 % reserve), capped at
``MAX_AUTO_BATCH``; generation halves it and retries a batch that still runs out of memory. On a
CPU a small batch (``CPU_BATCH``): large CPU batches gain nothing and pad more.

CPU threads (:func:`cpu_threads`, the one rule that ``--help`` and the docs quote as
``THREADS_RULE``): ``torch``'s default (one per core, hyper-threads included) was 14x slower than
one thread on a busy 2-core machine, so ``--threads N`` if given, else ``$COMPMO_THREADS``, else
``min(4, idle cores // workers)`` (at least 1), where the idle cores are the usable ones (affinity
mask, cgroup CPU quota) less the 1-minute load average.

New tokens: ``max_new_tokens: auto`` is ``MAX_NEW_TOKENS[device kind]`` (500 on a GPU, 256 on a
CPU), or a DEMO run's own bound when smaller.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: ``--batch-size auto`` on a CPU (larger CPU batches gain nothing and pad more).
CPU_BATCH = 1
MAX_AUTO_BATCH = 512
#: Share of the free memory kept free (allocator fragmentation, the adapter, sampling buffers).
RESERVE = 0.2
#: ``max_new_tokens: auto`` by device kind.
MAX_NEW_TOKENS = {"cpu": 256, "cuda": 500}
MAX_CPU_THREADS = 4
#: The CPU thread default in words (``--threads`` help, docs/training.md).
THREADS_RULE = "$COMPMO_THREADS, else min(4, idle cores / worker processes), at least 1"


#: Threads of one inference process at most (more gained nothing: ``results/cpu_threads.md``).
MAX_CPU_THREADS = 4


def usable_cores() -> int:
    """Cores this process may run on: the affinity mask, capped by a cgroup CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def idle_cores() -> int:
    """Usable cores less the ones other processes keep busy (1-minute load average)."""
    cores = usable_cores()
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return max(1, round(cores - busy))


def cpu_threads(workers: int = 1, requested: int | None = None) -> int:
    """Torch threads for one of ``workers`` processes sharing this machine's cores
    (``THREADS_RULE``; ``requested``: ``--threads``)."""
    if requested:
        return int(requested)
    env = os.environ.get("COMPMO_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(MAX_CPU_THREADS, idle_cores() // max(1, workers)))


def set_cpu_threads(workers: int = 1, requested: int | None = None) -> int:
    import torch

    n = cpu_threads(workers, requested)
    torch.set_num_threads(n)
    return n


def resolve_new_tokens(requested: int | str, device: str) -> int:
    """``max_new_tokens`` as an int: ``auto`` is ``MAX_NEW_TOKENS`` of the device kind."""
    if str(requested) != "auto":
        return int(requested)
    return MAX_NEW_TOKENS["cuda" if str(device).startswith("cuda") else "cpu"]


def _get(config: Any, *names: str, default: int = 0) -> int:
    for name in names:
        value = getattr(config, name, None)
        if value:
            return int(value)
    return default


def _shape(config: Any) -> tuple[Any, int, int, int, int, int, int, int]:
    """(text config, hidden, layers, heads, kv heads, head dim, FFN width, vocabulary) of an LM
    config, Llama-style names first, GPT-2-style ones as fallbacks."""
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    hidden = _get(cfg, "hidden_size", "n_embd", default=1024)
    layers = _get(cfg, "num_hidden_layers", "n_layer", default=1)
    heads = _get(cfg, "num_attention_heads", "n_head", default=1)
    kv_heads = _get(cfg, "num_key_value_heads", default=heads)
    head_dim = _get(cfg, "head_dim", default=hidden // heads)
    ffn = _get(cfg, "intermediate_size", "n_inner", default=4 * hidden)
    vocab = _get(cfg, "vocab_size", default=32000)
    return cfg, hidden, layers, heads, kv_heads, head_dim, ffn, vocab


def count_params(config: Any) -> int:
    """Parameters of a decoder-only LM from its config (Llama-style layout; no model is built,
    so nothing of DeepSpeed's ``zero.Init`` or the weights' memory is touched)."""
    cfg, hidden, layers, heads, kv_heads, head_dim, ffn, vocab = _shape(config)
    attn = hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2
    per_layer = attn + 3 * hidden * ffn + 2 * hidden
    tied = bool(getattr(cfg, "tie_word_embeddings", getattr(config, "tie_word_embeddings", False)))
    return layers * per_layer + vocab * hidden * (1 if tied else 2) + hidden


def per_sequence_bytes(config: Any, seq_tokens: int, prompt_tokens: int, dtype_bytes: int) -> int:
    """Memory one sequence needs while generating: its KV cache at ``seq_tokens`` plus the
    prefill activations of its ``prompt_tokens`` (a few hidden-sized and FFN-sized buffers)."""
    _, hidden, layers, _, kv_heads, head_dim, ffn, vocab = _shape(config)
    kv = 2 * layers * kv_heads * head_dim * dtype_bytes * seq_tokens
    prefill = prompt_tokens * (6 * hidden + 3 * ffn) * dtype_bytes
    logits = 2 * vocab * 4  # the last position's float32 logits and their processed copy
    return kv + prefill + logits


def auto_batch_size(
    config: Any,
    *,
    free_bytes: int,
    seq_tokens: int,
    prompt_tokens: int,
    dtype_bytes: int,
    cap: int = MAX_AUTO_BATCH,
) -> int:
    """The largest batch (1..cap) whose sequences fit in ``(1 - RESERVE) * free_bytes``."""
    need = per_sequence_bytes(config, seq_tokens, prompt_tokens, dtype_bytes)
    fits = int(free_bytes * (1.0 - RESERVE)) // max(need, 1)
    return int(max(1, min(cap, fits)))


def resolve_batch_size(
    requested: int | str,
    *,
    device: str,
    config: Any,
    seq_tokens: int,
    prompt_tokens: int,
    dtype_bytes: int,
) -> int:
    """``requested`` as an int; ``"auto"``: ``CPU_BATCH`` on a CPU, else from the free memory of
    ``device`` (call it with the weights already loaded there)."""
    if str(requested) != "auto":
        return int(requested)
    if not str(device).startswith("cuda"):
        return CPU_BATCH
    import torch

    free, _ = torch.cuda.mem_get_info(torch.device(device))
    size = auto_batch_size(
        config,
        free_bytes=free,
        seq_tokens=seq_tokens,
        prompt_tokens=prompt_tokens,
        dtype_bytes=dtype_bytes,
    )
    log.info("batch size auto: %d (%.1f GiB free on %s)", size, free / 2**30, device)
    return size


def is_oom(exc: BaseException) -> bool:
    import torch

    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(exc, oom) or "out of memory" in str(exc).lower()
