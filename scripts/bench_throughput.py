"""Training and inference throughput of DEMO at the paper's scale: plain HF baseline vs fast path.

Runs on one GPU (``--preset llama8b``: Llama-3.1-8B shape, random bf16 weights created on the GPU,
LoRA r 128 / alpha 256 on all linear layers, the DEMO motion adapter) or, as a smoke test, on the
CPU (``--preset tiny``). Sections, each written to ``<out>/throughput_<tag>.json|md`` as it ends:

1. attention check: packed attention (varlen flash) vs SDPA with a block-diagonal mask;
2. stage 2 (adapter + LoRA): the plain loop (right-padded batch of 4, SDPA, HF gradient
   checkpointing, full logits, ``labels=`` loss, fused AdamW) and fast-path variants;
3. same maths: 30 steps from the same initialisation and batches, plain vs fast loss curves;
4. stage 1 (LLM frozen, adapter only): plain vs fast;
5. inference: greedy generation with KV cache, sequences/s at batch 1 and larger batches;
Fast variants are ``mode@budget[+c]``: checkpointing, tokens per step, regional torch.compile.

Tokens/s counts real tokens (motion + prompt + answer, no padding). Useful TFLOP/s uses the
issue's convention: 4 x (LLM parameters) FLOPs per token (forward + input-gradient backward).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modeling.fast_step import (  # noqa: E402
    FastStepConfig,
    causal_lm,
    configure_model,
    packed_loss,
    plain_loss,
    set_attention,
    set_checkpointing,
    to_device,
    train_step,
)
from modeling.packing import (  # noqa: E402
    PackSample,
    collate_packed,
    collate_padded,
    token_budget_batches,
)

log = logging.getLogger("bench")
PEAK_BF16_TFLOPS = 989.0  # H100 SXM dense bf16 datasheet figure (for the % column only)

PRESETS: dict[str, dict[str, Any]] = {
    "llama8b": dict(
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        vocab_size=128256,
        rope_theta=500000.0,
        max_position_embeddings=8192,
        lora_r=128,
        new_tokens=300,
        infer_batches=(1, 256, 512),
    ),
    "tiny": dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=2048,
        rope_theta=10000.0,
        max_position_embeddings=2048,
        lora_r=8,
        new_tokens=8,
        infer_batches=(1, 4),
    ),
}
#: (before, after, motion range, answer range) token counts of realistic samples.
SHAPES = {"stage2": (55, 65, (50, 150), (150, 450)), "stage1": (30, 35, (4, 23), (8, 32))}


def make_sample(stage: str, index: int, seed: int, vocab: int, feats: int = 1056) -> PackSample:
    """A deterministic synthetic sample (per-item generator)."""
    rng = np.random.default_rng([seed, index, 1 if stage == "stage2" else 2])
    before, after, (m_lo, m_hi), (a_lo, a_hi) = SHAPES[stage]
    hi = min(vocab, 128000)
    lo = min(1000, hi // 4)
    motion = int(rng.integers(m_lo, m_hi + 1))
    return PackSample(
        tuple(int(x) for x in rng.integers(lo, hi, before)),
        rng.normal(size=(motion, feats)).astype(np.float32),
        tuple(int(x) for x in rng.integers(lo, hi, after)),
        tuple(int(x) for x in rng.integers(lo, hi, int(rng.integers(a_lo, a_hi + 1)))),
    )


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        import torch

        self.args = args
        self.p = PRESETS[args.preset]
        self.device = torch.device(args.device)
        self.cuda = self.device.type == "cuda"
        self.dtype = torch.bfloat16 if self.cuda else torch.float32
        self.autocast = torch.bfloat16 if self.cuda else None
        self.results: dict[str, Any] = {"env": self.env(), "sections": {}}
        self.t0 = time.time()

    def env(self) -> dict[str, Any]:
        import peft
        import torch
        import transformers

        env = {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "preset": self.args.preset,
            "device": str(self.args.device),
        }
        if torch.cuda.is_available() and self.args.device.startswith("cuda"):
            env["gpu"] = torch.cuda.get_device_name(0)
        try:
            import torch.nn.attention.varlen  # noqa: F401

            env["varlen_attn"] = True
        except ImportError:
            env["varlen_attn"] = False
        return env

    # ----------------------------------------------------------------- model
    def build(self) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import LlamaConfig, LlamaForCausalLM

        from modeling.adapter import build_adapter

        keys = (
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "vocab_size",
            "rope_theta",
            "max_position_embeddings",
        )
        cfg = LlamaConfig(**{k: self.p[k] for k in keys}, attn_implementation="sdpa")
        torch.manual_seed(self.args.seed)
        start = time.time()
        old = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)
        with torch.device(self.device):
            lm = LlamaForCausalLM(cfg)
        torch.set_default_dtype(old)
        lm.requires_grad_(False)
        lora = LoraConfig(
            r=self.p["lora_r"],
            lora_alpha=2 * self.p["lora_r"],
            lora_dropout=self.args.lora_dropout,
            target_modules="all-linear",
        )
        self.model = get_peft_model(lm, lora)
        self.adapter = build_adapter(cfg.hidden_size).to(self.device)
        self.n_params = sum(p.numel() for n, p in self.model.named_parameters() if "lora_" not in n)
        self.lora_params = [p for n, p in self.model.named_parameters() if "lora_" in n]
        log.info(
            "model built in %.1fs: %.2fB LLM params, %.1fM LoRA params",
            time.time() - start,
            self.n_params / 1e9,
            sum(p.numel() for p in self.lora_params) / 1e6,
        )
        self.results["env"].update(
            llm_params=self.n_params, lora_params=sum(p.numel() for p in self.lora_params)
        )

    def plain_mode(self) -> None:
        lm = causal_lm(self.model)
        set_attention(lm, "sdpa")
        set_checkpointing(lm, {"use_reentrant": bool(self.args.plain_reentrant)})
        for m in self.model.modules():
            if hasattr(m, "cast_input_dtype_enabled"):
                m.cast_input_dtype_enabled = True

    # ------------------------------------------------------------- measuring
    def samples(self, stage: str, start: int, count: int) -> list[PackSample]:
        return [
            make_sample(stage, start + i, self.args.seed, self.p["vocab_size"])
            for i in range(count)
        ]

    def run_steps(
        self,
        name: str,
        batches: list[list[PackSample]],
        fast: bool,
        params: list[Any],
        warmup: int,
        lr: float,
        pad: int = 64,
        max_segments: int | None = None,
    ) -> dict[str, Any]:
        import torch

        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, fused=self.cuda)
        self.model.train()
        losses, tokens, labels, samples = [], 0, 0, 0
        if self.cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        start = None
        try:
            for i, group in enumerate(batches):
                if i == warmup:
                    self.sync()
                    start = time.perf_counter()
                cpu = (
                    collate_packed(group, pad_to_multiple_of=pad, max_segments=max_segments)
                    if fast
                    else collate_padded(group)
                )
                batch = to_device(cpu, self.device)
                if fast:
                    fn = lambda b=batch: packed_loss(self.model, self.adapter, b)  # noqa: E731
                else:
                    fn = lambda b=batch: plain_loss(self.model, self.adapter, b)  # noqa: E731
                losses.append(
                    train_step(fn, opt, autocast_dtype=self.autocast, device_type=self.device.type)
                )
                if i >= warmup:
                    tokens += cpu["num_tokens"]
                    labels += cpu["num_label_tokens"]
                    samples += len(group)
            self.sync()
        except torch.cuda.OutOfMemoryError as exc:
            del opt
            self.cleanup()
            log.warning("%s: out of memory", name)
            return {"name": name, "oom": True, "error": str(exc).splitlines()[0][:200]}
        elapsed = time.perf_counter() - start if start is not None else float("nan")
        steps = len(batches) - warmup
        tps = tokens / elapsed
        row = {
            "name": name,
            "steps": steps,
            "tokens": tokens,
            "seconds": round(elapsed, 3),
            "tokens_per_s": round(tps, 1),
            "samples_per_s": round(samples / elapsed, 2),
            "tokens_per_step": round(tokens / max(steps, 1), 1),
            "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if self.cuda else None,
            "useful_tflops": round(tps * 4 * self.n_params / 1e12, 1),
            "losses": [float(x) for x in torch.stack(losses).float().cpu()],
        }
        row["mfu_pct"] = round(100 * row["useful_tflops"] / PEAK_BF16_TFLOPS, 1)
        del opt
        self.cleanup()
        log.info(
            "%-28s %9.1f tok/s  peak %s GiB  %s TFLOP/s",
            name,
            tps,
            row["peak_gib"],
            row["useful_tflops"],
        )
        return row

    def sync(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()

    def cleanup(self) -> None:
        import torch

        for p in [*self.model.parameters(), *self.adapter.parameters()]:
            p.grad = None
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()

    def save(self) -> None:
        out = Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        self.results["elapsed_s"] = round(time.time() - self.t0, 1)
        (out / f"throughput_{self.args.tag}.json").write_text(
            json.dumps(self.results, indent=1) + "\n"
        )
        (out / f"throughput_{self.args.tag}.md").write_text(render_md(self.results))

    def left(self) -> float:
        return self.args.time_budget - (time.time() - self.t0)


def attention_check(bench: Bench) -> dict[str, Any]:
    """Packed attention (as used on this device) vs SDPA block mask, values and gradients.

    Twice: exact boundaries, and the static form (empty trailing segments, max_length = T).
    """
    import torch

    from modeling import packing

    g = torch.Generator(device="cpu").manual_seed(0)
    lengths = [37, 120, 5, 300, 50]
    total = sum(lengths)
    bounds = [0, *np.cumsum(lengths).tolist()]
    q = torch.randn(1, 8, total, 64, generator=g).to(bench.device, bench.dtype).requires_grad_()
    k = torch.randn(1, 2, total, 64, generator=g).to(bench.device, bench.dtype).requires_grad_()
    v = torch.randn(1, 2, total, 64, generator=g).to(bench.device, bench.dtype).requires_grad_()
    res: dict[str, Any] = {}
    for label, cu_list, max_len in (
        ("exact", bounds, max(lengths)),
        ("static", bounds + [total] * 3, total),
    ):
        cu = torch.tensor(cu_list, dtype=torch.int32, device=bench.device)
        kw = {"cu_seq_lens_q": cu, "max_length_q": max_len}
        outs = []
        for use in (True, False):
            packing.USE_VARLEN["enabled"] = use
            o, _ = packing.packed_attention_forward(None, q, k, v, None, scaling=0.125, **kw)
            grads = torch.autograd.grad((o.float() ** 2).sum(), (q, k, v))
            outs.append([o.detach(), *grads])
        packing.USE_VARLEN["enabled"] = True
        res[label] = [
            float((a.float() - b.float()).norm() / b.float().norm()) for a, b in zip(*outs)
        ]
    res["ok"] = max(max(res["exact"]), max(res["static"])) < 2e-2
    return res


def parse_variant(spec: str) -> tuple[str, int, bool]:
    """``mode@budget[+c]``: checkpointing mode, tokens per step (0 = the plain batches), compiled."""
    body, _, comp = spec.partition("+")
    mode, _, budget = body.partition("@")
    return mode, 0 if budget == "same" else int(budget), comp == "c"


def set_lora_dropout(bench: Bench, p: float) -> None:
    import torch

    for name, m in bench.model.named_modules():
        if isinstance(m, torch.nn.Dropout) and "lora_dropout" in name:
            m.p = p


def run_variants(
    bench: Bench,
    stage: str,
    specs: list[str],
    plain: list[list[PackSample]],
    params: list[Any],
    lr: float,
    *,
    warm: int,
    steps: int,
    label: str = "",
) -> list[dict[str, Any]]:
    """The plain loop, then each fast variant, every one from the same parameter values."""
    import torch

    init = [p.detach().clone() for p in params]

    def reset() -> None:
        with torch.no_grad():
            for p, p0 in zip(params, init):
                p.copy_(p0)

    per = 60 if stage == "stage2" else 200
    pool = bench.samples(stage, 10_000, per * (steps + warm + 2))
    lengths = [len(s) for s in pool]
    bench.plain_mode()
    configure_model(bench.model, FastStepConfig(), packed=False)  # uncompiled, cast as stock
    bench.plain_mode()
    rows = [
        bench.run_steps(f"plain HF, batch {len(plain[0])}{label}", plain, False, params, warm, lr)
    ]
    for spec in specs:
        if bench.left() < 75:
            rows.append({"name": spec + label, "skipped": "time budget"})
            continue
        reset()
        mode, budget, comp = parse_variant(spec)
        cfg = FastStepConfig(checkpointing=mode, compile=comp, lora_rank=bench.p["lora_r"])
        configure_model(bench.model, cfg)
        extra = {"pad": budget or 4096, "max_segments": 256} if comp else {}
        if budget == 0:
            groups, name = plain, f"fast, same batches ({len(plain[0])}), ckpt {mode}"
        else:
            groups = [[pool[i] for i in g] for g in token_budget_batches(lengths, budget)]
            name = f"fast, {budget} tok/step, ckpt {mode}"
        name += (" + compile" if comp else "") + label
        w = warm + (2 if comp else 0)
        t = time.time()
        row = bench.run_steps(name, groups[: steps + w], True, params, w, lr, **extra)
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


def same_maths(bench: Bench) -> dict[str, Any]:
    """``check_steps`` steps plain vs fast variants from one initialisation, dropout off."""
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
    plain = rows[0]["losses"]
    res: dict[str, Any] = {"steps": a.check_steps, "lr": a.check_lr, "plain": plain, "fast": {}}
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


def compile_check(bench: Bench) -> dict[str, Any]:
    """Loss and gradients of one packed batch: eager vs compiled (exact or fast casts)."""
    import torch

    set_lora_dropout(bench, 0.0)
    params = [*bench.lora_params, *bench.adapter.parameters()]
    init = [p.detach().clone() for p in params]
    gen = torch.Generator(device=bench.device).manual_seed(1)
    with torch.no_grad():
        for n, p in bench.model.named_parameters():
            if "lora_B" in n:  # make LoRA contribute
                p.normal_(0.0, 0.02, generator=gen)
    data = bench.samples("stage2", 60_000, 4)
    cpu = collate_packed(data, pad_to_multiple_of=4096, max_segments=256)
    batch = to_device(cpu, bench.device)
    groups = {"lora_A": [], "lora_B": [], "adapter": []}
    for n, p in bench.model.named_parameters():
        for key in ("lora_A", "lora_B"):
            if key in n:
                groups[key].append(p)
    groups["adapter"] = list(bench.adapter.parameters())

    def measure(comp: bool, exact: bool) -> tuple[float, dict[str, Any]]:
        torch._dynamo.reset()
        cfg = FastStepConfig(
            checkpointing="none",
            compile=comp,
            compile_exact_casts=exact,
            lora_rank=bench.p["lora_r"],
        )
        configure_model(bench.model, cfg)
        for p in params:
            p.grad = None
        with torch.autocast(bench.device.type, dtype=bench.autocast, enabled=bench.cuda):
            loss = packed_loss(bench.model, bench.adapter, batch)
        loss.backward()
        grads = {k: torch.cat([p.grad.float().flatten() for p in v]) for k, v in groups.items()}
        return float(loss), grads

    ref_loss, ref = measure(False, True)
    res: dict[str, Any] = {"eager_loss": ref_loss}
    for label, exact in (("compiled, exact casts", True), ("compiled, fast casts", False)):
        if bench.left() < 90:
            break
        loss, got = measure(True, exact)
        res[label] = {
            "loss": loss,
            **{k: float((got[k] - ref[k]).norm() / ref[k].norm()) for k in ref},
        }
        log.info("compile check %s: %s", label, res[label])
    torch._dynamo.reset()
    configure_model(bench.model, FastStepConfig(), packed=False)
    with torch.no_grad():
        for p, p0 in zip(params, init):
            p.copy_(p0)
    set_lora_dropout(bench, bench.args.lora_dropout)
    bench.cleanup()
    return res


def stage1(bench: Bench) -> dict[str, Any]:
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


def inference(bench: Bench) -> dict[str, Any]:
    """Greedy generation with KV cache from motion + prompt embeddings, left padded."""
    import torch

    from modeling.fast_step import encode_motion
    from modeling.packing import splice_motion

    lm = causal_lm(bench.model)
    set_attention(lm, "sdpa")
    set_checkpointing(lm, None)
    new = bench.p["new_tokens"]
    rows = []
    with bench.model.disable_adapter(), torch.inference_mode():
        lm.eval()
        for bs in bench.p["infer_batches"]:
            if bench.left() < 30 + bs * 0.12:
                break
            count = 2 if bs == 1 else bs
            data = [
                PackSample(s.before, s.windows, s.after, ())
                for s in bench.samples("stage2", 70_000, count)
            ]
            bench.sync()
            start = time.perf_counter()
            try:
                for i in range(0, count, bs):
                    group = data[i : i + bs]
                    width = max(len(s) for s in group)
                    b = to_device(collate_padded(group), bench.device)
                    with torch.autocast(
                        bench.device.type, dtype=bench.autocast, enabled=bench.cuda
                    ):
                        emb = lm.get_input_embeddings()(b["input_ids"])
                        emb = splice_motion(
                            emb,
                            encode_motion(bench.adapter, b["motion_windows"], b["motion_counts"]),
                            b["motion_index"],
                        )
                    # right-padded -> left-padded
                    lens = b["attention_mask"].sum(1)
                    shift = width - lens
                    idx = (torch.arange(width, device=bench.device)[None] - shift[:, None]) % width
                    emb = torch.gather(emb, 1, idx[..., None].expand_as(emb)).to(bench.dtype)
                    mask = torch.gather(b["attention_mask"], 1, idx)
                    lm.generate(
                        inputs_embeds=emb,
                        attention_mask=mask,
                        max_new_tokens=new,
                        min_new_tokens=new,
                        do_sample=False,
                        pad_token_id=0,
                    )
                bench.sync()
            except torch.cuda.OutOfMemoryError:
                bench.cleanup()
                rows.append({"batch": bs, "oom": True})
                continue
            elapsed = time.perf_counter() - start
            rows.append(
                {
                    "batch": bs,
                    "sequences": count,
                    "new_tokens": new,
                    "seconds": round(elapsed, 2),
                    "sequences_per_s": round(count / elapsed, 3),
                    "generated_tokens_per_s": round(count * new / elapsed, 1),
                }
            )
            log.info("inference batch %d: %.3f seq/s", bs, count / elapsed)
            bench.cleanup()
    lm.train()
    ok = [r for r in rows if not r.get("oom")]
    res: dict[str, Any] = {"rows": rows}
    if ok and ok[0]["batch"] == 1 and len(ok) > 1:
        best = max(ok, key=lambda r: r["sequences_per_s"])
        res.update(
            best_batch=best["batch"],
            ratio=round(best["sequences_per_s"] / ok[0]["sequences_per_s"], 1),
        )
    return res


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| variant | tokens/s | tokens/step | peak GiB | useful TFLOP/s | MFU % |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("oom") or r.get("skipped"):
            lines.append(f"| {r['name']} | {'OOM' if r.get('oom') else 'skipped'} | | | | |")
        else:
            lines.append(
                f"| {r['name']} | {r['tokens_per_s']:.0f} | {r['tokens_per_step']:.0f} | "
                f"{r['peak_gib']} | {r['useful_tflops']} | {r['mfu_pct']} |"
            )
    return lines


def _best(s: dict[str, Any]) -> list[str]:
    if "speedup" not in s:
        return []
    return [
        "",
        f"Best: {s['best']}: {s['best_tokens_per_s']:.0f} tokens/s, **{s['speedup']}x** the "
        f"plain baseline measured in the same run ({s['baseline_tokens_per_s']:.0f}).",
    ]


def render_md(res: dict[str, Any]) -> str:
    env = res["env"]
    lines = [
        f"# Throughput: {env.get('gpu', env['device'])} ({env['preset']})",
        "",
        f"torch {env['torch']}, transformers {env['transformers']}, peft {env['peft']}, "
        f"varlen attention: {env.get('varlen_attn')}; LLM params {env.get('llm_params', 0) / 1e9:.2f} B, "
        f"LoRA params {env.get('lora_params', 0) / 1e6:.0f} M. Tokens/s counts real tokens (no "
        "padding). Useful TFLOP/s = tokens/s x 4 x LLM params; MFU against "
        f"{PEAK_BF16_TFLOPS:.0f} TFLOP/s.",
        "",
    ]
    sec = res["sections"]
    if "stage2" in sec and "error" not in sec["stage2"]:
        for key, s in sec["stage2"].items():
            lines += [
                f"## Stage 2 (adapter + LoRA), {key.replace('_', ' ')}",
                "",
                *_table(s["rows"]),
            ]
            lines += [*_best(s), ""]
    if "stage1" in sec and "rows" in sec["stage1"]:
        s = sec["stage1"]
        lines += ["## Stage 1 (LLM frozen, adapter only)", "", *_table(s["rows"]), *_best(s), ""]
    if "same_maths" in sec and "plain" in sec["same_maths"]:
        m = sec["same_maths"]
        lines += [
            "## Same maths",
            "",
            f"{m['steps']} steps, lr {m['lr']}, LoRA dropout off, same initialisation and batches. "
            f"Worst relative loss difference {m['max_rel_diff']:.2e} "
            f"({'within' if m['ok'] else 'NOT within'} 1 %).",
            "",
            "| step | plain | " + " | ".join(m["fast"]) + " |",
            "|---|---|" + "---|" * len(m["fast"]),
        ]
        for i, p in enumerate(m["plain"]):
            vals = " | ".join(f"{v['losses'][i]:.4f}" for v in m["fast"].values())
            lines.append(f"| {i} | {p:.4f} | {vals} |")
        lines.append("")
    if "inference" in sec and "rows" in sec["inference"]:
        i = sec["inference"]
        lines += [
            "## Inference (greedy, KV cache, motion + ~120-token prompt, fixed new tokens)",
            "",
            "| batch | sequences/s | generated tokens/s |",
            "|---|---|---|",
        ]
        for r in i["rows"]:
            lines.append(
                f"| {r['batch']} | OOM | |"
                if r.get("oom")
                else f"| {r['batch']} | {r['sequences_per_s']} | {r['generated_tokens_per_s']} |"
            )
        if "ratio" in i:
            lines += [
                "",
                f"Best batch {i['best_batch']}: **{i['ratio']}x** the batch-1 sequences/s.",
            ]
        lines.append("")
    if "compile_check" in sec:
        lines += [
            f"Compile check (relative gradient differences vs eager): {sec['compile_check']}",
            "",
        ]
    if "attention_check" in sec:
        lines += [f"Attention check (packed vs block-mask SDPA): {sec['attention_check']}", ""]
    errors = {k: v["error"] for k, v in sec.items() if isinstance(v, dict) and "error" in v}
    if errors:
        lines += [f"Errors: {errors}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="llama8b")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", default="results")
    ap.add_argument("--tag", default="h100")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--plain-batch", type=int, default=4)
    ap.add_argument("--stage1-batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--lora-dropout", type=float, default=0.05)
    ap.add_argument("--dropouts", default="0.05,0.0", help="LoRA dropouts to measure stage 2 at")
    ap.add_argument(
        "--stage2-variants",
        default="none@same,none@4096,selective@8192,none@4096+c,none@6144+c",
        help="comma list of mode@budget[+c] (mode none|selective|full, budget tokens or 'same')",
    )
    ap.add_argument("--stage1-variants", default="none@8192,none@8192+c")
    ap.add_argument("--check-variants", default="none@same,none@same+c")
    ap.add_argument("--check-steps", type=int, default=30)
    ap.add_argument("--check-lr", type=float, default=2e-5)
    ap.add_argument("--plain-reentrant", action="store_true", help="HF checkpointing, reentrant")
    ap.add_argument("--time-budget", type=float, default=520.0, help="seconds; later work skipped")
    ap.add_argument("--sections", default="attn,ccheck,maths,stage2,stage1,infer")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
    want = set(args.sections.split(","))
    bench = Bench(args)
    bench.build()
    sec = bench.results["sections"]
    steps = [
        ("attn", "attention_check", lambda: attention_check(bench)),
        ("ccheck", "compile_check", lambda: compile_check(bench)),
        ("maths", "same_maths", lambda: same_maths(bench)),
        ("stage2", "stage2", lambda: stage2(bench)),
        ("stage1", "stage1", lambda: stage1(bench)),
        ("infer", "inference", lambda: inference(bench)),
    ]
    for key, name, fn in steps:
        if key not in want or bench.left() < 60:
            continue
        log.info("== %s (%.0f s left)", name, bench.left())
        try:
            sec[name] = fn()
        except Exception as exc:  # keep the other sections' numbers  # noqa: BLE001
            log.exception("section %s failed", name)
            sec[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        if name == "attention_check" and not sec[name].get("ok"):
            from modeling import packing

            packing.USE_VARLEN["enabled"] = False
            log.warning("varlen attention check failed: using SDPA with a block mask")
        bench.save()
    print(render_md(bench.results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
