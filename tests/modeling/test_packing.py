"""Packing: layout of packed/padded batches and attention that never crosses samples."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from modeling.batch import (  # noqa: E402
    Sample,
    collate_packed,
    collate_padded,
    motion_positions,
    token_budget_batches,
)
from modeling.packing import (  # noqa: E402
    attention_kwargs,
    block_causal_mask,
    register_packed_attention,
)
from modeling.prompting import EncodedPrompt  # noqa: E402


def _sample(rng, vocab=97, motion=None, answer=None, feats=6):
    m = int(rng.integers(1, 5)) if motion is None else motion
    a = int(rng.integers(2, 6)) if answer is None else answer
    return Sample(
        tuple(int(x) for x in rng.integers(1, vocab, int(rng.integers(1, 4)))),
        rng.normal(size=(m, feats)).astype(np.float32),
        tuple(int(x) for x in rng.integers(1, vocab, int(rng.integers(1, 4)))),
        tuple(int(x) for x in rng.integers(1, vocab, a)),
    )


def test_collate_packed_layout():
    s1 = Sample((5, 6), np.ones((2, 3), np.float32), (7,), (8, 9))
    s2 = Sample((10,), np.full((1, 3), 2, np.float32), (11, 12), (13,))
    b = collate_packed([s1, s2], pad_to_multiple_of=8)
    assert b["input_ids"].tolist() == [[5, 6, 0, 0, 7, 8, 9, 10, 0, 11, 12, 13, 0, 0, 0, 0]]
    assert b["position_ids"].tolist() == [[0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 0, 1, 2, 3]]
    x = -100
    assert b["labels"].tolist() == [[x, x, x, x, x, 8, 9, x, x, x, x, 13, x, x, x, x]]
    assert b["cu_seq_lens"].tolist() == [0, 7, 12, 16]
    assert b["motion_index"].tolist() == [2, 3, 8]
    assert b["motion_windows"][:, 0].tolist() == [1, 1, 2]
    assert b["motion_counts"].tolist() == [2, 1]
    assert (b["max_length"], b["num_tokens"], b["num_label_tokens"]) == (7, 12, 3)


def test_collate_packed_static_segments():
    rng = np.random.default_rng(1)
    b = collate_packed([_sample(rng) for _ in range(3)], pad_to_multiple_of=64, max_segments=6)
    assert b["input_ids"].shape == (1, 64)
    assert b["cu_seq_lens"].shape == (7,) and b["cu_seq_lens"][-1] == 64
    assert b["max_length"] == 64
    with pytest.raises(ValueError, match="max_segments"):
        collate_packed([_sample(rng) for _ in range(3)], pad_to_multiple_of=64, max_segments=2)


def test_collate_padded_layout_matches_packed_content():
    rng = np.random.default_rng(2)
    samples = [_sample(rng) for _ in range(3)]
    pad = collate_padded(samples)
    packed = collate_packed(samples)
    width = pad["input_ids"].shape[1]
    assert width == max(len(s) for s in samples)
    assert pad["attention_mask"].sum() == packed["num_tokens"]
    real = pad["attention_mask"].bool()
    assert pad["input_ids"][real].tolist() == packed["input_ids"][0].tolist()
    assert pad["labels"][real].tolist() == packed["labels"][0].tolist()
    rows, cols = pad["motion_index"] // width, pad["motion_index"] % width
    assert (pad["attention_mask"][rows, cols] == 1).all()
    assert torch.equal(pad["motion_windows"], packed["motion_windows"])


def test_left_and_right_padding_hold_the_same_rows():
    rng = np.random.default_rng(5)
    samples = [_sample(rng) for _ in range(3)]
    right = collate_padded(samples, pad_id=9)
    left = collate_padded(samples, pad_id=9, padding_side="left", with_labels=False)
    assert "labels" not in left and left["attention_mask"][:, -1].all()
    for key in ("input_ids", "attention_mask"):
        assert sorted(right[key][right["attention_mask"].bool()].tolist()) == sorted(
            left[key][left["attention_mask"].bool()].tolist()
        )
    for b in (left, right):
        pos = motion_positions(b)
        assert pos.sum(1).tolist() == [s.num_motion for s in samples]
        assert (b["input_ids"][pos] == 0).all() and (b["attention_mask"][pos] == 1).all()
    with pytest.raises(ValueError, match="padding_side"):
        collate_padded(samples, padding_side="middle")


def test_from_mapping_accepts_encoded_prompt_and_plain_keys():
    w = np.zeros((2, 4))
    a = Sample.from_mapping({"prompt": EncodedPrompt((1,), (2, 3), (4,)), "windows": w})
    b = Sample.from_mapping({"before": [1], "after": [2, 3], "answer": [4], "windows": w})
    assert a.before == b.before == (1,) and a.after == b.after and a.answer == b.answer == (4,)
    assert len(a) == 6 and a.windows.dtype == np.float32
    with pytest.raises(ValueError, match="2-D"):
        Sample.from_mapping({"before": [1], "after": [], "answer": [], "windows": np.zeros(3)})
    with pytest.raises(ValueError, match="at least one"):
        collate_packed([])


def test_token_budget_batches():
    assert token_budget_batches([3, 4, 2, 9, 1, 1], 7) == [[0, 1], [2], [3], [4, 5]]
    assert token_budget_batches([], 5) == []
    groups = token_budget_batches(list(np.random.default_rng(0).integers(1, 50, 200)), 128)
    assert [i for g in groups for i in g] == list(range(200))


def test_block_causal_mask():
    cu = torch.tensor([0, 2, 5, 5, 6], dtype=torch.int32)
    m = block_causal_mask(cu, 1, 6)[0, 0].int().tolist()
    assert m == [
        [1, 0, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 0],
        [0, 0, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 0],
        [0, 0, 0, 0, 0, 1],
    ]


def _tiny_llama(attn="sdpa"):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=97,
        attn_implementation=attn,
    )
    return LlamaForCausalLM(cfg).eval()


@pytest.mark.parametrize("attn", ["packed", "sdpa"])
def test_packed_forward_equals_separate_forwards(attn):
    """Each packed sample sees only itself, with positions restarting at 0."""
    model = _tiny_llama()
    if attn == "packed":
        model.set_attn_implementation(register_packed_attention())
    rng = np.random.default_rng(3)
    samples = [_sample(rng) for _ in range(4)]
    b = collate_packed(samples, pad_to_multiple_of=16)
    kwargs = attention_kwargs(b) if attn == "packed" else {}
    with torch.no_grad():
        # use_cache=False: with a cache, stock SDPA does not look for packed position ids
        packed = model(
            input_ids=b["input_ids"], position_ids=b["position_ids"], use_cache=False, **kwargs
        ).logits[0]
        cu = b["cu_seq_lens"].tolist()
        for i in range(len(samples)):
            ids = b["input_ids"][:, cu[i] : cu[i + 1]]
            alone = model(input_ids=ids).logits[0]
            torch.testing.assert_close(packed[cu[i] : cu[i + 1]], alone, rtol=1e-5, atol=1e-5)
    # and it really differs from letting samples see each other
    with torch.no_grad():
        leaky = model(input_ids=b["input_ids"], use_cache=False).logits[0]
    assert not torch.allclose(leaky[cu[1] : cu[2]], packed[cu[1] : cu[2]], atol=1e-4)


def test_packed_attention_without_boundaries_is_plain_causal_with_padding():
    """Unpacked calls (generation) behave like stock SDPA, left padding included."""
    ref = _tiny_llama()
    model = _tiny_llama()
    model.set_attn_implementation(register_packed_attention())
    ids = torch.randint(1, 97, (2, 7))
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, :3] = 0
    with torch.no_grad():
        a = model(input_ids=ids, attention_mask=mask).logits
        b = ref(input_ids=ids, attention_mask=mask).logits
    keep = mask.bool()
    torch.testing.assert_close(a[keep], b[keep], rtol=1e-5, atol=1e-5)
    out_a = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, do_sample=False)
    out_b = ref.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, do_sample=False)
    assert out_a.tolist() == out_b.tolist()
