"""The training-path policy (modeling/autotune.py): its rules on the measured model shapes, and
`auto` config keys resolved while explicit ones are kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from modeling.autotune import ACT_BYTES, MAX_TOKENS, Facts, choose, resolve
from modeling.config import ConfigError, build_config

GIB = 2**30
SMOL = dict(params=134_515_008, hidden=576, layers=30, vocab=49152)  # SmolLM2-135M
LLAMA8B = dict(params=8_030_261_248, hidden=4096, layers=32, vocab=128256)


def test_cpu_takes_the_plain_step() -> None:
    d = choose(Facts(**LLAMA8B, cuda=False))
    assert (d.packing, d.compile, d.gradient_checkpointing) == (False, False, False)


def test_small_model_takes_the_packed_eager_step_on_a_gpu() -> None:
    # measured (results/gpu_train_infer_speed.md): SmolLM2-135M stage 2 through compmo-train, same global
    # batch: packed eager 1.46x / 1.65x plain, packed compiled 1.53x / 0.89x (two runs)
    d = choose(Facts(**SMOL, cuda=True, free_bytes=79 * GIB, longest=900, trainable_estimate=10**7))
    assert (d.packing, d.compile, d.gradient_checkpointing) == (True, False, False)
    assert d.tokens_per_step == 6144 and "1.65x" in d.reasons[0]
    # a sample longer than the budget: the plain step; little memory: checkpointing too
    long = choose(Facts(**SMOL, cuda=True, free_bytes=79 * GIB, longest=8000))
    assert long.packing is False
    tight = choose(Facts(**SMOL, cuda=True, free_bytes=2 * GIB, longest=3000))
    assert tight.packing is False and tight.gradient_checkpointing is True


def test_8b_shape_is_packed_and_compiled_with_the_budget_of_the_memory() -> None:
    lora = 167_772_160  # r 128 on every linear layer of the 8B shape (about)
    h100 = choose(
        Facts(**LLAMA8B, cuda=True, free_bytes=79 * GIB, longest=900, trainable_estimate=lora)
    )
    assert (h100.packing, h100.compile, h100.gradient_checkpointing) == (True, True, False)
    # the H100 runs: 6,144 compiled tokens fitted (65.6 GiB peak), 8,192 did not
    assert 4096 <= h100.tokens_per_step <= 7168 and h100.tokens_per_step % 1024 == 0
    h200 = choose(
        Facts(**LLAMA8B, cuda=True, free_bytes=139 * GIB, longest=900, trainable_estimate=lora)
    )
    assert h100.tokens_per_step < h200.tokens_per_step <= MAX_TOKENS
    zero3 = choose(
        Facts(
            **LLAMA8B,
            cuda=True,
            free_bytes=79 * GIB,
            longest=900,
            zero3=True,
            trainable_estimate=lora,
        )
    )
    assert zero3.packing and not zero3.compile  # ZeRO-3's hooks and compiled graphs


def test_when_no_budget_holds_the_longest_sample_plain_with_checkpointing() -> None:
    f = Facts(**LLAMA8B, cuda=True, free_bytes=20 * GIB, longest=3072)
    per_token = ACT_BYTES * 4096 * 32
    assert (20 * GIB * 0.9 - LLAMA8B["params"] * 2) / per_token < 3072
    d = choose(f)
    assert (d.packing, d.gradient_checkpointing) == (False, True)


def test_auto_keys_parse_and_explicit_values_are_kept(tiny_llm: Path) -> None:
    cfg = build_config(None, None, model=str(tiny_llm), train_file="t")
    assert (cfg.packing, cfg.compile, cfg.tokens_per_step) == ("auto", "auto", "auto")
    assert cfg.gradient_checkpointing == "auto"
    tuned, record = resolve(cfg, [10, 20, 30])
    assert (tuned.packing, tuned.compile, tuned.gradient_checkpointing) == (False, False, False)
    assert record["facts"]["longest"] == 30 and record["facts"]["params"] > 0
    assert isinstance(tuned.tokens_per_step, int)
    forced = dataclasses.replace(cfg, packing=True, tokens_per_step=512)
    tuned, record = resolve(forced, [10])
    assert tuned.packing is True and tuned.tokens_per_step == 512
    assert set(record["chosen"]) == {"compile", "gradient_checkpointing"}
    explicit = build_config(None, ["packing=false", "compile=false"], model="m", train_file="t")
    explicit = dataclasses.replace(explicit, gradient_checkpointing=True, tokens_per_step=64)
    assert resolve(explicit, [1]) == (explicit, {})
    with pytest.raises(ConfigError, match="packing: expected true/false"):
        build_config(None, ["packing=sometimes"], model="m", train_file="t")
    with pytest.raises(ConfigError, match="compile: requires packing"):
        build_config(None, ["packing=false", "compile=true"], model="m", train_file="t")


def test_parameter_count_from_the_config_alone() -> None:
    from transformers import LlamaConfig

    from modeling.resources import count_params

    smol = LlamaConfig(
        hidden_size=576,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        intermediate_size=1536,
        vocab_size=49152,
        tie_word_embeddings=True,
    )
    llama = LlamaConfig(
        hidden_size=4096,
        num_hidden_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        intermediate_size=14336,
        vocab_size=128256,
        tie_word_embeddings=False,
    )
    assert count_params(smol) == SMOL["params"] and count_params(llama) == LLAMA8B["params"]
