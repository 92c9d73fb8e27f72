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

import dataclasses
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import AnnotationError, ConfigError, PrerequisiteError
from compmo_gen.core.formats import GenerationLog, dump_annotations, read_generation
from compmo_gen.core.io import write_atomic
from compmo_gen.core.segments import DenseAnnotation
from modeling.batch import collate_padded, to_device
from modeling.config import GenerationConfig, load_run_config
from modeling.data import MotionTextDataset, load_examples
from modeling.model import read_adapter_spec
from modeling.run_load import LoadClock, load_run, pick_device

log = logging.getLogger(__name__)

#: The DEMO-string dialect generations are parsed with before writing ``predictions.json``.
DIALECT = "compmo"


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
    shard: tuple[int, int] = (0, 1),
) -> tuple[list[str], int]:
    """Generate for every example (batched by motion length); texts in dataset order.

    ``shard=(k, n)``: only the batches ``b`` with ``b % n == k`` (the others stay empty)."""
    import torch
    from tqdm import tqdm

    from modeling.progress import TokenBar
    from modeling.resources import CPU_BATCH, is_oom

    order = sorted(range(len(dataset)), key=lambda i: -dataset.examples[i].length())
    pad = tok.pad_token_id
    eos = _eos_ids(tok, model.llm)
    texts: list[str] = [""] * len(dataset)
    new_tokens = 0
    size = CPU_BATCH if gen.batch_size == "auto" else int(gen.batch_size)  # prepare() resolves
    batches = [(b, order[i : i + size]) for b, i in enumerate(range(0, len(order), size))]
    todo = [(b, idx) for b, idx in batches if b % shard[1] == shard[0]][::-1]
    bar = tqdm(total=len(todo), desc="generating", disable=quiet, unit="batch")
    while todo:
        b, idx = todo.pop()
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
        ticks = TokenBar(gen.max_new_tokens, disable=quiet or device != "cpu")  # CPU: per token
        try:
            out = model.generate(batch, **kwargs, stopping_criteria=ticks.criteria)
        except RuntimeError as exc:  # halve a batch that does not fit, and retry
            ticks.close()
            if not is_oom(exc) or len(idx) == 1:
                raise
            del batch
            torch.cuda.empty_cache()
            half = len(idx) // 2
            log.warning("batch of %d out of memory: retrying as %d + %d", len(idx), half, half)
            todo += [(b, idx[half:]), (b, idx[:half])]
            continue
        ticks.close()
        bar.update(1)
        for row, i in zip(out, idx, strict=True):
            keep = row[~torch.isin(row, torch.tensor(eos + [tok.pad_token_id], device=row.device))]
            new_tokens += int(keep.numel())
            texts[i] = tok.decode(
                keep, skip_special_tokens=True, clean_up_tokenization_spaces=False
            ).strip()
    bar.close()
    return texts, new_tokens


@dataclass
class Prepared:
    """One inference process's model, tokenizer and examples, and the batch size it resolved."""

    model: Any
    tok: Any
    examples: list[Any]
    dataset: MotionTextDataset
    counts: Counter
    batch_size: int
    device: str
    load_s: float
    #: seconds of each part of ``load_s`` (``run_load.LoadClock``)
    load_parts: dict[str, float] = dataclasses.field(default_factory=dict)


def run_stamps(spec: dict[str, Any], tok: Any) -> Any:
    """The time-stamp table of a time-aware run (``time_stamps`` in its adapter spec), or None."""
    mode = spec.get("time_stamps", "none")
    if mode == "none":
        return None
    from modeling.timeaware import StampTable, grid_seconds

    return StampTable(tok, mode, grid_seconds(int(spec.get("stride", 8))))


