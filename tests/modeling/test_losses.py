"""Chunked answer-only cross-entropy: same value and gradients as the plain full-logits loss."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from modeling.losses import (  # noqa: E402
    causal_lm_loss,
    chunked_linear_cross_entropy,
    reference_causal_lm_loss,
    shift_labels,
)


def _inputs(n=23, d=16, v=50, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, d, generator=g, dtype=dtype, requires_grad=True)
    weight = torch.randn(v, d, generator=g, dtype=dtype, requires_grad=True)
    bias = torch.randn(v, generator=g, dtype=dtype, requires_grad=True)
    targets = torch.randint(0, v, (n,), generator=g)
    return hidden, weight, bias, targets


@pytest.mark.parametrize("chunk", [1, 5, 23, 100])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_chunked_matches_full_logits_value_and_grads(chunk, reduction):
    hidden, weight, bias, targets = _inputs()
    ref = torch.nn.functional.cross_entropy(hidden @ weight.T + bias, targets, reduction=reduction)
    ref_grads = torch.autograd.grad(ref * 1.7, (hidden, weight, bias))
    got = chunked_linear_cross_entropy(
        hidden, weight, targets, bias=bias, chunk_size=chunk, reduction=reduction
    )
    grads = torch.autograd.grad(got * 1.7, (hidden, weight, bias))
    torch.testing.assert_close(got, ref, rtol=1e-12, atol=1e-12)
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_frozen_weight_gets_no_gradient_and_hidden_does():
    hidden, weight, _, targets = _inputs()
    weight = weight.detach()
    loss = chunked_linear_cross_entropy(hidden, weight, targets, chunk_size=4)
    loss.backward()
    assert weight.grad is None
    assert hidden.grad is not None and torch.isfinite(hidden.grad).all()


def test_num_items_normalisation_matches_trainer_convention():
    hidden, weight, _, targets = _inputs()
    ref = torch.nn.functional.cross_entropy(hidden @ weight.T, targets, reduction="sum") / 40
    got = chunked_linear_cross_entropy(hidden, weight, targets, chunk_size=7, num_items=40)
    torch.testing.assert_close(got, ref)


def test_no_labelled_position_gives_exact_zero_and_zero_grads():
    hidden, weight, _, _ = _inputs()
    labels = torch.full((1, hidden.shape[0]), -100)
    loss = causal_lm_loss(hidden[None], labels, weight)
    loss.backward()
    assert loss.item() == 0.0
    assert hidden.grad is not None and hidden.grad.abs().sum() == 0


def test_bad_arguments_raise():
    hidden, weight, _, targets = _inputs()
    with pytest.raises(ValueError, match="reduction"):
        chunked_linear_cross_entropy(hidden, weight, targets, reduction="none")
    with pytest.raises(ValueError, match="chunk_size"):
        chunked_linear_cross_entropy(hidden, weight, targets, chunk_size=0)


def test_shift_labels():
    labels = torch.tensor([[1, 2, 3, -100], [4, -100, 5, 6]])
    assert shift_labels(labels).tolist() == [[2, 3, -100, -100], [-100, 5, 6, -100]]


@pytest.mark.parametrize("num_items", [None, 11])
def test_causal_lm_loss_equals_hf_llama_loss(num_items):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=97,
    )
    model = LlamaForCausalLM(cfg)
    ids = torch.randint(0, 97, (2, 9))
    labels = ids.clone()
    labels[:, :4] = -100
    labels[1, 7:] = -100
    kwargs = {} if num_items is None else {"num_items_in_batch": torch.tensor(num_items)}
    out = model(input_ids=ids, labels=labels, output_hidden_states=True, **kwargs)
    hidden = out.hidden_states[-1]
    got = causal_lm_loss(
        hidden, labels, model.lm_head.weight, chunk_size=3, num_items_in_batch=num_items
    )
    torch.testing.assert_close(got, out.loss, rtol=1e-6, atol=1e-6)
    ref = reference_causal_lm_loss(out.logits, labels, num_items_in_batch=num_items)
    torch.testing.assert_close(got, ref, rtol=1e-6, atol=1e-6)
    # gradients through the model's parameters agree too
    g_ref = torch.autograd.grad(
        out.loss, model.model.layers[0].mlp.down_proj.weight, retain_graph=True
    )
    g_got = torch.autograd.grad(got, model.model.layers[0].mlp.down_proj.weight)
    torch.testing.assert_close(g_got, g_ref, rtol=1e-5, atol=1e-7)
