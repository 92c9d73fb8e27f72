"""The DEMO model: a causal LM whose motion placeholder positions receive adapter tokens.

``MotionLM`` takes the batches of ``modeling.batch`` (one sample format, two layouts):
``embed`` splices the adapter's motion tokens in at ``motion_index``, ``forward`` returns
``{"loss": ...}`` computed by ``modeling.fast_step.step_loss`` (the default step for a padded
batch, the fast step for a packed one) and ``generate`` runs from a left-padded batch.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import ConfigError, PrerequisiteError

log = logging.getLogger(__name__)

ADAPTER_WEIGHTS = "motion_adapter.safetensors"
ADAPTER_CONFIG = "motion_adapter.json"
LORA_DIR = "lora"
MERGED_DIR = "llm"


def pick_attention(requested: str = "auto") -> str:
    """``flash_attention_2`` when requested or (auto) installed with a GPU, else PyTorch SDPA."""
    if requested != "auto":
        return requested
    import torch

    if importlib.util.find_spec("flash_attn") is not None and torch.cuda.is_available():
        return "flash_attention_2"
    return "sdpa"


def resolve_model(model: str, gguf_file: str | None = None) -> tuple[str, str | None]:
    """(folder, gguf file name or None) from a HF folder, a folder with one .gguf, or a .gguf."""
    p = Path(model)
    if p.is_file() and p.suffix == ".gguf":
        return str(p.parent), p.name
    if not p.is_dir():
        raise PrerequisiteError(f"model {model!r}: no such folder or .gguf file")
    if gguf_file is None and not (p / "config.json").is_file():
        ggufs = sorted(x.name for x in p.glob("*.gguf"))
        if len(ggufs) == 1:
            return str(p), ggufs[0]
        raise PrerequisiteError(f"model {model!r}: no config.json and not exactly one .gguf file")
    return str(p), gguf_file


def load_tokenizer(model: str, gguf_file: str | None = None) -> Any:
    from transformers import AutoTokenizer

    path, gguf = resolve_model(model, gguf_file)
    if gguf:  # converted once, then read from the cache (modeling/model_cache.py)
        from modeling.model_cache import cached_tokenizer

        hit = cached_tokenizer(Path(path) / gguf)
        path, gguf = (str(hit), None) if hit else (path, gguf)
    kwargs = {"gguf_file": gguf} if gguf else {}
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True, **kwargs)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_llm(
    model: str, gguf_file: str | None = None, *, dtype: Any = None, attn: str = "auto"
) -> Any:
    """Load a causal LM from local files only (safetensors / GGUF; never pickles)."""
    from transformers import AutoModelForCausalLM

    from modeling import model_cache

    path, gguf = resolve_model(model, gguf_file)
    source = Path(path) / gguf if gguf else None
    hit = model_cache.cached(source, dtype) if source else None
    if hit:  # converted once already (modeling/model_cache.py)
        path, gguf = str(hit), None
    kwargs: dict[str, Any] = {"gguf_file": gguf} if gguf else {"use_safetensors": True}
    if not gguf and not any(Path(path).glob("*.safetensors")):
        raise PrerequisiteError(
            f"{path}: no *.safetensors weights (compmo loads safetensors or GGUF, never pickled *.bin)"
        )
    from safetensors import SafetensorError

    try:
        llm = AutoModelForCausalLM.from_pretrained(
            path,
            local_files_only=True,
            dtype=dtype,
            attn_implementation=pick_attention(attn),
            **kwargs,
        )
    except SafetensorError as exc:  # a truncated or corrupted weights file
        raise PrerequisiteError(f"{path}: model weights not readable ({exc})") from None
    check_architecture(llm, model)
    model_cache.drop_gguf_quantization(llm)  # also cache folders written before it was dropped
    if gguf and source is not None:
        model_cache.store(llm, source, dtype)
    log.info("loaded %s (%s, %s)", model, llm.dtype, llm.config._attn_implementation)
    return llm


def check_architecture(llm: Any, model: str) -> None:
    """Refuse a causal LM whose decoder does not keep its blocks in ``.layers`` (GPT-2's ``.h``)."""
    from torch import nn

    get = getattr(llm, "get_decoder", None)
    layers = getattr(get(), "layers", None) if callable(get) else None
    if not isinstance(layers, nn.ModuleList):
        kind = getattr(llm.config, "model_type", type(llm).__name__)
        raise PrerequisiteError(
            f"model {model!r}: architecture {kind!r} is not supported (compmo needs a decoder-only "
            "LM whose decoder blocks are `model.layers`: the Llama family, e.g. SmolLM2, Llama-3)"
        )


def build_motion_lm(llm: Any, adapter: Any) -> Any:
    import torch
    from torch import nn

    class MotionLM(nn.Module):
        """Adapter + LLM; ``forward(**batch)`` returns ``{"loss"}`` (what the Trainer reads)."""

        #: Whether the Trainer passes ``num_items_in_batch`` (and then treats the loss as
        #: normalised over the accumulated micro-batches). True only for the packed path.
        accepts_loss_kwargs = False

        def __init__(self) -> None:
            super().__init__()
            self.llm = llm
            self.adapter = adapter

        def embed(self, batch: dict[str, Any]) -> torch.Tensor:
            """Input embeddings of a padded or packed ``modeling.batch`` batch."""
            from modeling.batch import embed_batch

            return embed_batch(self.llm, self.adapter, batch)

        def forward(self, **batch: Any) -> dict[str, Any]:
            """``{"loss"}`` of a batch: the fast step when packed, else the default step."""
            from modeling.fast_step import step_loss

            num_items = batch.pop("num_items_in_batch", None)
            loss = step_loss(self.llm, self.adapter, batch, num_items_in_batch=num_items)
            return {"loss": loss}

        @torch.no_grad()
        def generate(self, batch: dict[str, Any], **kw: Any) -> torch.Tensor:
            """``llm.generate`` from a left-padded batch (``collate_padded``)."""
            emb = self.embed(batch)
            crit = kw.get("stopping_criteria")
            if isinstance(crit, list) and hasattr(self.llm, "can_generate"):  # transformers
                from transformers import StoppingCriteriaList

                kw["stopping_criteria"] = StoppingCriteriaList(crit)
            return self.llm.generate(
                inputs_embeds=emb, attention_mask=batch["attention_mask"], **kw
            )

    return MotionLM()


def adapter_spec(cfg: Any, d_model: int) -> dict[str, Any]:
    from modeling.adapter import STRIDE, WINDOW

    return {
        "d_model": d_model,
        "hidden": cfg.adapter_hidden,
        "pos_embedding": cfg.pos_embedding,
        "max_windows": cfg.max_windows,
        "center_windows": cfg.center_windows,
        "time_stamps": cfg.time_stamps,
        "window": WINDOW,
        "stride": STRIDE,
    }


def make_adapter(spec: dict[str, Any]) -> Any:
    from modeling.adapter import build_adapter

    return build_adapter(
        spec["d_model"],
        hidden=spec["hidden"],
        out_hidden=spec.get("out_hidden", spec["hidden"]),
        pos_embedding=spec["pos_embedding"],
        max_windows=spec["max_windows"],
    )


def save_adapter(adapter: Any, spec: dict[str, Any], out: Path) -> None:
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().cpu().contiguous() for k, v in adapter.state_dict().items()}
    save_file(state, str(out / ADAPTER_WEIGHTS))
    (out / ADAPTER_CONFIG).write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")


def load_adapter_weights(adapter: Any, run: Path) -> None:
    from safetensors.torch import load_file

    path = run / ADAPTER_WEIGHTS
    if not path.is_file():
        raise ConfigError(f"{path}: no motion adapter weights (not a trained run folder?)")
    missing, unexpected = adapter.load_state_dict(load_file(str(path)), strict=False)
    bad = [k for k in missing if not k.startswith("pos.")] + list(unexpected)
    if bad:
        raise ConfigError(f"{path}: adapter weights do not match ({', '.join(bad[:3])})")
    if missing:
        log.info("%s has no positional embedding; it starts from its initialisation", path)


def read_adapter_spec(run: Path) -> dict[str, Any]:
    path = run / ADAPTER_CONFIG
    if not path.is_file():
        raise ConfigError(f"{path}: not a trained run folder (no adapter config)")
    from compmo_gen.core.io import load_json

    spec = load_json(path)  # not a regular file, bad JSON, limits: one line
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: adapter config is not a JSON object")
    return spec
