"""Where a training step's GPU time goes: ``torch.profiler`` over a few fast-step optimizer steps.

Section ``profile`` of ``scripts.bench_throughput``: the variant ``--profile-variant``
(``mode@budget[+c]``, as the stage-2 sections) at ``--lora-dropout``, ``--profile-warmup`` steps
unprofiled (compile warm-up), then ``--profile-steps`` steps under the profiler. Reports the
wall time, the GPU kernel time by kind (matrix products, attention, compiled fused kernels,
other element-wise work, optimizer, copies), the matrix products grouped by their operand shapes
(which tells LoRA's rank-r products from the frozen weights' ones) and the slowest kernels.
"""

from __future__ import annotations

import re
import time
from typing import Any

from benchmarks.harness import Bench
from benchmarks.training import parse_variant, set_lora_dropout, variant_config
from modeling.fast_step import configure_model, train_step
from modeling.packed_train import packed_batch_sampler, packed_collate_fn

#: Kernel kinds, first match wins (names of cuBLAS/CUTLASS, flash, Triton and ATen kernels).
KINDS = (
    ("attention", r"flash|fmha|attention"),  # before matmul: flash kernels' names hold sm80_ etc.
    ("matmul", r"gemm|nvjet|cutlass|xmma|cublas|sm\d+_|splitk|f8f8bf16"),
    ("optimizer", r"adam|multi_tensor|foreach"),
    ("compiled fused (triton)", r"^triton|triton_"),
    ("copy/fill", r"memcpy|memset|copy|fill|cat"),
    ("other element-wise / reductions", r"."),
)


def kind_of(name: str) -> str:
    """The kind of a CUDA kernel, from its name."""
    low = name.lower()
    for kind, pattern in KINDS:
        if re.search(pattern, low):
            return kind
    return KINDS[-1][0]


def _device_us(evt: Any) -> float:
    for attr in ("self_device_time_total", "self_cuda_time_total"):
        if hasattr(evt, attr):
            return float(getattr(evt, attr))
    return 0.0


def _total_us(evt: Any) -> float:
    for attr in ("device_time_total", "cuda_time_total"):
        if hasattr(evt, attr):
            return float(getattr(evt, attr))
    return 0.0


def summarise_profile(prof: Any, wall_s: float, steps: int, tokens: int) -> dict[str, Any]:
    """Kernel time by kind, matrix products by shape, slowest kernels, per optimizer step."""
    from torch.autograd import DeviceType

    kernels = [  # "## Call CompiledFxGraph ... ##" spans wrap kernels listed on their own
        e
        for e in prof.key_averages()
        if e.device_type == DeviceType.CUDA and not e.key.startswith("## ")
    ]
    by_kind: dict[str, float] = {}
    for e in kernels:
        by_kind[kind_of(e.key)] = by_kind.get(kind_of(e.key), 0.0) + _device_us(e)
    busy_us = sum(by_kind.values())
    step_ms = 1000 * wall_s / steps
    kinds = {
        k: {"ms_per_step": round(v / 1000 / steps, 2), "pct_of_wall": round(v / 1e4 / wall_s, 1)}
        for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])
    }
    top = sorted(kernels, key=_device_us, reverse=True)[:25]
    mm = [
        e
        for e in prof.key_averages(group_by_input_shape=True)
        if e.device_type == DeviceType.CPU and e.key in ("aten::mm", "aten::addmm", "aten::bmm")
    ]
    mm = sorted(mm, key=_total_us, reverse=True)[:30]
    return {
        "steps": steps,
        "tokens": tokens,
        "wall_ms_per_step": round(step_ms, 1),
        "tokens_per_s": round(tokens / wall_s, 1),
        "gpu_busy_ms_per_step": round(busy_us / 1000 / steps, 1),
        "gpu_idle_pct": round(100 - busy_us / 1e4 / wall_s, 1),
        "kinds": kinds,
        "top_kernels": [
            {
                "name": e.key[:120],
                "kind": kind_of(e.key),
                "calls_per_step": e.count / steps,
                "ms_per_step": round(_device_us(e) / 1000 / steps, 2),
            }
            for e in top
        ],
        "matmuls_by_shape": [
            {
                "op": e.key,
                "shapes": str(e.input_shapes)[:160],
                "calls_per_step": e.count / steps,
                "ms_per_step": round(_total_us(e) / 1000 / steps, 2),
            }
            for e in mm
        ],
    }


def profile(bench: Bench) -> dict[str, Any]:
    """Profile ``--profile-steps`` optimizer steps of ``--profile-variant``."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    a = bench.args
    mode, budget, comp = parse_variant(a.profile_variant)
    budget = budget or 4096
    params = [*bench.lora_params, *bench.adapter.parameters()]
    set_lora_dropout(bench, a.lora_dropout)
    configure_model(bench.model, variant_config(a.profile_variant, bench.p["lora_r"]))
    n = a.profile_warmup + a.profile_steps
    pool = bench.samples("stage2", 50_000, 60 * (n + 2))
    lengths = [len(s) for s in pool]
    sampler = packed_batch_sampler(lengths, budget, compile=comp, seed=a.seed)
    groups = [[pool[i] for i in g] for g in sampler][:n]
    bounds = None
    if comp and "b" in a.profile_variant.split("+")[1:]:  # +b: compile_bounds=data
        from modeling.packed_train import data_bounds

        bounds = data_bounds(groups, lengths, budget)
    collate = packed_collate_fn(0, compile=comp, tokens_per_step=budget, bounds=bounds)
    from modeling.batch import to_device

    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0, fused=bench.cuda)
    bench.motion_lm.train()

    def step(group: list[Any], opt: Any) -> int:
        cpu = collate(group)
        batch = to_device(cpu, bench.device)
        fn = lambda b=batch: bench.motion_lm(**b)["loss"]  # noqa: E731
        train_step(fn, opt, autocast_dtype=bench.autocast, device_type=bench.device.type)
        return int(cpu["num_tokens"])

    for g in groups[: a.profile_warmup]:
        step(g, opt)
    bench.sync()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if bench.cuda else [])
    tokens = 0
    with torch_profile(activities=activities, record_shapes=True) as prof:
        start = time.perf_counter()
        for g in groups[a.profile_warmup :]:
            tokens += step(g, opt)
        bench.sync()
        wall = time.perf_counter() - start
    res = summarise_profile(prof, wall, len(groups) - a.profile_warmup, tokens)
    res.update(variant=a.profile_variant, lora_dropout=a.lora_dropout)
    del opt
    bench.cleanup()
    return res
