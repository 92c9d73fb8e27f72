"""CPU generation speed against the torch thread count (why compmo-infer sets min(cores, 4)).

    python scripts/bench_cpu_threads.py [--threads 1 2 4 8 16] [--tokens 48]

A random Llama (hidden 256, 4 layers; a stand-in, the weights do not matter for speed) generates
``--tokens`` new tokens greedily after a 200-token prompt, with KV cache, in interleaved
rounds (after one warm-up); the median per thread count is reported. Writes results/cpu_threads.md with the machine's usable core count.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from modeling.batching import cpu_threads, usable_cores
    from modeling.tiny import make_tiny_llm

    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch_default = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        make_tiny_llm(tmp, hidden=256, layers=4, heads=8, kv_heads=4, model_vocab=8000)
        model = AutoModelForCausalLM.from_pretrained(tmp).eval()
    ids = torch.randint(10, 500, (1, 200))
    kw = {"max_new_tokens": args.tokens, "min_new_tokens": args.tokens, "do_sample": False}
    times: dict[int, list[float]] = {n: [] for n in args.threads}
    with torch.no_grad():
        model.generate(ids, max_new_tokens=4, min_new_tokens=4, do_sample=False)  # warm-up
        for _ in range(args.rounds):  # interleaved: load changes hit every thread count alike
            for n in args.threads:
                torch.set_num_threads(n)
                t = time.perf_counter()
                model.generate(ids, **kw)
                times[n].append(time.perf_counter() - t)
    rows = [(n, sorted(v)[len(v) // 2]) for n, v in times.items()]
    print(times, flush=True)
    best = min(dt for _, dt in rows)
    lines = [
        "# CPU generation speed by torch thread count",
        "",
        f"`python scripts/bench_cpu_threads.py` on this machine: {os.cpu_count()} CPUs seen, "
        f"{usable_cores()} usable, torch's default {torch_default} threads, compmo-infer's default "
        f"{cpu_threads()} (1-minute load average {os.getloadavg()[0]:.1f}). Random Llama (hidden 256, 4 layers), 200-token prompt, "
        f"{args.tokens} new tokens, greedy, KV cache; median of {args.rounds} interleaved rounds "
        "(the cores are shared with other jobs).",
        "",
        "| threads | median seconds | tokens/s | x slower than the best |",
        "|---|---|---|---|",
        *[f"| {n} | {dt:.2f} | {args.tokens / dt:.1f} | {dt / best:.1f} |" for n, dt in rows],
        "",
    ]
    (REPO / "results/cpu_threads.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
