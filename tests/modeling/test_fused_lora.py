"""The fused LoRA forward computes PEFT's LoRA linear: outputs, gradients, dropout, fallbacks."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from modeling.fused_lora import FUSED, fuse_lora, unfuse_lora  # noqa: E402


def _model(dropout=0.0, seed=0, **lora):
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=101,
        attn_implementation="sdpa",
    )
    conf = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", lora_dropout=dropout, **lora)
    model = get_peft_model(LlamaForCausalLM(cfg), conf)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.05)
    return model


def _loss_and_grads(model, ids, seed=0):
    torch.manual_seed(seed)
    model.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads


def test_fused_equals_peft_loss_and_lora_gradients():
    model = _model()
    ids = torch.randint(1, 101, (3, 9))
    loss0, g0 = _loss_and_grads(model, ids)
    assert fuse_lora(model) == 2 * 7  # every linear of both layers (q k v o gate up down)
    loss1, g1 = _loss_and_grads(model, ids)
    torch.testing.assert_close(loss1, loss0, rtol=1e-6, atol=1e-6)
    assert g1.keys() == g0.keys() and any("lora_A" in n for n in g0)
    for name in g0:
        torch.testing.assert_close(g1[name], g0[name], rtol=1e-5, atol=1e-6)
    assert unfuse_lora(model) == 14
    assert not any(hasattr(m, FUSED) or "forward" in m.__dict__ for m in model.modules())
    loss2, _ = _loss_and_grads(model, ids)
    assert torch.equal(loss2, loss0)


def test_dropout_draws_the_same_masks_as_peft():
    model = _model(dropout=0.3)
    model.train()
    ids = torch.randint(1, 101, (2, 7))
    loss0, g0 = _loss_and_grads(model, ids, seed=5)
    fuse_lora(model)
    loss1, g1 = _loss_and_grads(model, ids, seed=5)
    torch.testing.assert_close(loss1, loss0, rtol=1e-6, atol=1e-6)
    for name in g0:
        torch.testing.assert_close(g1[name], g0[name], rtol=1e-5, atol=1e-6)


def test_bf16_autocast_output_close_to_peft():
    model = _model().to(torch.bfloat16)
    for n, p in model.named_parameters():
        if "lora_" in n:
            p.data = p.data.float()  # PEFT's adapter weights stay float32 under a bf16 model
    ids = torch.randint(1, 101, (2, 6))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref = model(input_ids=ids).logits.float()
        fuse_lora(model)
        out = model(input_ids=ids).logits.float()
    torch.testing.assert_close(out, ref, rtol=0.05, atol=0.05)


def test_modules_that_are_not_plain_lora_keep_peft_forward():
    assert fuse_lora(_model(use_dora=True)) == 0
    model = _model()
    ids = torch.randint(1, 101, (1, 5))
    with model.disable_adapter():
        assert fuse_lora(model) == 0  # disabled adapters: nothing to fuse
        off = model(input_ids=ids).logits
    assert fuse_lora(model) == 14
    with model.disable_adapter():  # disabled after fusing: PEFT's path, the base model alone
        torch.testing.assert_close(model(input_ids=ids).logits, off)
    on = model(input_ids=ids).logits
    assert not torch.allclose(on, off)
