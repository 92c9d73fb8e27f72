"""The fast training step computes the plain Hugging Face step's maths (tiny model, CPU)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from modeling.adapter import build_adapter  # noqa: E402
from modeling.batch import Sample, collate_packed, collate_padded  # noqa: E402
from modeling.fast_step import (  # noqa: E402
    FastStepConfig,
    _spread,
    configure_model,
    decoder_layers,
    packed_loss,
    padded_loss,
    set_attention,
    set_checkpointing,
    train_step,
)

FEATS = 1056


def _model(seed=0, layers=2):
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=101,
        attn_implementation="sdpa",
    )
    lm = LlamaForCausalLM(cfg)
    model = get_peft_model(
        lm, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", lora_dropout=0.0)
    )
    for name, p in model.named_parameters():
        if "lora_B" in name:  # non-zero so LoRA really contributes
            torch.nn.init.normal_(p, std=0.05)
    return model


def _samples(n, seed=0):
    rng = np.random.default_rng(seed)
    return [
        Sample(
            tuple(int(x) for x in rng.integers(1, 101, int(rng.integers(2, 5)))),
            rng.normal(size=(int(rng.integers(1, 4)), FEATS)).astype(np.float32),
            tuple(int(x) for x in rng.integers(1, 101, int(rng.integers(1, 4)))),
            tuple(int(x) for x in rng.integers(1, 101, int(rng.integers(2, 7)))),
        )
        for _ in range(n)
    ]


def _plain_mode(model):
    set_attention(model.get_base_model(), "sdpa")
    set_checkpointing(model.get_base_model(), None)


def _grads(model, adapter):
    named = [
        *model.named_parameters(),
        *(("adapter." + n, p) for n, p in adapter.named_parameters()),
    ]
    return {n: p.grad.detach().clone() for n, p in named if p.grad is not None}


@pytest.mark.parametrize("mode", ["none", "selective", "full"])
@pytest.mark.parametrize("pos_embedding", [False, True])
def test_packed_loss_and_grads_equal_plain(mode, pos_embedding):
    model = _model()
    adapter = build_adapter(32, pos_embedding=pos_embedding)
    samples = _samples(4)
    model.train()
    _plain_mode(model)
    ref = padded_loss(model, adapter, collate_padded(samples))
    ref.backward()
    ref_grads = _grads(model, adapter)
    model.zero_grad(set_to_none=True)
    adapter.zero_grad(set_to_none=True)
    configure_model(model, FastStepConfig(checkpointing=mode, lora_rank=4, chunk_size=3))
    got = packed_loss(model, adapter, collate_packed(samples, pad_to_multiple_of=8), chunk_size=3)
    got.backward()
    grads = _grads(model, adapter)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)
    assert grads.keys() == ref_grads.keys() and any("lora_A" in k for k in grads)
    for name in grads:
        torch.testing.assert_close(grads[name], ref_grads[name], rtol=1e-4, atol=1e-6, msg=name)


def test_checkpointing_is_applied_to_the_chosen_layers():
    model = _model(layers=4)
    configure_model(model, FastStepConfig(checkpointing="full", checkpoint_fraction=0.5))
    assert [layer.gradient_checkpointing for layer in decoder_layers(model)] == [
        True,
        False,
        True,
        False,
    ]
    configure_model(model, FastStepConfig(checkpointing="none"))
    assert not any(layer.gradient_checkpointing for layer in decoder_layers(model))
    assert _spread(32, 0.25) == {0, 4, 8, 12, 16, 20, 24, 28} and _spread(5, 0.0) == set()


def test_config_validation():
    with pytest.raises(ValueError, match="checkpointing"):
        FastStepConfig(checkpointing="some")
    with pytest.raises(ValueError, match="checkpoint_fraction"):
        FastStepConfig(checkpoint_fraction=1.5)


def test_training_curves_match_over_steps():
    """Same initialisation and batches: the fast path's loss curve is the plain path's."""
    samples = _samples(12, seed=1)
    batches = [samples[i : i + 4] for i in range(0, 12, 4)] * 3
    curves = []
    for fast in (False, True):
        model = _model(seed=3)
        torch.manual_seed(4)
        adapter = build_adapter(32)
        params = [p for p in model.parameters() if p.requires_grad] + list(adapter.parameters())
        opt = torch.optim.AdamW(params, lr=1e-2)
        model.train()
        if fast:
            configure_model(model, FastStepConfig(checkpointing="selective", lora_rank=4))
        else:
            _plain_mode(model)
        losses = []
        for group in batches:
            if fast:
                b = collate_packed(group)
                fn = lambda b=b, m=model, a=adapter: packed_loss(m, a, b)  # noqa: E731
            else:
                b = collate_padded(group)
                fn = lambda b=b, m=model, a=adapter: padded_loss(m, a, b)  # noqa: E731
            losses.append(float(train_step(fn, opt, device_type="cpu")))
        curves.append(losses)
    plain, fast = curves
    assert plain[-1] < plain[0]  # it learns
    rel = max(abs(a - b) / abs(a) for a, b in zip(plain, fast))
    assert rel < 1e-4, (plain, fast)


def test_regional_compile_is_exact_under_bf16_autocast():
    """Compiled decoder layers (precision-cast emulation on) give eager's loss and gradients."""
    samples = _samples(4, seed=5)
    batch = collate_packed(samples, pad_to_multiple_of=32, max_segments=8)
    model = _model(seed=6)
    model.to(torch.bfloat16)
    for name, p in model.named_parameters():
        if "lora_" in name:
            p.data = p.data.float()
    adapter = build_adapter(32)
    model.train()

    def run(compiled):
        torch._dynamo.reset()
        configure_model(model, FastStepConfig(lora_rank=4, compile=compiled))
        model.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = packed_loss(model, adapter, batch)
        loss.backward()
        grads = [p.grad.float().flatten() for p in model.parameters() if p.grad is not None]
        return loss.detach(), torch.cat(grads)

    ref_loss, ref = run(False)
    loss, got = run(True)
    configure_model(model, FastStepConfig(lora_rank=4))  # back to eager
    torch._dynamo.reset()
    torch.testing.assert_close(loss, ref_loss, rtol=1e-6, atol=1e-6)
    assert float((got - ref).norm() / ref.norm()) < 1e-3
