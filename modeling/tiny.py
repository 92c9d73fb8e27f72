"""A tiny random Llama and a tokenizer trained on the fly: the whole pipeline on a CPU in seconds.

Used by the tests and handy for trying the CLI without downloading anything. The model is random
(hidden 64, 2 layers): it learns the tiny data it is trained on, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from compmo_gen.core.prompts import STAGE1_PROMPT, STAGE2_SYSTEM, STAGE2_USER
from modeling.prompting import FALLBACK_CHAT_TEMPLATE

SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>"]


#: Real models' shapes for speed measurements with random weights (``make_tiny_llm(**SHAPES[k])``).
SHAPES: dict[str, dict[str, Any]] = {
    "tiny": dict(hidden=64, layers=2, heads=4, kv_heads=2),
    "smollm2-135m": dict(
        hidden=576, layers=30, heads=9, kv_heads=3, intermediate=1536, model_vocab=49152
    ),
    "llama-3.1-8b": dict(
        hidden=4096,
        layers=32,
        heads=32,
        kv_heads=8,
        intermediate=14336,
        model_vocab=128256,
        rope_theta=500000.0,
    ),
}


def llama_dims(shape: str, **override: Any) -> dict[str, Any]:
    """``SHAPES[shape]`` as ``LlamaConfig`` keyword arguments (``make_tiny_llm``'s defaults where
    the shape is silent), with ``override`` on top."""
    s = SHAPES[shape]
    hidden = s.get("hidden", 64)
    dims = dict(
        hidden_size=hidden,
        intermediate_size=s.get("intermediate") or hidden * 2,
        num_hidden_layers=s.get("layers", 2),
        num_attention_heads=s.get("heads", 4),
        num_key_value_heads=s.get("kv_heads", 2),
        vocab_size=s.get("model_vocab"),
        rope_theta=s.get("rope_theta", 10000.0),
    )
    return {**dims, **override}


def make_tiny_llm(
    out: str | Path,
    corpus: Iterable[str] = (),
    *,
    hidden: int = 64,
    layers: int = 2,
    vocab_size: int = 600,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
    model_vocab: int | None = None,
    seed: int = 0,
    rope_theta: float | None = None,
    device: str = "cpu",
    bf16: bool = False,
) -> Path:
    """Write a HF folder (config, safetensors, tokenizer with a ChatML template) to ``out``.

    ``model_vocab`` (default: the tokenizer's size) may be larger, e.g. to time a random model
    with a real model's shape (``SHAPES``). ``device`` / ``bf16``: where and in which precision the
    random weights are made and saved (a Llama-3.1-8B shape: 16 GB in bf16, seconds on a GPU).
    """
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
    extra = {"rope_theta": rope_theta} if rope_theta else {}
    config = LlamaConfig(
        vocab_size=max(len(fast), model_vocab or 0),
        hidden_size=hidden,
        intermediate_size=intermediate or hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=4096,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        tie_word_embeddings=False,
        **extra,
    )
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16 if bf16 else torch.float32)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(old)
    model.generation_config.eos_token_id = fast.eos_token_id
    model.generation_config.pad_token_id = fast.pad_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    return out


TINY_CAPTIONS = (
    "a person walks forward",
    "someone jumps in place",
    "a man waves his left hand",
    "the person sits down",
    "a person turns around",
)


def make_tiny_dataset(
    root: str | Path, *, n_train: int = 24, n_test: int = 6, seed: int = 0
) -> Path:
    """A built-dataset-shaped folder (``motions/``, ``annotations/<split>.json``) of random
    motions whose segments are offset by their caption's index, so a model can tell them apart."""
    import numpy as np

    from compmo_gen.core.constants import FPS
    from compmo_gen.core.formats import dump_annotations
    from compmo_gen.core.segments import DenseAnnotation, Segment

    root = Path(root)
    (root / "motions").mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        anns = []
        for i in range(n):
            rng = np.random.default_rng(np.random.SeedSequence([seed, len(split), i]))
            vid = f"{split}{i:03d}"
            frames = [int(rng.integers(25, 45)) for _ in range(int(rng.integers(2, 4)))]
            motion = rng.normal(size=(sum(frames), 22, 3)).astype(np.float32)
            segs, t = [], 0
            for f in frames:
                c = int(rng.integers(len(TINY_CAPTIONS)))
                motion[t : t + f] += c
                segs.append(Segment(t / FPS, (t + f) / FPS, TINY_CAPTIONS[c]))
                t += f
            np.save(root / "motions" / f"{vid}.npy", motion)
            anns.append(DenseAnnotation(vid, t / FPS, tuple(segs)))
        dump_annotations(anns, root / "annotations" / f"{split}.json", fmt="anet-gt")
    return root
