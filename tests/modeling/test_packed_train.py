"""The fast training path wired into compmo-train (``packing: true``): same loss as the padded
path on the same samples, training steps that stay equal, and the same kind of run folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from compmo_gen.cli import main as gen_main  # noqa: E402
from modeling.batch import collate_padded  # noqa: E402
from modeling.cli import train_main  # noqa: E402
from modeling.config import ConfigError, build_config  # noqa: E402
from modeling.data import MotionTextDataset, load_examples  # noqa: E402
from modeling.packed_train import (  # noqa: E402
    COMPILE_MAX_SEGMENTS,
    PackedBatchSampler,
    packed_collator,
)
from modeling.train import build_model  # noqa: E402


@pytest.fixture(scope="module")
def stage2_file(tiny_dataset: Path) -> Path:
    assert gen_main(["stage-json", "stage2", "--dataset", str(tiny_dataset), "-q"]) == 0
    return tiny_dataset / "stage2.json"


def _cfg(tiny_llm: Path, stage2_file: Path, tmp_path: Path, **kw):
    base = {
        "stage": "stage2",
        "model": str(tiny_llm),
        "train_file": str(stage2_file),
        "output_dir": str(tmp_path),
        "lora_r": 4,
        "lora_alpha": 8,
        "lora_dropout": 0.0,
        "pos_embedding": True,
        "adapter_hidden": 32,
    }
    return build_config(None, None, **{**base, **kw})


def test_packed_loss_equals_padded_loss_over_training_steps(
    tiny_llm: Path, stage2_file: Path, tiny_tokenizer, tmp_path: Path
) -> None:
    plain_cfg = _cfg(tiny_llm, stage2_file, tmp_path)
    fast_cfg = _cfg(tiny_llm, stage2_file, tmp_path, packing=True, gradient_checkpointing=True)
    examples = load_examples(stage2_file, tiny_tokenizer, max_length=3072)
    items = [MotionTextDataset(examples)[i] for i in range(5)]
    pad = tiny_tokenizer.pad_token_id
    padded, packed = collate_padded(items, pad_id=pad), packed_collator(fast_cfg, pad)(items)
    assert packed["input_ids"].shape[0] == 1 and packed["input_ids"].shape[1] % 64 == 0
    models = []
    for cfg in (plain_cfg, fast_cfg):
        torch.manual_seed(0)
        models.append(build_model(cfg, tiny_tokenizer)[0].train())
    plain, fast = models
    lm = fast.llm.get_base_model()
    assert lm.config._attn_implementation == "compmo_packed"
    checkpointing = getattr(lm, "is_activation_checkpointing", None)
    if checkpointing is None:
        checkpointing = lm.is_gradient_checkpointing
    assert not checkpointing  # the fast path never checkpoints, whatever the config says
    assert fast.accepts_loss_kwargs and not plain.accepts_loss_kwargs
    opts = [torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.5) for m in models]
    losses = []
    for _ in range(4):
        pair, grads = [], []
        for model, batch, opt in zip(models, (padded, packed), opts, strict=True):
            loss = model(**batch)["loss"]
            loss.backward()
            grads.append(torch.cat([p.grad.flatten() for p in opt.param_groups[0]["params"]]))
            opt.step()
            opt.zero_grad()
            pair.append(float(loss.detach()))
        losses.append(pair)
        # attention crossing samples changes these by ~10 % on this model
        assert torch.allclose(grads[1], grads[0], rtol=1e-4, atol=1e-6)
    for a, b in losses:
        assert b == pytest.approx(a, rel=1e-5, abs=1e-6), losses
    assert losses[-1][0] < losses[0][0] - 0.01  # it really trained (LoRA B left zero at start)
    # Trainer normalisation under gradient accumulation: sum / num_items_in_batch
    n = int((packed["labels"][..., 1:] != -100).sum())
    assert n == packed["num_label_tokens"]
    with torch.no_grad():
        mean = fast(**packed)["loss"]
        half = fast(**packed, num_items_in_batch=torch.tensor(2 * n))["loss"]
    assert float(half) == pytest.approx(float(mean) / 2, rel=1e-6)


def test_packed_sampler_covers_every_sample_once_within_budget() -> None:
    lengths = [int(x) for x in np.random.default_rng(0).integers(10, 200, 57)] + [900]
    s = PackedBatchSampler(lengths, 400, seed=3, max_samples=4)
    first, second = list(s), list(s)
    for groups in (first, second):
        flat = sorted(i for g in groups for i in g)
        assert flat == list(range(len(lengths)))
        assert all(len(g) <= 4 for g in groups)
        assert all(sum(lengths[i] for i in g) <= 400 or len(g) == 1 for g in groups)
    assert len(first) == len(s) and first != second  # each epoch its own order
    s2 = PackedBatchSampler(lengths, 400, seed=3, max_samples=4)
    s2.set_epoch(1)
    assert list(s2) == second  # deterministic from the seed and the epoch


def test_compile_collator_has_fixed_shapes(
    tiny_llm: Path, stage2_file: Path, tiny_tokenizer, tmp_path: Path
) -> None:
    cfg = _cfg(tiny_llm, stage2_file, tmp_path, packing=True, compile=True, tokens_per_step=1024)
    data = MotionTextDataset(load_examples(stage2_file, tiny_tokenizer, max_length=3072))
    collate = packed_collator(cfg, tiny_tokenizer.pad_token_id)
    for idx in ([0], [1, 2, 3], [4, 5]):
        b = collate([data[i] for i in idx])
        assert b["input_ids"].shape == (1, 1024) and b["max_length"] == 1024
        assert b["cu_seq_lens"].shape == (COMPILE_MAX_SEGMENTS + 1,)
    with pytest.raises(ConfigError, match="compile: requires packing"):
        _cfg(tiny_llm, stage2_file, tmp_path, packing=False, compile=True)


def test_data_bounds_collator_keeps_the_loss_with_fewer_empty_blocks(
    tiny_llm: Path, stage2_file: Path, tiny_tokenizer, tmp_path: Path
) -> None:
    """compile_bounds=data: segments and the longest segment from the run's micro-batches (the
    H100 profile: most of the varlen kernels' blocks were empty slots of 256 x 7,168)."""
    from modeling.packed_train import BOUND_ROUND, data_bounds, packed_sampler
    from modeling.train import build_model

    cfg = _cfg(
        tiny_llm, stage2_file, tmp_path, packing=True, compile=True, tokens_per_step=1024,
        compile_bounds="data",
    )  # fmt: skip
    data = MotionTextDataset(load_examples(stage2_file, tiny_tokenizer, max_length=3072))
    sampler = packed_sampler(cfg, data.lengths())
    segments, cap = data_bounds(sampler.groups, data.lengths(), 1024)
    longest = max(data.lengths())
    assert cap == -(-longest // BOUND_ROUND) * BOUND_ROUND or cap == longest
    assert segments == max(len(g) for g in sampler.groups) + -(-1024 // cap)
    bounded = packed_collator(cfg, tiny_tokenizer.pad_token_id, sampler)
    general = packed_collator(cfg, tiny_tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = build_model(cfg, tiny_tokenizer)[0].eval()
    for group in sampler.groups:
        items = [data[i] for i in group]
        b, g = bounded(items), general(items)
        assert b["input_ids"].shape == (1, 1024) and torch.equal(b["input_ids"], g["input_ids"])
        assert b["cu_seq_lens"].shape == (segments + 1,) and b["max_length"] == cap
        assert int(b["cu_seq_lens"].diff().max()) <= cap and int(b["cu_seq_lens"][-1]) == 1024
        with torch.no_grad():
            assert torch.equal(model(**b)["loss"], model(**g)["loss"])
    with pytest.raises(ValueError, match="exceeds max_length_cap"):
        from modeling.batch import collate_packed

        collate_packed([data[0]], pad_to_multiple_of=1024, max_segments=8, max_length_cap=16)


def _files(run: Path) -> set[str]:
    return {p.relative_to(run).as_posix() for p in run.rglob("*") if "checkpoint-" not in str(p)}


def test_packed_stage2_run_writes_the_same_run_folder(
    tiny_llm: Path, stage2_file: Path, tiny_tokenizer, tmp_path: Path
) -> None:
    common = ["--model", str(tiny_llm), "--train-file", str(stage2_file), "--num-workers", "0"]
    common += ["--lora-r", "4", "--lora-alpha", "8", "--save-steps", "1000", "--epochs", "1"]
    plain, fast = tmp_path / "plain", tmp_path / "fast"
    args = ["--batch-size", "8", "--gradient-checkpointing", "true"]
    assert train_main(["stage2", *common, "--output-dir", str(plain), *args, "-q"]) == 0
    args = ["--packing", "true", "--tokens-per-step", "512", "--grad-accum", "2"]
    assert train_main(["stage2", *common, "--output-dir", str(fast), *args, "-q"]) == 0
    assert _files(fast) == _files(plain)
    assert {"config.yaml", "train_report.json", "lora/adapter_model.safetensors"} <= _files(fast)
    cfg = build_config(fast / "config.yaml")
    assert cfg.packing and cfg.tokens_per_step == 512 and cfg.grad_accum == 2
    report = json.loads((fast / "train_report.json").read_text())
    lengths = [ex.length() for ex in load_examples(stage2_file, tiny_tokenizer, max_length=3072)]
    assert report["packing"] is True and report["tokens_seen"] == sum(lengths)  # each sample once
    assert np.isfinite(report["train_loss"]) and report["optimizer_steps"] >= 2


def test_several_gpus_in_one_process_are_refused(monkeypatch, tmp_path: Path, capsys) -> None:
    """DataParallel would split the flat motion windows of a batch wrongly."""
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    args = ["stage2", "--model", "m", "--train-file", "t", "--output-dir", str(tmp_path), "-q"]
    assert train_main(args) == 2
    assert "2 GPUs visible to one process" in capsys.readouterr().err
    assert not (tmp_path / "config.yaml").exists()  # refused before anything was written


def _first_log(run: Path) -> dict:
    state = json.loads((run / "checkpoint-1" / "trainer_state.json").read_text())
    return next(e for e in state["log_history"] if "grad_norm" in e)


def test_gradient_accumulation_normalises_over_the_whole_step(
    tiny_llm: Path, stage2_file: Path, tiny_tokenizer, tmp_path: Path
) -> None:
    """One optimizer step over all samples: one micro-batch, or two accumulated ones."""
    lengths = [ex.length() for ex in load_examples(stage2_file, tiny_tokenizer, max_length=3072)]
    budget = next(
        b
        for b in range(sum(lengths) // 2, sum(lengths))
        if len(PackedBatchSampler(lengths, b)) == 2
    )
    common = ["stage2", "--model", str(tiny_llm), "--train-file", str(stage2_file)]
    common += ["--num-workers", "0", "--lora-r", "4", "--lora-alpha", "8", "--save-steps", "1"]
    common += ["--max-steps", "1", "--packing", "true", "--lora-dropout", "0", "-q"]
    logs = []
    for tokens, accum in ((sum(lengths), 1), (budget, 2)):
        run = tmp_path / f"ga{accum}"
        args = ["--output-dir", str(run), "--tokens-per-step", str(tokens)]
        assert train_main([*common, *args, "--grad-accum", str(accum)]) == 0
        logs.append(_first_log(run))
    one, two = logs
    assert float(two["loss"]) == pytest.approx(float(one["loss"]), rel=1e-5)
    assert float(two["grad_norm"]) == pytest.approx(float(one["grad_norm"]), rel=1e-4)


def test_fp8_base_run_converts_the_frozen_linears_and_saves_bf16(
    tiny_llm: Path, stage2_file: Path, tmp_path: Path, capsys
) -> None:
    from modeling.fp8_base import FP8_MODES

    common = ["stage2", "--model", str(tiny_llm), "--train-file", str(stage2_file), "-q"]
    common += ["--num-workers", "0", "--lora-r", "4", "--lora-alpha", "8", "--max-steps", "2"]
    common += ["--lora-dropout", "0", "--bf16", "true", "--tokens-per-step", "512"]
    run = tmp_path / "fp8"
    assert "rowwise" in FP8_MODES
    args = ["--packing", "true", "--fp8-base", "rowwise", "--output-dir", str(run)]
    assert train_main([*common, *args]) == 0
    report = json.loads((run / "train_report.json").read_text())
    assert report["fp8_base"]["mode"] == "rowwise" and report["fp8_base"]["linears"] > 0
    assert np.isfinite(report["train_loss"])
    assert (run / "lora" / "adapter_model.safetensors").is_file()
    refused = tmp_path / "refused"
    args = ["--packing", "false", "--fp8-base", "rowwise", "--output-dir", str(refused)]
    assert train_main([*common, *args]) == 2
    assert "fp8_base: requires packing=true" in capsys.readouterr().err
    assert not refused.exists()
