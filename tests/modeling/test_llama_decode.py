"""The light decoder generates transformers' greedy tokens (random Llama models, CPU, float32)."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from compmo_gen.core.errors import PrerequisiteError  # noqa: E402
from modeling.llama_decode import build_decoder, inv_freq, load_decoder, supported  # noqa: E402

SHAPE = dict(
    hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2, vocab_size=9
)
LLAMA3_ROPE = {
    "rope_type": "llama3",
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 64,
}


def _hf_model(tmp_path, seed=0, tied=True, kv_heads=2, rope_scaling=None):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=3,
        num_attention_heads=6,
        num_key_value_heads=kv_heads,
        vocab_size=211,
        max_position_embeddings=512,
        rope_theta=5000.0,
        tie_word_embeddings=tied,
        rope_scaling=dict(rope_scaling) if rope_scaling else None,  # transformers edits it
        eos_token_id=[5, 7],
        attn_implementation="sdpa",
    )
    lm = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():
        for p in lm.parameters():  # larger weights than the default init: decisive argmaxes
            p.normal_(0, 0.2)
    lm.save_pretrained(tmp_path, safe_serialization=True)
    return lm


def _batch(lm, seed=1):
    """Left-padded input embeddings of 3 prompts of different lengths."""
    g = torch.Generator().manual_seed(seed)
    lengths = [9, 4, 13]
    width = max(lengths)
    ids = torch.randint(8, 211, (3, width), generator=g)
    mask = torch.zeros(3, width, dtype=torch.long)
    for r, n in enumerate(lengths):
        mask[r, width - n :] = 1
    emb = lm.get_input_embeddings()(ids).detach()
    emb = emb + 0.3 * torch.randn(emb.shape, generator=g)  # like spliced motion tokens
    return emb, mask


def _hf_generate(lm, emb, mask, new):
    return lm.generate(
        inputs_embeds=emb,
        attention_mask=mask,
        max_new_tokens=new,
        do_sample=False,
        eos_token_id=[5, 7],
        pad_token_id=0,
        temperature=None,
        top_p=None,
        top_k=None,
    )


@pytest.mark.parametrize(
    "tied,kv_heads,rope",
    [(True, 2, None), (False, 6, None), (True, 3, LLAMA3_ROPE)],
    ids=["tied-gqa", "untied-mha", "llama3-rope"],
)
def test_greedy_tokens_equal_transformers(tmp_path, tied, kv_heads, rope):
    lm = _hf_model(tmp_path, tied=tied, kv_heads=kv_heads, rope_scaling=rope)
    emb, mask = _batch(lm)
    ref = _hf_generate(lm, emb, mask, 24)
    dec = load_decoder(tmp_path, dtype=torch.float32)
    assert dec.generation_config.eos_token_id == [5, 7]
    out = dec.generate(emb, mask, max_new_tokens=24, eos_token_id=[5, 7], pad_token_id=0)
    assert out.shape == ref.shape
    assert torch.equal(out, ref), (out, ref)


def test_stops_at_eos_and_pads_finished_rows(tmp_path):
    lm = _hf_model(tmp_path, seed=3)
    emb, mask = _batch(lm, seed=4)
    dec = load_decoder(tmp_path, dtype=torch.float32)
    free = dec.generate(emb, mask, max_new_tokens=30, eos_token_id=[10**6], pad_token_id=0)
    stop = int(free[0, 2])  # row 0's third token as the end token
    out = dec.generate(emb, mask, max_new_tokens=30, eos_token_id=[stop], pad_token_id=0)
    first = int((out[0] == stop).nonzero()[0])
    assert first <= 2 and (out[0, first + 1 :] == 0).all()
    ref = _hf_generate_eos(lm, emb, mask, 30, stop)
    assert torch.equal(out, ref)


def _hf_generate_eos(lm, emb, mask, new, eos):
    return lm.generate(
        inputs_embeds=emb,
        attention_mask=mask,
        max_new_tokens=new,
        do_sample=False,
        eos_token_id=[eos],
        pad_token_id=0,
        temperature=None,
        top_p=None,
        top_k=None,
    )


def test_stopping_criteria_are_called_per_token(tmp_path):
    _hf_model(tmp_path)
    dec = load_decoder(tmp_path, dtype=torch.float32)
    emb = torch.randn(2, 5, 48)
    calls = []

    def tick(ids, scores):
        calls.append(ids.shape[1])
        return torch.zeros(ids.shape[0], dtype=torch.bool)

    out = dec.generate(
        emb,
        torch.ones(2, 5, dtype=torch.long),
        max_new_tokens=6,
        eos_token_id=[10**6],
        pad_token_id=0,
        stopping_criteria=[tick],
    )
    assert out.shape == (2, 6) and calls == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="greedily"):
        dec.generate(
            emb, torch.ones(2, 5), max_new_tokens=2, eos_token_id=1, pad_token_id=0, do_sample=True
        )


def test_llama3_inv_freq_equals_transformers():
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    cfg = {
        "rope_theta": 500000.0,
        "rope_scaling": dict(LLAMA3_ROPE, original_max_position_embeddings=8192),
    }
    hf = LlamaConfig(
        hidden_size=4096, num_attention_heads=32, max_position_embeddings=131072, **cfg
    )
    ref, _ = ROPE_INIT_FUNCTIONS["llama3"](hf, "cpu")
    torch.testing.assert_close(inv_freq(cfg, 128), ref)


def test_unsupported_and_mismatched_folders_are_refused(tmp_path):
    assert not supported({"model_type": "gpt2"})
    assert not supported({"model_type": "llama", "rope_scaling": {"rope_type": "yarn"}, **SHAPE})
    assert not supported({"model_type": "llama", "attention_bias": True, **SHAPE})
    assert supported({"model_type": "llama", "rope_scaling": LLAMA3_ROPE, **SHAPE})
    assert not supported({"model_type": "llama"})  # no shape
    assert not supported({"model_type": "llama", **SHAPE, "hidden_size": "wide"})
    assert not supported({"model_type": "llama", **SHAPE, "num_key_value_heads": 3})
    _hf_model(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["num_hidden_layers"] = 4
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(PrerequisiteError, match="do not match"):
        load_decoder(tmp_path, dtype=torch.float32)
    cfg["num_hidden_layers"], cfg["intermediate_size"] = 3, 80
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(PrerequisiteError, match="do not match.*size mismatch"):
        load_decoder(tmp_path, dtype=torch.float32)
    with pytest.raises(PrerequisiteError, match="not a plain Llama"):
        load_decoder(tmp_path / "nowhere", dtype=torch.float32)


def test_build_decoder_parameter_names_are_transformers():
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = dict(
        model_type="llama",
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=50,
        tie_word_embeddings=False,
    )
    ours = build_decoder(cfg, dtype=torch.float32)
    hf = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in cfg.items() if k != "model_type"}))
    assert set(ours.state_dict()) == set(hf.state_dict())


@pytest.mark.parametrize("case", ["fifo_weights", "config_directory", "deep_config", "huge_width"])
def test_hostile_model_folders_are_one_line_errors(tmp_path, case):
    import os
    import shutil

    from compmo_gen.core.errors import CompmoError

    _hf_model(tmp_path / "src")
    folder = tmp_path / "m"
    shutil.copytree(tmp_path / "src", folder)
    if case == "fifo_weights":  # would block a reader that opens it
        (folder / "model.safetensors").unlink()
        os.mkfifo(folder / "model.safetensors")
    elif case == "config_directory":
        (folder / "config.json").unlink()
        (folder / "config.json").mkdir()
    elif case == "deep_config":
        (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    else:
        cfg = json.loads((folder / "config.json").read_text())
        (folder / "config.json").write_text(json.dumps({**cfg, "hidden_size": 10**300}))
    with pytest.raises(CompmoError) as err:
        load_decoder(folder, dtype=torch.float32)
    assert str(folder) in str(err.value) and "\n" not in str(err.value)
