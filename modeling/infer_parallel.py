"""Data-parallel inference: ``compmo-infer ... --shards N`` (alias ``--devices N``).

The parent starts N worker processes (``python -m modeling.infer_parallel SPEC``), one per GPU
(``CUDA_VISIBLE_DEVICES`` set to one of the visible GPUs per worker) or, on a CPU, N processes
that share the cores (``modeling.resources.cpu_threads``). Every worker loads the run, forms the
same length-sorted batches as a single process and generates the batches ``b`` with
``b % N == k`` (round robin: long and short batches spread evenly). The parent merges the texts
into the usual ``generated.json`` / ``predictions.json`` / ``infer_report.json``. With the same
batch size the batches are the very batches of a single process, so greedy generations (and
seeded sampling, seeded per batch) equal the single-process ones byte for byte.

``--batch-size auto`` is resolved once, in the parent, so that every worker forms the same
batches: on CUDA from the smallest free memory of the GPUs minus the model's weights (counted from
its config), on a CPU ``CPU_BATCH``. Multicast NVLink stays off in the workers
(``NCCL_NVLS_ENABLE=0`` and friends), as everywhere in this project.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import CompmoError
from compmo_gen.core.io import write_atomic

log = logging.getLogger(__name__)

NO_MULTICAST = {
    "NCCL_NVLS_ENABLE": "0",
    "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1",
    "NVSHMEM_DISABLE_NVLS": "1",
}


class ShardError(CompmoError):
    """A worker of sharded inference failed (its log tail is in the message)."""


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` entries."""
    import torch

    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None and env.strip():
        return [d.strip() for d in env.split(",") if d.strip()]
    return [str(i) for i in range(torch.cuda.device_count())]


def plan_batch_size(run: str | Path, gen: Any, device: str, bf16: bool) -> int:
    """The one batch size every worker uses (``auto`` resolved here, before any worker starts)."""
    from modeling.resources import CPU_BATCH, auto_batch_size, count_params

    if str(gen.batch_size) != "auto":
        return int(gen.batch_size)
    if not device.startswith("cuda"):
        return CPU_BATCH
    import torch
    from transformers import AutoConfig

    from modeling.config import load_run_config
    from modeling.model import MERGED_DIR, resolve_model

    cfg = load_run_config(run)
    if (Path(run) / MERGED_DIR).is_dir():
        config = AutoConfig.from_pretrained(str(Path(run) / MERGED_DIR), local_files_only=True)
    else:
        path, gguf = resolve_model(cfg.model, cfg.gguf_file)
        kwargs = {"gguf_file": gguf} if gguf else {}
        config = AutoConfig.from_pretrained(path, local_files_only=True, **kwargs)
    dtype_bytes = 2 if bf16 else 4
    free = min(torch.cuda.mem_get_info(i)[0] for i in range(torch.cuda.device_count()))
    free -= count_params(config) * dtype_bytes
    return auto_batch_size(
        config,
        free_bytes=max(free, 0),
        seq_tokens=cfg.model_max_length,
        prompt_tokens=cfg.model_max_length - gen.max_new_tokens,
        dtype_bytes=dtype_bytes,
    )


