"""Training sections: compmo-train's default step vs fast-step variants (stage 2, stage 1), and
the same-maths check (loss curves from one initialisation over the same batches).

A fast variant is ``mode@budget[+c][+f]``: activation checkpointing mode (``none``, ``selective``,
``full``), tokens per micro-batch (``same``: the default step's batches, packed), ``+c`` for
regional ``torch.compile``, ``+f`` for the fused LoRA forward (``modeling.fused_lora``) instead of
PEFT's (``+p``, PEFT's, is the default and accepted), ``+8`` / ``+8t`` for float8 products of the
frozen weights scaled per row / per tensor (``modeling.fp8_base``); in the profile section ``+b``
takes the compiled attention's bounds from the micro-batches (``compile_bounds: data``). ``none@<budget>[+c]`` is exactly
``compmo-train --packing true --tokens-per-step <budget> [--compile true]``; the micro-batches come
from its sampler.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.harness import Bench, Sample
from modeling.fast_step import FastStepConfig, configure_model
from modeling.packed_train import packed_batch_sampler


def parse_variant(spec: str) -> tuple[str, int, bool]:
    """``mode@budget[+c][+f]``: checkpointing mode, tokens per step (0 = the default step's
    batches), compiled (``+f``: the fused LoRA forward, see ``variant_config``)."""
    body, *flags = spec.split("+")
    mode, _, budget = body.partition("@")
    return mode, 0 if budget == "same" else int(budget), "c" in flags


def variant_config(spec: str, lora_rank: int) -> FastStepConfig:
    """The fast step's settings of a variant; ``+f`` gives the LoRA linears the fused forward."""
    mode, _, comp = parse_variant(spec)
    flags = spec.split("+")[1:]
    fp8 = "rowwise" if "8" in flags else "tensorwise" if "8t" in flags else "off"
    return FastStepConfig(
        checkpointing=mode,
        compile=comp,
        lora_rank=lora_rank,
        fused_lora="f" in flags,
        fp8_base=fp8,
    )


def set_lora_dropout(bench: Bench, p: float) -> None:
    import torch

    for name, m in bench.model.named_modules():
        if isinstance(m, torch.nn.Dropout) and "lora_dropout" in name:
            m.p = p


def run_variants(
    bench: Bench,
    stage: str,
    specs: list[str],
    plain: list[list[Sample]],
    params: list[Any],
    lr: float,
    *,
    warm: int,
    steps: int,
    label: str = "",
) -> list[dict[str, Any]]:
    """The default step, then each fast variant, every one from the same parameter values."""
    import torch

    init = [p.detach().clone() for p in params]

    def reset() -> None:
        with torch.no_grad():
            for p, p0 in zip(params, init):
                p.copy_(p0)

    per = 60 if stage == "stage2" else 200
    pool = bench.samples(stage, 10_000, per * (steps + warm + 2))
    lengths = [len(s) for s in pool]
    bench.default_mode(stage)
    name = f"default step (padded), batch {len(plain[0])}{label}"
    rows = [bench.run_steps(name, plain, params, warm, lr, fast=False)]
    for spec in specs:
        if bench.left() < 75:
            rows.append({"name": spec + label, "skipped": "time budget"})
            continue
        reset()
        mode, budget, comp = parse_variant(spec)
        configure_model(bench.model, variant_config(spec, bench.p["lora_r"]))
        if budget == 0:
            groups, name = plain, f"fast, same batches ({len(plain[0])}), ckpt {mode}"
        else:
            sampler = packed_batch_sampler(lengths, budget, compile=comp, seed=bench.args.seed)
            groups = [[pool[i] for i in g] for g in sampler]
            name = f"fast, {budget} tok/step, ckpt {mode}"
        name += (" + compile" if comp else "") + (" + fused LoRA" if "+f" in spec else "") + label
        w = warm + (2 if comp else 0)
        t = time.time()
        row = bench.run_steps(
            name, groups[: steps + w], params, w, lr, fast=True, compiled=comp, budget=budget
        )
        row.update(spec=spec, checkpointing=mode, budget=budget, compiled=comp)
        row["wall_s"] = round(time.time() - t, 1)
        rows.append(row)
    reset()
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    base = rows[0].get("tokens_per_s")
    ok = [r for r in rows[1:] if r.get("tokens_per_s")]
    res: dict[str, Any] = {"rows": rows, "baseline_tokens_per_s": base}
    if ok and base:
        best = max(ok, key=lambda r: r["tokens_per_s"])
        res.update(
            best=best["name"],
            best_spec=best["spec"],
            best_tokens_per_s=best["tokens_per_s"],
            speedup=round(best["tokens_per_s"] / base, 2),
        )
    return res


