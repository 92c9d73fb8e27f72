from __future__ import annotations

import numpy as np
import pytest

from compmo_gen.core.prompts import STAGE2_SYSTEM, stage1_prompt, stage2_user
from modeling.batch import collate_padded, motion_positions
from modeling.losses import IGNORE_INDEX
from modeling.prompting import PromptError, encode_prompt, render_chat


def test_answer_is_the_template_suffix(tiny_tokenizer) -> None:
    prompt, answer = render_chat(tiny_tokenizer, STAGE2_SYSTEM, stage2_user(12.5), "00:00:00 - hi")
    assert prompt.endswith("<|im_start|>assistant\n")
    assert answer == "00:00:00 - hi<|im_end|>\n"
    assert "duration 00:12:50," in prompt and STAGE2_SYSTEM in prompt


def test_encode_splits_at_placeholder(tiny_tokenizer) -> None:
    enc = encode_prompt(tiny_tokenizer, None, stage1_prompt(3.0), "a person walks")
    text = tiny_tokenizer.decode(list(enc.before) + list(enc.after))
    assert "<motion>" not in text and "Given a human motion" in text
    assert tiny_tokenizer.decode(list(enc.answer)).startswith("a person walks")
    assert (
        enc.answer[-2] == tiny_tokenizer.eos_token_id
        or enc.answer[-1] == tiny_tokenizer.eos_token_id
    )
    assert encode_prompt(tiny_tokenizer, None, stage1_prompt(3.0)).answer == ()
    with pytest.raises(PromptError):
        encode_prompt(tiny_tokenizer, None, "no placeholder here", "x")


def test_works_with_a_llama3_style_template(tiny_tokenizer) -> None:
    tok = tiny_tokenizer.__class__.from_pretrained(tiny_tokenizer.name_or_path)
    tok.chat_template = (
        "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n\n{{ m['content'] }}"
        "<|im_end|>{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n\n{% endif %}"
    )
    enc = encode_prompt(tok, "sys", stage1_prompt(1.0), "ans")
    assert enc.before[0] == tok.bos_token_id
    assert tok.decode(list(enc.answer)) == "ans<|im_end|>"


@pytest.mark.parametrize("side", ["right", "left"])
def test_collator_labels_only_answer_and_marks_motion(tiny_tokenizer, side: str) -> None:
    a = encode_prompt(tiny_tokenizer, None, stage1_prompt(3.0), "a person walks")
    b = encode_prompt(tiny_tokenizer, STAGE2_SYSTEM, stage2_user(9.0), "00:00:00 - sits down")
    items = [
        {"prompt": a, "windows": np.ones((3, 1056), np.float32)},
        {"prompt": b, "windows": np.full((5, 1056), 2.0, np.float32)},
    ]
    batch = collate_padded(items, pad_id=tiny_tokenizer.pad_token_id, padding_side=side)
    ids, labels, attn = batch["input_ids"], batch["labels"], batch["attention_mask"]
    pos = motion_positions(batch)
    assert pos.sum(1).tolist() == [3, 5] and batch["motion_counts"].tolist() == [3, 5]
    assert batch["motion_windows"][:, 0].tolist() == [1.0] * 3 + [2.0] * 5
    for row, enc in enumerate((a, b)):
        lab = labels[row][labels[row] != IGNORE_INDEX].tolist()
        assert lab == list(enc.answer)
        assert int(attn[row].sum()) == enc.text_length() + int(pos[row].sum())
        assert not (pos[row] & (labels[row] != IGNORE_INDEX)).any()
        real = ids[row][attn[row].bool() & ~pos[row]].tolist()
        assert real == list(enc.before) + list(enc.after) + list(enc.answer)
    if side == "left":
        assert attn[:, -1].all()
    else:
        assert attn[:, 0].all()


def test_motion_tokens_are_spliced_at_the_marked_positions(tiny_llm, tiny_tokenizer) -> None:
    import torch

    from modeling.adapter import build_adapter
    from modeling.model import build_motion_lm, load_llm

    llm = load_llm(str(tiny_llm))
    adapter = build_adapter(llm.config.hidden_size)
    model = build_motion_lm(llm, adapter)
    enc = encode_prompt(tiny_tokenizer, None, stage1_prompt(3.0), "walks")
    rng = np.random.default_rng(0)
    items = [
        {"prompt": enc, "windows": rng.normal(size=(k, 1056)).astype(np.float32)} for k in (2, 4)
    ]
    batch = collate_padded(items, pad_id=tiny_tokenizer.pad_token_id, padding_side="left")
    pos = motion_positions(batch)
    with torch.no_grad():
        emb = model.embed(batch)
        feats = adapter(batch["motion_windows"][None])[0].split([2, 4])
        tokens = llm.get_input_embeddings()(batch["input_ids"])
    for row, k in enumerate((2, 4)):
        where = pos[row].nonzero().flatten()
        assert len(where) == k and torch.allclose(emb[row, where], feats[row])
        other = ~pos[row]
        assert torch.equal(emb[row, other], tokens[row, other])
    loss = model(**batch)["loss"]
    loss.backward()
    assert torch.isfinite(loss)
    assert adapter.mlp[0].weight.grad is not None and adapter.mlp[0].weight.grad.abs().sum() > 0
