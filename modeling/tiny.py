"""A tiny random Llama and a tokenizer trained on the fly: the whole pipeline on a CPU in seconds.

Used by the tests and handy for trying the CLI without downloading anything. The model is random
(hidden 64, 2 layers): it learns the tiny data it is trained on, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from compmo_gen.prompts import STAGE1_PROMPT, STAGE2_SYSTEM, STAGE2_USER
from modeling.prompting import FALLBACK_CHAT_TEMPLATE

SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>"]


def make_tiny_llm(
    out: str | Path,
    corpus: Iterable[str] = (),
    *,
    hidden: int = 64,
    layers: int = 2,
    vocab_size: int = 600,
    seed: int = 0,
) -> Path:
    """Write a HF folder (config, safetensors, tokenizer with a ChatML template) to ``out``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    texts = [STAGE1_PROMPT, STAGE2_SYSTEM, STAGE2_USER, "system user assistant 0123456789:,-."]
    texts += list(corpus)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
    )
    fast.chat_template = FALLBACK_CHAT_TEMPLATE
    fast.save_pretrained(str(out))
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = fast.eos_token_id
    model.generation_config.pad_token_id = fast.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    return out