def stage2(bench: Bench) -> dict[str, Any]:
    """Adapter + LoRA, at each LoRA dropout of ``--dropouts``."""
    a = bench.args
    params = [*bench.lora_params, *bench.adapter.parameters()]
    n = (a.steps + a.warmup + 2) * a.plain_batch
    base = bench.samples("stage2", 0, n)
    plain = [base[i : i + a.plain_batch] for i in range(0, n, a.plain_batch)]
    res: dict[str, Any] = {}
    for p in [float(x) for x in a.dropouts.split(",")]:
        set_lora_dropout(bench, p)
        rows = run_variants(
            bench,
            "stage2",
            a.stage2_variants.split(","),
            plain[: a.steps + a.warmup],
            params,
            a.lr,
            warm=a.warmup,
            steps=a.steps,
            label=f" [lora dropout {p}]",
        )
        res[f"dropout_{p}"] = summarise(rows)
    set_lora_dropout(bench, a.lora_dropout)
    return res


def stage1(bench: Bench) -> dict[str, Any]:
    """LLM frozen (LoRA off), adapter only."""
    a = bench.args
    params = list(bench.adapter.parameters())
    n = (a.steps + a.warmup) * a.stage1_batch
    data = bench.samples("stage1", 0, n)
    plain = [data[i : i + a.stage1_batch] for i in range(0, n, a.stage1_batch)]
    with bench.model.disable_adapter():
        rows = run_variants(
            bench,
            "stage1",
            a.stage1_variants.split(","),
            plain,
            params,
            a.lr,
            warm=a.warmup,
            steps=a.steps,
        )
    return summarise(rows)


def same_maths(bench: Bench) -> dict[str, Any]:
    """``check_steps`` steps: default step vs fast variants from one initialisation, dropout off."""
    a = bench.args
    set_lora_dropout(bench, 0.0)
    params = [*bench.lora_params, *bench.adapter.parameters()]
    data = bench.samples("stage2", 50_000, 3 * a.plain_batch)
    pb = a.plain_batch
    batches = [data[(i % 3) * pb : (i % 3 + 1) * pb] for i in range(a.check_steps)]
    rows = run_variants(
        bench,
        "stage2",
        a.check_variants.split(","),
        batches,
        params,
        a.check_lr,
        warm=0,
        steps=a.check_steps,
    )
    set_lora_dropout(bench, a.lora_dropout)
    plain = rows[0].get("losses")
    res: dict[str, Any] = {"steps": a.check_steps, "lr": a.check_lr, "plain": plain, "fast": {}}
    if plain is None:
        return {**res, "ok": False, "error": "the default step did not run (out of memory?)"}
    worst = 0.0
    for r in rows[1:]:
        if r.get("losses") is None:
            continue
        # compiled variants run 2 warm-up steps first: compare the curves step by step
        curve = r["losses"]
        rel = [abs(f - p) / abs(p) for p, f in zip(plain, curve)]
        res["fast"][r["name"]] = {"losses": curve, "max_rel_diff": max(rel)}
        worst = max(worst, max(rel))
    res.update(max_rel_diff=worst, ok=worst <= 0.01)
    return res
