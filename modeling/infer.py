"""Batched generation (KV cache, left padding) and the DEMO / ActivityNet prediction files.

Writes ``generated.json`` (``[{id, generated}]``, DEMO's format), ``predictions.json``
(ActivityNet submission, read by ``compmo-eval``) and ``infer_report.json`` (counts, speed).
Generations are parsed by the one DEMO-string reader (:func:`compmo_gen.core.formats.read_generation`,
compmo dialect). Those that do not parse are kept: their raw text is in ``generated.json``, they become
an empty prediction, and their ids are listed in the report. ``predictions.json`` also carries every
raw generation, its duration, the dialect and the unparseable ids (the ``"compmo"`` key that the
reference evaluators ignore), so ``compmo-eval`` scores it exactly as it scores ``generated.json``
under either protocol.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import PrerequisiteError
from compmo_gen.core.formats import GenerationLog, dump_annotations, read_generation
from compmo_gen.core.io import write_atomic
from compmo_gen.core.segments import DenseAnnotation
from modeling.batch import collate_padded, to_device
from modeling.config import GenerationConfig, load_run_config
from modeling.data import MotionTextDataset, load_examples
from modeling.model import (
    LORA_DIR,
    MERGED_DIR,
    build_motion_lm,
    load_adapter_weights,
    load_llm,
    load_tokenizer,
    make_adapter,
    read_adapter_spec,
)

log = logging.getLogger(__name__)

#: The DEMO-string dialect generations are parsed with before writing ``predictions.json``.
DIALECT = "compmo"


def load_run(
    run: str | Path, *, device: str = "cpu", bf16: bool = False, merge: bool = True
) -> tuple[Any, Any, dict]:
    """(model, tokenizer, adapter spec) of a trained run (or a merged one); LoRA is merged into
    the LLM in memory unless ``merge=False``."""
    import torch

    run = Path(run)
    cfg = load_run_config(run)
    spec = read_adapter_spec(run)
    dtype = torch.bfloat16 if bf16 else torch.float32
    tok = load_tokenizer(cfg.model, cfg.gguf_file)
    if (run / MERGED_DIR).is_dir():
        llm = load_llm(str(run / MERGED_DIR), dtype=dtype, attn=cfg.attn_implementation)
    else:
        llm = load_llm(cfg.model, cfg.gguf_file, dtype=dtype, attn=cfg.attn_implementation)
        if (run / LORA_DIR).is_dir():
            from peft import PeftModel

            llm = PeftModel.from_pretrained(llm, str(run / LORA_DIR))
            if merge:
                llm = llm.merge_and_unload()  # fewer kernels per generated token
    adapter = make_adapter(spec)
    load_adapter_weights(adapter, run)
    model = build_motion_lm(llm, adapter).to(device=device)
    model.adapter.to(dtype=dtype)
    model.eval()
    return model, tok, spec


def merge_run(run: str | Path, out: str | Path) -> Path:
    """Merge the LoRA weights into the LLM: ``out`` is a run folder that needs no PEFT."""
    import shutil

    run, out = Path(run), Path(out)
    model, tok, _ = load_run(run)  # merged in memory
    llm = model.llm
    if hasattr(llm, "merge_and_unload"):
        llm = llm.merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    llm.save_pretrained(str(out / MERGED_DIR), safe_serialization=True)
    tok.save_pretrained(str(out / MERGED_DIR))
    for name in ("config.yaml", "motion_adapter.safetensors", "motion_adapter.json"):
        shutil.copy2(run / name, out / name)
    return out


def _eos_ids(tok: Any, llm: Any) -> list[int]:
    ids = {tok.eos_token_id}
    gen = getattr(llm, "generation_config", None)
    extra = getattr(gen, "eos_token_id", None)
    ids.update(extra if isinstance(extra, list) else [extra])
    return sorted(i for i in ids if i is not None)


def generate(
    model: Any,
    tok: Any,
    dataset: MotionTextDataset,
    gen: GenerationConfig,
    *,
    device: str = "cpu",
    quiet: bool = False,
) -> tuple[list[str], int]:
    """Generate for every example (batched by motion length); texts in dataset order."""
    import torch
    from tqdm import tqdm

    order = sorted(range(len(dataset)), key=lambda i: -dataset.examples[i].length())
    pad = tok.pad_token_id
    eos = _eos_ids(tok, model.llm)
    texts: list[str] = [""] * len(dataset)
    new_tokens = 0
    batches = [order[i : i + gen.batch_size] for i in range(0, len(order), gen.batch_size)]
    for b, idx in enumerate(tqdm(batches, desc="generating", disable=quiet, unit="batch")):
        items = [dataset[i] for i in idx]
        batch = to_device(
            collate_padded(items, pad_id=pad, padding_side="left", with_labels=False), device
        )
        kwargs: dict[str, Any] = {
            "max_new_tokens": gen.max_new_tokens,
            "do_sample": gen.sample,
            "eos_token_id": eos,
            "pad_token_id": tok.pad_token_id,
            "use_cache": True,
        }
        if gen.sample:
            torch.manual_seed(gen.seed * 1_000_003 + b)  # seeded per batch: same seed, same output
            kwargs.update(temperature=gen.temperature, top_p=gen.top_p)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        out = model.generate(batch, **kwargs)
        for row, i in zip(out, idx, strict=True):
            keep = row[~torch.isin(row, torch.tensor(eos + [tok.pad_token_id], device=row.device))]
            new_tokens += int(keep.numel())
            texts[i] = tok.decode(
                keep, skip_special_tokens=True, clean_up_tokenization_spaces=False
            ).strip()
    return texts, new_tokens


def infer(
    run: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    motion_root: str | None = None,
    gen: GenerationConfig | None = None,
    device: str = "auto",
    bf16: bool = False,
    limit: int | None = None,
    prompt_kind: str = "stage2",
    quiet: bool = False,
) -> dict[str, Any]:
    import torch

    gen = gen or GenerationConfig()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device.startswith("cuda") and not torch.cuda.is_available():
        raise PrerequisiteError(f"--device {device}: no CUDA device is available")
    t0 = time.perf_counter()
    model, tok, spec = load_run(run, device=device, bf16=bf16)
    cfg = load_run_config(run)
    counts: Counter[str] = Counter()
    examples = load_examples(
        data,
        tok,
        max_length=cfg.model_max_length - gen.max_new_tokens,
        motion_root=motion_root,
        with_answer=False,
        prompt_kind=prompt_kind,
        counts=counts,
    )
    if limit is not None:
        examples = examples[:limit]
    dataset = MotionTextDataset(examples, center=spec.get("center_windows", False))
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    texts, new_tokens = generate(model, tok, dataset, gen, device=device, quiet=quiet)
    gen_s = time.perf_counter() - t1
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = write_generation_files(
        out, [(ex.id, ex.duration, t) for ex, t in zip(examples, texts, strict=True)]
    )
    report = {
        "run": str(run),
        "data": str(data),
        "device": device,
        "examples": len(examples),
        "counts": dict(counts),
        **written,
        "new_tokens": new_tokens,
        "load_s": round(load_s, 3),
        "generate_s": round(gen_s, 3),
        "new_tokens_per_s": round(new_tokens / gen_s, 1) if gen_s > 0 else None,
        "sequences_per_s": round(len(examples) / gen_s, 3) if gen_s > 0 else None,
        "generation": gen.__dict__,
    }
    (out / "infer_report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if written["unparseable"]:
        log.warning(
            "%d of %d generations did not parse (kept, scored as empty)",
            written["unparseable"],
            len(examples),
        )
    return report


def write_generation_files(
    out: str | Path, items: list[tuple[str, float | None, str]]
) -> dict[str, Any]:
    """Write ``generated.json`` and ``predictions.json`` for ``(id, duration, text)`` generations;
    return the parse counts for the report."""
    out = Path(out)
    records = [{"id": vid, "generated": text} for vid, _, text in items]
    write_atomic(out / "generated.json", json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    anns, unparseable, empty, dropped = [], [], 0, Counter()
    for vid, duration, text in items:
        parsed = read_generation(text, duration, dialect=DIALECT)
        dropped.update(parsed.dropped)
        if parsed.segments is None:
            unparseable.append(vid)
        else:
            empty += not parsed.segments
        anns.append(DenseAnnotation(vid, duration, parsed.segments or ()))
    texts = {vid: (text, duration) for vid, duration, text in items}
    generations = GenerationLog(DIALECT, texts, tuple(unparseable))
    dump_annotations(
        anns, out / "predictions.json", fmt="anet-pred", role="pred", generations=generations
    )
    return {
        "unparseable": len(unparseable),
        "unparseable_ids": unparseable,
        "empty_predictions": empty,
        "parser": DIALECT,
        "dropped_text": dict(dropped),
    }
