"""Check and inference sections: packed attention vs a block-diagonal mask, compiled vs eager
fast step, and greedy generation through ``MotionLM.generate`` as ``compmo-infer`` batches it."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from benchmarks.harness import Bench
from benchmarks.training import set_lora_dropout
from modeling.fast_step import FastStepConfig, configure_model, packed_loss

log = logging.getLogger(__name__)


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


def compile_check(bench: Bench) -> dict[str, Any]:
    """Loss and gradients of one packed batch: eager vs compiled (exact or fast casts)."""
    import torch

    from modeling.batch import to_device
    from modeling.packed_train import packed_collate_fn

    set_lora_dropout(bench, 0.0)
    params = [*bench.lora_params, *bench.adapter.parameters()]
    init = [p.detach().clone() for p in params]
    gen = torch.Generator(device=bench.device).manual_seed(1)
    with torch.no_grad():
        for n, p in bench.model.named_parameters():
            if "lora_B" in n:  # make LoRA contribute
                p.normal_(0.0, 0.02, generator=gen)
    data = bench.samples("stage2", 60_000, 4)
    batch = to_device(packed_collate_fn(0, compile=True, tokens_per_step=4096)(data), bench.device)
    groups: dict[str, list[Any]] = {"lora_A": [], "lora_B": []}
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


def _generate_rows(bench: Bench, bs: int, new: int) -> dict[str, Any]:
    import torch

    from modeling.batch import Sample, collate_padded, to_device

    count = 2 if bs == 1 else bs
    data = [
        Sample(s.before, s.windows, s.after, ()) for s in bench.samples("stage2", 70_000, count)
    ]
    bench.sync()
    start = time.perf_counter()
    try:
        for i in range(0, count, bs):
            cpu = collate_padded(data[i : i + bs], padding_side="left", with_labels=False)
            bench.motion_lm.generate(
                to_device(cpu, bench.device),
                max_new_tokens=new,
                min_new_tokens=new,
                do_sample=False,
                pad_token_id=0,
            )
        bench.sync()
    except torch.cuda.OutOfMemoryError:
        bench.cleanup()
        return {"batch": bs, "oom": True}
    elapsed = time.perf_counter() - start
    log.info("inference batch %d: %.3f seq/s", bs, count / elapsed)
    bench.cleanup()
    return {
        "batch": bs,
        "sequences": count,
        "new_tokens": new,
        "seconds": round(elapsed, 2),
        "sequences_per_s": round(count / elapsed, 3),
        "generated_tokens_per_s": round(count * new / elapsed, 1),
    }


def inference(bench: Bench) -> dict[str, Any]:
    """Greedy generation with KV cache from motion + prompt embeddings, left padded, LoRA off
    (``compmo-infer`` merges it into the weights), the default attention choice."""
    import torch

    from modeling.fast_step import causal_lm, set_attention, set_checkpointing
    from modeling.model import pick_attention

    lm = causal_lm(bench.model)
    set_attention(lm, pick_attention("auto"))
    set_checkpointing(lm, None)
    rows = []
    with bench.model.disable_adapter(), torch.inference_mode():
        bench.motion_lm.eval()
        for bs in bench.p["infer_batches"]:
            if bench.left() < 30 + bs * 0.12:
                break
            rows.append(_generate_rows(bench, bs, bench.p["new_tokens"]))
    bench.motion_lm.train()
    ok = [r for r in rows if not r.get("oom")]
    res: dict[str, Any] = {"rows": rows}
    if ok and ok[0]["batch"] == 1 and len(ok) > 1:
        best = max(ok, key=lambda r: r["sequences_per_s"])
        res.update(
            best_batch=best["batch"],
            ratio=round(best["sequences_per_s"] / ok[0]["sequences_per_s"], 1),
        )
    return res
