"""Loading a trained run for generation, timed part by part (``infer_report.json``'s ``load_parts``).

A cached load of a small model is mostly fixed costs: on the lent H100/H200 hosts
(``results/infer_load.md``) the ``tokenizer`` part, which imports transformers' auto classes, took
5-9 s of a 7.7-13 s ``load_s``, reading the cached weights 0.2-0.4 s, the LoRA merge about 1 s.
Two changes were measured there together and dropped: reading the weights straight onto the GPU
(``device_map``) and making the CUDA context early in a GIL-free thread (it took 0.1 s) gave no
measurable load gain and generation ran 15 % slower (3.2-3.3 against 3.7-3.8 sequences/s).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import CompmoError, ConfigError, PrerequisiteError

log = logging.getLogger(__name__)


def pick_device(device: str) -> str:
    """``auto``: CUDA when available, else the CPU; a CUDA device that is not there is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise PrerequisiteError(f"--device {device}: no CUDA device is available")
    return device


class LoadClock:
    """Seconds of each part of a load, in order (``parts``)."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self._t = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.parts[name] = round(self.parts.get(name, 0.0) + now - self._t, 3)
        self._t = now


def load_run(
    run: str | Path,
    *,
    device: str = "cpu",
    bf16: bool = False,
    merge: bool = True,
    clock: LoadClock | None = None,
    light: bool = False,
) -> tuple[Any, Any, dict]:
    """(model, tokenizer, adapter spec) of a trained run (or a merged one); LoRA is merged into
    the LLM in memory unless ``merge=False``. ``clock`` records the parts' seconds.

    ``light``: for greedy generation, a supported Llama becomes ``modeling.llama_decode``'s
    decoder, read from the merged-model cache when it is there (``modeling.light_load``)."""
    import torch

    from modeling import light_load
    from modeling.config import load_run_config
    from modeling.model import (
        build_motion_lm,
        load_adapter_weights,
        make_adapter,
        read_adapter_spec,
    )

    clock = clock or LoadClock()
    run = Path(run)
    cfg = load_run_config(run)
    spec = read_adapter_spec(run)
    _check_lora(run, cfg.stage)
    dtype = torch.bfloat16 if bf16 else torch.float32
    clock.mark("run_config")
    folder = light_load.light_folder(run, cfg.model, cfg.gguf_file, dtype) if light else None
    if folder is not None:
        from modeling.llama_decode import load_decoder

        try:
            tok = light_load.load_tokenizer(folder)
            clock.mark("tokenizer")
            llm = load_decoder(folder, dtype=dtype)
            clock.mark("llm")
        except (PrerequisiteError, OSError, ValueError) as exc:
            light_load.drop_damaged(folder, exc)
            folder = None
    if folder is None:
        llm, tok = _full_load(run, cfg, dtype, merge=merge or light, clock=clock)
        if light and (dec := light_load.decoder_from(llm)) is not None:
            light_load.store(llm, tok, light_load.merged_dir(run, cfg.model, cfg.gguf_file, dtype))
            llm = dec
            clock.mark("light_decoder")
    adapter = make_adapter(spec)
    with unreadable_as_error(run / "motion_adapter.safetensors"):
        load_adapter_weights(adapter, run)
    clock.mark("adapter")
    model = build_motion_lm(llm, adapter).to(device=device)  # the CUDA context starts here
    model.adapter.to(dtype=dtype)
    model.eval()
    clock.mark("to_device")
    return model, tok, spec


def _check_lora(run: Path, stage: str) -> None:
    """A run's LoRA folder holds regular files (a FIFO blocked the load forever); a stage-2 run
    without one (an imported stage-1 checkpoint, an adapter-only run) generates with the base
    LLM, said in a warning rather than silently."""
    from compmo_gen.core.io import require_regular
    from modeling.model import LORA_DIR, MERGED_DIR

    lora = run / LORA_DIR
    if (run / MERGED_DIR).is_dir():
        return
    if lora.exists() or lora.is_symlink():
        if not lora.is_dir():
            raise ConfigError(f"{lora}: not a folder (a run keeps its LoRA weights there)")
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            require_regular(lora / name)
    elif stage == "stage2":
        log.warning("%s: no LoRA folder: generating with the base LLM and the run's adapter", run)


@contextlib.contextmanager
def unreadable_as_error(path: Path) -> Iterator[None]:
    """Failures of reading a run's weights or adapter files (truncated or edited safetensors,
    a malformed ``adapter_config.json``, shapes that do not fit the model) as one ConfigError
    naming ``path``, not a library's traceback."""
    import pickle

    from safetensors import SafetensorError

    try:
        yield
    except (
        ValueError, KeyError, TypeError, RuntimeError, OSError, SafetensorError,
        pickle.UnpicklingError,
    ) as exc:  # fmt: skip
        if isinstance(exc, CompmoError):
            raise
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        raise ConfigError(f"{path}: unreadable ({type(exc).__name__}: {reason})") from None


def _full_load(
    run: Path, cfg: Any, dtype: Any, *, merge: bool, clock: LoadClock
) -> tuple[Any, Any]:
    """The LLM through transformers (LoRA through PEFT, merged unless ``merge=False``)."""
    import transformers  # noqa: F401  (its import apart from the tokenizer's reading)

    from modeling.model import LORA_DIR, MERGED_DIR, load_llm, load_tokenizer

    clock.mark("import_transformers")
    tok = load_tokenizer(cfg.model, cfg.gguf_file)
    clock.mark("tokenizer")
    opts = dict(dtype=dtype, attn=cfg.attn_implementation)
    if (run / MERGED_DIR).is_dir():
        llm = load_llm(str(run / MERGED_DIR), **opts)
        clock.mark("llm")
    else:
        llm = load_llm(cfg.model, cfg.gguf_file, **opts)
        clock.mark("llm")
        if (run / LORA_DIR).is_dir():
            from peft import PeftModel

            with unreadable_as_error(run / LORA_DIR):
                llm = PeftModel.from_pretrained(llm, str(run / LORA_DIR))
            if merge:
                llm = llm.merge_and_unload()  # fewer kernels per generated token
            clock.mark("lora")
    return llm, tok