def prepare(
    run: str | Path,
    data: str | Path,
    *,
    motion_root: str | None = None,
    gen: GenerationConfig,
    device: str = "auto",
    bf16: bool = False,
    limit: int | None = None,
    prompt_kind: str = "stage2",
    workers: int = 1,
    threads: int | None = None,
) -> Prepared:
    """Load the run and the examples; resolve the batch size (and CPU threads) for this process."""
    from modeling.resources import resolve_batch_size, set_cpu_threads

    device = pick_device(device)
    if device == "cpu":
        n = set_cpu_threads(workers, threads)
        log.info("CPU inference: %d thread(s) per process", n)
    t0 = time.perf_counter()
    clock = LoadClock()
    light = gen.decoder == "auto" and not gen.sample
    cfg = load_run_config(run)
    if gen.max_new_tokens >= cfg.model_max_length:
        raise ConfigError(
            f"--max-new-tokens {gen.max_new_tokens}: leaves no room for the motion and prompt "
            f"in the run's model_max_length {cfg.model_max_length}"
        )
    model, tok, spec = load_run(run, device=device, bf16=bf16, clock=clock, light=light)
    counts: Counter[str] = Counter()
    stamps = run_stamps(spec, tok)
    examples = load_examples(
        data,
        tok,
        max_length=cfg.model_max_length - gen.max_new_tokens,
        motion_root=motion_root,
        with_answer=False,
        prompt_kind=prompt_kind,
        counts=counts,
        stamps=stamps,
    )
    seen: set[str] = set()
    for ex in examples:  # predictions are keyed by id: a repeated one would lose a generation
        if ex.id in seen:
            raise AnnotationError(data, ex.id, "id", "repeated (predictions are keyed by id)")
        seen.add(ex.id)
    if limit is not None and len(examples) > limit:  # records = examples + skipped + left out
        counts["left_out_by_limit"] = len(examples) - limit
        examples = examples[:limit]
        counts["examples"] = len(examples)
    dataset = MotionTextDataset(examples, center=spec.get("center_windows", False), stamps=stamps)
    longest = max((ex.length() for ex in examples), default=1)
    size = resolve_batch_size(
        gen.batch_size,
        device=device,
        config=model.llm.config,
        seq_tokens=longest + gen.max_new_tokens,
        prompt_tokens=longest,
        dtype_bytes=2 if bf16 else 4,
    )
    clock.mark("examples_batch_size")
    load_s = time.perf_counter() - t0
    return Prepared(model, tok, examples, dataset, counts, size, device, load_s, clock.parts)


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
    threads: int | None = None,
) -> dict[str, Any]:
    """Generate for every record of ``data`` and write the prediction files into ``out``
    (one process; ``modeling.infer_parallel.infer_sharded`` for several)."""
    from modeling.resources import resolve_new_tokens

    device = pick_device(device)
    gen = gen or GenerationConfig()
    gen = dataclasses.replace(gen, max_new_tokens=resolve_new_tokens(gen.max_new_tokens, device))
    opts = dict(motion_root=motion_root, device=device, bf16=bf16, limit=limit, threads=threads)
    p = prepare(run, data, gen=gen, prompt_kind=prompt_kind, **opts)
    gen = dataclasses.replace(gen, batch_size=p.batch_size)
    t1 = time.perf_counter()
    texts, new_tokens = generate(p.model, p.tok, p.dataset, gen, device=p.device, quiet=quiet)
    gen_s = time.perf_counter() - t1
    return finish(
        out,
        [(ex.id, ex.duration, t) for ex, t in zip(p.examples, texts, strict=True)],
        {"run": str(run), "data": str(data), "device": p.device, "counts": dict(p.counts)},
        new_tokens=new_tokens,
        load_s=p.load_s,
        gen_s=gen_s,
        gen=gen,
        extra={"load_parts": p.load_parts, "decoder": decoder_name(p.model)},
    )


def decoder_name(model: Any) -> str:
    """``compmo-llama`` (modeling.llama_decode) or ``transformers``: what generated."""
    return "compmo-llama" if not hasattr(model.llm, "can_generate") else "transformers"


def finish(
    out: str | Path,
    items: list[tuple[str, float | None, str]],
    head: dict[str, Any],
    *,
    new_tokens: int,
    load_s: float,
    gen_s: float,
    gen: GenerationConfig,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the generation files and ``infer_report.json``; return the report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec = read_adapter_spec(Path(head["run"]))
    written = write_generation_files(
        out, items, time_mode=spec.get("time_stamps", "none"), stride=int(spec.get("stride", 8))
    )
    report = {
        **head,
        "examples": len(items),
        **written,
        "new_tokens": new_tokens,
        "load_s": round(load_s, 3),
        "generate_s": round(gen_s, 3),
        "new_tokens_per_s": round(new_tokens / gen_s, 1) if gen_s > 0 else None,
        "sequences_per_s": round(len(items) / gen_s, 3) if gen_s > 0 else None,
        "generation": gen.__dict__,
        **(extra or {}),
    }
    write_atomic(out / "infer_report.json", json.dumps(report, indent=1) + "\n")
    if written["unparseable"]:
        log.warning(
            "%d of %d generations did not parse (kept, scored as empty)",
            written["unparseable"],
            len(items),
        )
    return report


def _time_aware_items(
    out: Path, items: list[tuple[str, float | None, str]], mode: str, stride: int
) -> tuple[list[tuple[str, float | None, str]], Counter[str]]:
    """Raw time-aware answers kept in ``generated_raw.json``; the items returned hold them read by
    the constrained decoder and written as DEMO strings (the repairs counted)."""
    from modeling.timeaware import decode_answer, demo_string, grid_seconds, writable

    raw = [{"id": vid, "generated": text} for vid, _, text in items]
    write_atomic(out / "generated_raw.json", json.dumps(raw, indent=1, ensure_ascii=False) + "\n")
    grid = grid_seconds(stride)
    counts: Counter[str] = Counter()
    converted = []
    for vid, duration, text in items:
        if duration is None:
            raise PrerequisiteError(f"{vid}: a time-aware answer needs the motion's duration")
        dec = decode_answer(text, duration, mode, grid)  # type: ignore[arg-type]
        counts.update(dec.counts)
        if dec.segments is None:
            converted.append((vid, duration, text))
            continue
        counts["unwritable_caption"] += sum(not writable(s.caption) for s in dec.segments)
        converted.append((vid, duration, demo_string(dec.segments)))
    return converted, counts


def write_generation_files(
    out: str | Path,
    items: list[tuple[str, float | None, str]],
    *,
    time_mode: str = "none",
    stride: int = 8,
) -> dict[str, Any]:
    """Write ``generated.json`` and ``predictions.json`` for ``(id, duration, text)`` generations;
    return the parse counts for the report. A time-aware run's answers (``time_mode``) are read
    by its constrained decoder first (raw text in ``generated_raw.json``)."""
    out = Path(out)
    repairs: Counter[str] = Counter()
    if time_mode != "none":
        items, repairs = _time_aware_items(out, items, time_mode, stride)
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
        "parser": DIALECT if time_mode == "none" else f"time-aware {time_mode} -> {DIALECT}",
        "dropped_text": dict(dropped),
        **({"time_aware_repairs": dict(repairs)} if time_mode != "none" else {}),
    }
