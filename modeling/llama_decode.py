"""A compact Llama-family decoder for greedy generation: compmo-infer's light path.

Importing transformers' model classes takes 5-7 s on the lent GPU hosts (``results/infer_load.md``:
its generation, tensor-parallel and compile modules pull in scikit-learn, sympy and
``torch.distributed.tensor``), longer than loading a small model. For a plain Llama-layout model
(``model_type: llama``, SiLU MLP, no biases, RoPE default or ``llama3``; SmolLM2 and Llama-3.x)
and greedy decoding, ``LlamaDecoder`` reads the safetensors weights itself and generates from the
motion-spliced input embeddings with a static KV cache. Its maths are transformers' Llama in the
same order (float32 RMSNorm, float32 rotary tables cast to the model's dtype, SDPA); the tests
compare its greedy tokens with ``transformers`` ``generate`` on random models. Anything else
(another architecture, sampling) loads through transformers as before (``load_run``).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from compmo_gen.core.errors import PrerequisiteError

log = logging.getLogger(__name__)

#: Largest width, head count or layer count, and vocabulary, of a model the decoder takes (a
#: config beyond them is not a real model: it is left to transformers to refuse).
MAX_DIM, MAX_VOCAB = 1 << 20, 1 << 24
#: ``rope_scaling`` types implemented here (None: plain RoPE).
ROPE_TYPES = (None, "default", "llama3")


def _rope_type(cfg: dict[str, Any]) -> str | None:
    scaling = cfg.get("rope_scaling") or cfg.get("rope_parameters")
    if not isinstance(scaling, dict):
        return None
    return scaling.get("rope_type", scaling.get("type"))


def supported(cfg: dict[str, Any]) -> bool:
    """Whether ``config.json``'s content describes a model this decoder computes exactly (a
    malformed one is not: it goes to transformers, which reports it)."""
    try:
        hidden, heads, kv_heads, head_dim, ffn, vocab, _ = dims(cfg)
        layers = int(cfg["num_hidden_layers"])
        sizes = (hidden, heads, kv_heads, head_dim, ffn, layers)
        shape_ok = (
            all(0 < v <= MAX_DIM for v in sizes)
            and 0 < vocab <= MAX_VOCAB
            and heads % kv_heads == 0
        )
        return (
            shape_ok
            and cfg.get("model_type") == "llama"
            and cfg.get("hidden_act", "silu") == "silu"
            and not cfg.get("attention_bias", False)
            and not cfg.get("mlp_bias", False)
            and int(cfg.get("pretraining_tp", 1) or 1) == 1
            and _rope_type(cfg) in ROPE_TYPES
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return False


def read_json(path: str | Path) -> dict[str, Any] | None:
    """A model folder's JSON object file (``config.json``...) through the shared reader (one-line
    error for a directory, FIFO, truncated or malformed file); None when absent or not an object."""
    from compmo_gen.core.io import load_json

    path = Path(path)
    if not path.exists():
        return None
    data = load_json(path)
    return data if isinstance(data, dict) else None


def dims(cfg: dict[str, Any]) -> tuple[int, int, int, int, int, int, float]:
    """(hidden, heads, kv heads, head dim, FFN width, vocabulary, RMSNorm eps) of a config."""
    hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or hidden // heads)
    eps = float(cfg.get("rms_norm_eps", 1e-6))
    return (
        hidden,
        heads,
        kv_heads,
        head_dim,
        int(cfg["intermediate_size"]),
        int(cfg["vocab_size"]),
        eps,
    )


def inv_freq(cfg: dict[str, Any], head_dim: int) -> Any:
    """RoPE inverse frequencies (float32), with ``llama3`` scaling when configured."""
    import torch

    scaling = cfg.get("rope_scaling") or cfg.get("rope_parameters") or {}
    theta = float(cfg.get("rope_theta", scaling.get("rope_theta", 10000.0)))
    steps = torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim
    freq = 1.0 / (theta**steps)
    if _rope_type(cfg) != "llama3":
        return freq
    factor = float(scaling["factor"])
    low, high = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
    old = float(scaling["original_max_position_embeddings"])
    wavelen = 2 * math.pi / freq
    scaled = torch.where(wavelen > old / low, freq / factor, freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < old / high) * ~(wavelen > old / low)
    return torch.where(medium, smoothed, scaled)


def _rms_norm(x: Any, weight: Any, eps: float) -> Any:
    import torch

    h = x.to(torch.float32)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)


def _rotate_half(x: Any) -> Any:
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def build_decoder(cfg: dict[str, Any], *, dtype: Any, device: Any = "cpu") -> Any:
    """An empty ``LlamaDecoder`` of ``cfg``'s shape (parameter names as transformers')."""
    import torch
    from torch import nn

    hidden, heads, kv_heads, head_dim, ffn, vocab, eps = dims(cfg)

    class Weight(nn.Module):
        """A bare weight (no initialisation: on "meta" torch's init ops would import dynamo)."""

        def __init__(self, *shape: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.empty(*shape, dtype=dtype, device=device))

    class Linear(Weight):
        def forward(self, x: Any) -> Any:
            return nn.functional.linear(x, self.weight)

    class Embedding(Weight):
        def forward(self, ids: Any) -> Any:
            return nn.functional.embedding(ids, self.weight)

    def linear(i: int, o: int) -> nn.Module:
        return Linear(o, i)

    def layer() -> nn.Module:
        m = nn.Module()
        m.self_attn = nn.Module()
        m.self_attn.q_proj = linear(hidden, heads * head_dim)
        m.self_attn.k_proj = linear(hidden, kv_heads * head_dim)
        m.self_attn.v_proj = linear(hidden, kv_heads * head_dim)
        m.self_attn.o_proj = linear(heads * head_dim, hidden)
        m.mlp = nn.Module()
        m.mlp.gate_proj, m.mlp.up_proj = linear(hidden, ffn), linear(hidden, ffn)
        m.mlp.down_proj = linear(ffn, hidden)
        m.input_layernorm, m.post_attention_layernorm = Weight(hidden), Weight(hidden)
        return m

    class LlamaDecoder(nn.Module):
        """Llama decoder: ``generate`` from input embeddings (greedy, static KV cache)."""

        def __init__(self) -> None:
            super().__init__()
            self.config = SimpleNamespace(**cfg)
            self.generation_config = SimpleNamespace(eos_token_id=cfg.get("eos_token_id"))
            self.model = nn.Module()
            self.model.embed_tokens = Embedding(vocab, hidden)
            self.model.layers = nn.ModuleList(layer() for _ in range(int(cfg["num_hidden_layers"])))
            self.model.norm = Weight(hidden)
            self.tied = bool(cfg.get("tie_word_embeddings", False))
            if not self.tied:
                self.lm_head = linear(hidden, vocab)
            self.register_buffer("inv_freq", inv_freq(cfg, head_dim).to(device), persistent=False)

        @property
        def dtype(self) -> Any:
            return self.model.embed_tokens.weight.dtype

        def get_input_embeddings(self) -> nn.Module:
            return self.model.embed_tokens

        def head_weight(self) -> Any:
            return self.model.embed_tokens.weight if self.tied else self.lm_head.weight

        def rope(self, pos: Any) -> tuple[Any, Any]:
            freqs = pos[..., None].float() * self.inv_freq.float()  # (B, T, D/2), float32
            emb = torch.cat((freqs, freqs), dim=-1)
            return emb.cos().to(self.dtype)[:, None], emb.sin().to(self.dtype)[:, None]

        def attend(self, i: int, x: Any, cos: Any, sin: Any, cache: list[Any], at: int, mask: Any):
            a = self.model.layers[i].self_attn
            b, t, _ = x.shape
            q = a.q_proj(x).view(b, t, heads, head_dim).transpose(1, 2)
            k = a.k_proj(x).view(b, t, kv_heads, head_dim).transpose(1, 2)
            v = a.v_proj(x).view(b, t, kv_heads, head_dim).transpose(1, 2)
            q, k = q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin
            ck, cv = cache[i]
            ck[:, :, at : at + t], cv[:, :, at : at + t] = k, v
            keys, values = ck[:, :, : at + t], cv[:, :, : at + t]
            rep = heads // kv_heads
            if t == 1 and rep > 1:  # one query: its heads as rows against the shared K/V heads
                out = nn.functional.scaled_dot_product_attention(
                    q.reshape(b, kv_heads, rep, head_dim), keys, values, mask, scale=head_dim**-0.5
                ).reshape(b, heads, 1, head_dim)
            else:
                if rep > 1:
                    keys = keys.repeat_interleave(rep, dim=1)
                    values = values.repeat_interleave(rep, dim=1)
                out = nn.functional.scaled_dot_product_attention(
                    q, keys, values, mask, scale=head_dim**-0.5
                )
            return a.o_proj(out.transpose(1, 2).reshape(b, t, heads * head_dim))

        def step(self, h: Any, pos: Any, cache: list[Any], at: int, mask: Any) -> Any:
            """Hidden states ``h`` (B, T, D) at positions ``pos`` written into the cache at
            ``at``; returns the float32 logits of the last position."""
            cos, sin = self.rope(pos)
            for i, m in enumerate(self.model.layers):
                h = h + self.attend(
                    i, _rms_norm(h, m.input_layernorm.weight, eps), cos, sin, cache, at, mask
                )
                x = _rms_norm(h, m.post_attention_layernorm.weight, eps)
                f = m.mlp
                h = h + f.down_proj(nn.functional.silu(f.gate_proj(x)) * f.up_proj(x))
            h = _rms_norm(h[:, -1:], self.model.norm.weight, eps)
            return nn.functional.linear(h[:, 0], self.head_weight()).float()

        @torch.no_grad()
        def generate(
            self,
            inputs_embeds: Any,
            attention_mask: Any,
            *,
            max_new_tokens: int,
            eos_token_id: Any,
            pad_token_id: int,
            do_sample: bool = False,
            stopping_criteria: Any = None,
            **_: Any,
        ) -> Any:
            """Greedy tokens after a left-padded prompt, (B, steps); a finished row continues
            with ``pad_token_id`` (transformers' ``generate`` output for input embeddings)."""
            if do_sample:
                raise ValueError("LlamaDecoder generates greedily only")
            dev = inputs_embeds.device
            b, t0, _ = inputs_embeds.shape
            total = t0 + max_new_tokens
            cache = [
                tuple(
                    torch.empty(b, kv_heads, total, head_dim, dtype=self.dtype, device=dev)
                    for _ in range(2)
                )
                for _ in self.model.layers
            ]
            real = torch.zeros(b, total, dtype=torch.bool, device=dev)
            real[:, :t0] = attention_mask.bool()
            pos = (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 1)
            rows = torch.arange(t0, device=dev)
            mask = (rows[None, :] <= rows[:, None])[None, None] & real[:, None, None, :t0]
            mask = mask | (rows[None, :] == rows[:, None])[None, None]  # no empty row (padding)
            eos = torch.tensor(
                eos_token_id if isinstance(eos_token_id, list) else [eos_token_id], device=dev
            )
            logits = self.step(inputs_embeds.to(self.dtype), pos, cache, 0, mask)
            nxt_pos = pos[:, -1:] + 1
            alive = torch.ones(b, dtype=torch.bool, device=dev)
            out: list[Any] = []
            for n in range(max_new_tokens):
                tok = torch.where(alive, logits.argmax(-1), pad_token_id)
                out.append(tok)
                alive = alive & ~torch.isin(tok, eos)
                if stopping_criteria:
                    ids = torch.stack(out, dim=1)
                    for crit in stopping_criteria:
                        alive = alive & ~crit(ids, logits)
                if n == max_new_tokens - 1 or not bool(alive.any()):
                    break
                at = t0 + n
                real[:, at] = True
                step_mask = real[:, None, None, : at + 1]
                emb = self.model.embed_tokens(tok[:, None])
                logits = self.step(emb, nxt_pos, cache, at, step_mask)
                nxt_pos = nxt_pos + 1
            return torch.stack(out, dim=1)

    return LlamaDecoder()


def load_decoder(folder: str | Path, *, dtype: Any, device: Any = "cpu") -> Any:
    """A ``LlamaDecoder`` with the safetensors weights of a transformers Llama folder."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    cfg = read_json(folder / "config.json")
    if cfg is None or not supported(cfg):
        raise PrerequisiteError(f"{folder}: not a plain Llama model folder (config.json)")
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise PrerequisiteError(f"{folder}: no .safetensors weights")
    from compmo_gen.core.io import require_regular

    state: dict[str, Any] = {}
    for f in files:
        require_regular(f, limit=1 << 40)  # a directory or FIFO: one line, never a hang
        try:
            state.update(load_file(str(f), device=str(device)))
        except (OSError, SafetensorError) as exc:
            raise PrerequisiteError(f"{f}: model weights not readable ({exc})") from None
    gen = read_json(folder / "generation_config.json") or {}
    return decoder_from_state(
        cfg, state, dtype=dtype, device=device, eos=gen.get("eos_token_id"), where=str(folder)
    )


def decoder_from_state(
    cfg: dict[str, Any],
    state: dict[str, Any],
    *,
    dtype: Any,
    device: Any,
    eos: Any = None,
    where: str = "model",
) -> Any:
    """A ``LlamaDecoder`` of ``cfg`` whose parameters are ``state``'s tensors (transformers'
    names; no copy when they already have ``dtype``). Weights the model does not use are ignored,
    as transformers does; a missing or misshapen one is a one-line error naming ``where``."""
    model = build_decoder(cfg, dtype=dtype, device="meta")
    if model.tied:
        state = {k: v for k, v in state.items() if k != "lm_head.weight"}
    wanted = model.state_dict().keys()
    extra = sorted(k for k in state if k not in wanted)
    missing = sorted(k for k in wanted if k not in state)
    if missing:
        raise PrerequisiteError(
            f"{where}: weights do not match config.json (missing {missing[:3]}, {len(missing)} in all)"
        )
    if extra:
        log.info("%s: %d weights not used by the model (%s...)", where, len(extra), extra[0])
    try:
        model.load_state_dict({k: state[k].to(dtype) for k in wanted}, strict=True, assign=True)
    except RuntimeError as exc:  # a tensor of another shape than config.json gives
        first = str(exc).strip().splitlines()[-1].strip()
        raise PrerequisiteError(f"{where}: weights do not match config.json ({first})") from None
    model.inv_freq = inv_freq(cfg, dims(cfg)[3]).to(device)  # the buffer was built on "meta"
    if eos is not None:
        model.generation_config.eos_token_id = eos
    return model.eval()
