"""Float8 products for the frozen weights: error bounds, gradients reach LoRA only, exact restore."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from modeling.fp8_base import FP8, quantize, restore, to_fp8  # noqa: E402


def _fp8_supported() -> bool:
    try:
        a = torch.zeros(16, 16, dtype=torch.float8_e4m3fn)
        one = torch.ones(1, 1)
        torch._scaled_mm(a, a.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return True


pytestmark = pytest.mark.skipif(not _fp8_supported(), reason="no float8 products in this torch")


def _model(seed=0, hidden=64):
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=101,
        attn_implementation="sdpa",
    )
    conf = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", lora_dropout=0.0)
    model = get_peft_model(LlamaForCausalLM(cfg).to(torch.bfloat16), conf)
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.05)
    return model


def _loss_and_grads(model, ids):
    model.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    return loss.detach().float(), {
        n: p.grad.float().clone() for n, p in model.named_parameters() if p.grad is not None
    }


@pytest.mark.parametrize("rowwise", [True, False])
def test_quantize_round_trip_within_e4m3_precision(rowwise):
    g = torch.Generator().manual_seed(0)
    t = torch.randn(48, 80, generator=g) * torch.logspace(-3, 3, 48).unsqueeze(1)
    q, s = quantize(t.to(torch.bfloat16), rowwise)
    assert q.dtype == torch.float8_e4m3fn and s.shape == ((48, 1) if rowwise else (1, 1))
    back = q.float() * s
    assert torch.isfinite(back).all()
    if rowwise:  # e4m3 keeps 3 mantissa bits: each value within 1/16 of itself, each row's scale
        err = (back - t.to(torch.bfloat16).float()).abs()
        assert (err <= t.abs() / 16 + s * 2**-9 + 1e-6).all()
    zero_q, zero_s = quantize(torch.zeros(16, 16, dtype=torch.bfloat16), rowwise)
    assert zero_q.float().abs().sum() == 0 and torch.isfinite(zero_s).all()


@pytest.mark.parametrize("mode", ["rowwise", "tensorwise"])
def test_loss_and_lora_gradients_close_to_bf16(mode):
    model = _model()
    ids = torch.randint(1, 101, (3, 11))  # 33 tokens: not a multiple of 16 (padded inside)
    loss0, g0 = _loss_and_grads(model, ids)
    assert to_fp8(model, mode) == 2 * 7
    loss1, g1 = _loss_and_grads(model, ids)
    assert g1.keys() == g0.keys() and all(("lora_" in n) for n in g1)
    assert abs(loss1 - loss0) < 0.02 * abs(loss0)
    for name in g0:  # float8 products: a few per cent of the gradient's size, not more
        rel = (g1[name] - g0[name]).norm() / g0[name].norm().clamp(min=1e-12)
        assert rel < 0.15, (name, float(rel))
    assert loss1 != loss0  # the float8 path really ran


def test_restore_is_bit_exact_and_frees_the_copies():
    model = _model(seed=1)
    before = {n: t.clone() for n, t in model.state_dict().items()}
    to_fp8(model, "rowwise")
    bases = [m for m in model.modules() if hasattr(m, FP8)]
    assert bases and all(m.weight.numel() == 0 for m in bases)
    assert all(m.fp8_w.dtype == torch.float8_e4m3fn for m in bases)
    assert not any("fp8_" in k for k in model.state_dict())  # never saved
    assert to_fp8(model, "rowwise") == 0  # idempotent
    assert restore(model) == 14
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert not any(hasattr(m, FP8) or "forward" in m.__dict__ for m in model.modules())


def test_off_and_ineligible_layers_untouched():
    model = _model()
    assert to_fp8(model, "off") == 0
    model32 = _model().to(torch.float32)  # a float32 model keeps its products
    assert to_fp8(model32, "rowwise") == 0
    with pytest.raises(ValueError, match="fp8_base"):
        to_fp8(model, "int4")


def test_a_gpu_without_float8_is_refused_in_one_line(monkeypatch):
    from compmo_gen.core.errors import ConfigError
    from modeling.fp8_base import check_device

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d=None: (8, 0))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "NVIDIA A100")
    with pytest.raises(ConfigError, match=r"A100 \(compute capability 8.0\) has no float8"):
        check_device(torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d=None: (9, 0))
    check_device(torch.device("cuda"))  # Hopper: accepted
    check_device(torch.device("cpu"))


def test_a_float8_lora_linear_compiles_as_one_graph(monkeypatch):
    """The autograd function exists before dynamo traces (a class made inside broke the graph
    on the H100: "Dynamo does not know how to trace the builtin __build_class__")."""
    import modeling.fp8_base as fp8

    monkeypatch.setattr(fp8, "_FN", None)
    model = _model()
    to_fp8(model, "rowwise")
    q_proj = model.get_base_model().model.layers[0].self_attn.q_proj
    x = torch.randn(1, 20, 64, dtype=torch.bfloat16, requires_grad=True)
    explained = torch._dynamo.explain(q_proj)(x)
    assert (explained.graph_count, explained.graph_break_count) == (1, 0), explained.break_reasons
