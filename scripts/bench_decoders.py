"""Greedy generation speed of compmo's Llama decoder against transformers' ``generate``.

Both decode the same left-padded batch of random input embeddings from one model folder (a
transformers Llama, e.g. a merged run's ``llm/`` or the merged-model cache), alternating for
``--rounds`` rounds; the tokens of every round must be equal. Prints one JSON line per round and a
Markdown summary.

    python -m scripts.bench_decoders MODEL_DIR [--batch 6] [--prompt 300] [--new 48]
        [--rounds 2] [--device cpu] [--bf16] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=6)
    ap.add_argument("--prompt", type=int, default=300, help="prompt tokens (longest row)")
    ap.add_argument("--new", type=int, default=48, help="new tokens (no end token is allowed)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoModelForCausalLM

    from modeling.llama_decode import load_decoder

    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    hf = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype).to(args.device).eval()
    dec = load_decoder(args.model, dtype=dtype, device=args.device)
    g = torch.Generator().manual_seed(0)
    b, t = args.batch, args.prompt
    ids = torch.randint(100, hf.config.vocab_size, (b, t), generator=g)
    mask = torch.ones(b, t, dtype=torch.long)
    for row in range(0, b, 2):  # every other row shorter: left padding
        mask[row, : (row + 1) * t // (2 * b)] = 0
    ids, mask = ids.to(args.device), mask.to(args.device)
    with torch.no_grad():
        emb = hf.get_input_embeddings()(ids)
    never = [hf.config.vocab_size + 1]  # no end token: every row makes --new tokens
    runs = {
        "transformers": lambda: hf.generate(
            inputs_embeds=emb,
            attention_mask=mask,
            max_new_tokens=args.new,
            do_sample=False,
            eos_token_id=never,
            pad_token_id=0,
            temperature=None,
            top_p=None,
            top_k=None,
        ),
        "compmo-llama": lambda: dec.generate(
            emb, mask, max_new_tokens=args.new, eos_token_id=never, pad_token_id=0
        ),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for r in range(args.rounds):
        outs = {}
        for name, fn in runs.items():
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.no_grad():
                outs[name] = fn()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - t0)
        same = bool(torch.equal(outs["transformers"], outs["compmo-llama"]))
        print(
            json.dumps({"round": r, **{k: round(v[-1], 3) for k, v in times.items()}, "same": same})
        )  # noqa: T201
    print("| decoder | seconds per batch (rounds) | median | tokens/s |")  # noqa: T201
    print("|---|---|---|---|")  # noqa: T201
    for name, ts in times.items():
        med = statistics.median(ts)
        vals = ", ".join(f"{x:.2f}" for x in ts)
        print(f"| {name} | {vals} | {med:.2f} | {b * args.new / med:.1f} |")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