def infer_sharded(
    run: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    gen: Any,
    shards: int,
    motion_root: str | None = None,
    device: str = "auto",
    bf16: bool = False,
    limit: int | None = None,
    prompt_kind: str = "stage2",
    quiet: bool = False,
    threads: int | None = None,
) -> dict[str, Any]:
    """Run ``shards`` worker processes and merge their generations (see the module docstring)."""
    from modeling.infer import finish
    from modeling.run_load import pick_device

    device = pick_device(device)
    gpus: list[str] = []
    if device.startswith("cuda"):
        gpus = visible_gpus()
        if len(gpus) < shards:
            raise ShardError(f"--shards {shards}: only {len(gpus)} GPU(s) visible")
    t0 = time.perf_counter()
    from modeling.resources import resolve_new_tokens

    gen = dataclasses.replace(gen, max_new_tokens=resolve_new_tokens(gen.max_new_tokens, device))
    gen = dataclasses.replace(gen, batch_size=plan_batch_size(run, gen, device, bf16))
    spec = {
        "run": str(run),
        "data": str(data),
        "motion_root": motion_root,
        "gen": dataclasses.asdict(gen),
        "device": "cuda:0" if gpus else "cpu",
        "bf16": bf16,
        "limit": limit,
        "prompt_kind": prompt_kind,
        "shards": shards,
        "threads": threads,
    }
    with tempfile.TemporaryDirectory(prefix="compmo-shards-") as tmp:
        procs = []
        for k in range(shards):
            path = Path(tmp) / f"spec{k}.json"
            path.write_text(json.dumps({**spec, "shard": k, "out": f"{tmp}/shard{k}.json"}))
            env = {**os.environ, **NO_MULTICAST}
            if gpus:
                env["CUDA_VISIBLE_DEVICES"] = gpus[k]
            log_file = open(Path(tmp) / f"shard{k}.log", "w")  # noqa: SIM115 (closed below)
            cmd = [sys.executable, "-m", "modeling.infer_parallel", str(path)]
            procs.append(
                (subprocess.Popen(cmd, env=env, stdout=log_file, stderr=log_file), log_file)
            )
        codes = []
        for proc, log_file in procs:
            codes.append(proc.wait())
            log_file.close()
        for k, code in enumerate(codes):
            if code != 0:
                tail = (Path(tmp) / f"shard{k}.log").read_text(errors="replace")[-2000:]
                raise ShardError(f"inference shard {k} of {shards} failed (exit {code}):\n{tail}")
        parts = [json.loads((Path(tmp) / f"shard{k}.json").read_text()) for k in range(shards)]
    items = _merge(parts)
    wall = time.perf_counter() - t0
    gen_s = max(p["generate_s"] for p in parts)
    report = finish(
        out,
        items,
        {"run": str(run), "data": str(data), "device": device, "counts": parts[0]["counts"]},
        new_tokens=sum(p["new_tokens"] for p in parts),
        load_s=max(p["load_s"] for p in parts),
        gen_s=gen_s,
        gen=gen,
        extra={
            "shards": shards,
            "wall_s": round(wall, 3),
            "sequences_per_s_wall": round(len(items) / wall, 3) if wall > 0 else None,
            "shard_sequences": [len(p["texts"]) for p in parts],
        },
    )
    if not quiet:
        log.info("%d shards: %d sequences in %.1f s", shards, len(items), wall)
    return report


def _merge(parts: list[dict[str, Any]]) -> list[tuple[str, float | None, str]]:
    ids, durations = parts[0]["ids"], parts[0]["durations"]
    texts: dict[int, str] = {}
    for part in parts:
        if part["ids"] != ids:
            raise ShardError("inference shards read different examples (data changed meanwhile?)")
        for i, text in part["texts"].items():
            texts[int(i)] = text
    missing = [ids[i] for i in range(len(ids)) if i not in texts]
    if missing:
        raise ShardError(f"inference shards left {len(missing)} sequences out ({missing[0]}, ...)")
    return [(ids[i], durations[i], texts[i]) for i in range(len(ids))]


def worker(spec_path: str) -> int:
    """One shard: generate its batches and write ``{ids, durations, texts, ...}`` to ``out``."""
    from modeling.infer import GenerationConfig, generate, prepare

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    gen = GenerationConfig(**spec["gen"])
    k, n = spec["shard"], spec["shards"]
    p = prepare(
        spec["run"],
        spec["data"],
        motion_root=spec["motion_root"],
        gen=gen,
        device=spec["device"],
        bf16=spec["bf16"],
        limit=spec["limit"],
        prompt_kind=spec["prompt_kind"],
        workers=n,
        threads=spec.get("threads"),
    )
    t1 = time.perf_counter()
    texts, new_tokens = generate(
        p.model, p.tok, p.dataset, gen, device=p.device, quiet=True, shard=(k, n)
    )
    gen_s = time.perf_counter() - t1
    size = int(gen.batch_size)
    order = sorted(range(len(p.dataset)), key=lambda i: -p.dataset.examples[i].length())
    mine = [i for j, i in enumerate(order) if (j // size) % n == k]
    result = {
        "ids": [ex.id for ex in p.examples],
        "durations": [ex.duration for ex in p.examples],
        "texts": {str(i): texts[i] for i in mine},
        "counts": dict(p.counts),
        "new_tokens": new_tokens,
        "load_s": p.load_s,
        "generate_s": gen_s,
    }
    write_atomic(spec["out"], json.dumps(result))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(worker(sys.argv[1]))
