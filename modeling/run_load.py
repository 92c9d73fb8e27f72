"""Loading a trained run for generation, timed part by part (``infer_report.json``'s ``load_parts``).

A cached load of a small model is mostly fixed costs: Python imports, the CUDA context, reading the
weights. ``load_run`` overlaps the CUDA context with the imports and the tokenizer (a thread makes it
through the driver API, which does not hold the GIL; torch's own lazy init would), reads the weights
straight onto the device (no CPU copy), and merges LoRA there.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import PrerequisiteError

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


def _retain_primary_context(ordinal: int) -> None:
    """cuInit and the device's primary context through the driver API (``ctypes`` releases the GIL
    during each call, so Python imports go on meanwhile); torch later finds the context made."""
    import ctypes

    cuda = ctypes.CDLL("libcuda.so.1")
    dev, ctx = ctypes.c_int(), ctypes.c_void_p()
    for call, args in (
        (cuda.cuInit, (0,)),
        (cuda.cuDeviceGet, (ctypes.byref(dev), ordinal)),
        (cuda.cuDevicePrimaryCtxRetain, (ctypes.byref(ctx), dev)),
    ):
        rc = call(*args)
        if rc != 0:
            raise OSError(f"CUDA driver call failed with code {rc}")


def warm_device(device: str, clock: LoadClock | None = None) -> threading.Thread | None:
    """Start the CUDA context in a thread that overlaps the imports and the tokenizer load (the
    driver's init and the primary context: seconds on an H100 host); its seconds go to
    ``clock.parts["cuda_context_thread"]``. Best effort: on any failure torch starts it itself."""
    if not device.startswith("cuda"):
        return None
    ordinal = int(device.split(":", 1)[1]) if ":" in device else 0

    def _init() -> None:
        t0 = time.perf_counter()
        try:
            _retain_primary_context(ordinal)
        except (OSError, AttributeError) as exc:  # no libcuda here: torch's own lazy init
            log.debug("CUDA warm-up skipped: %s", exc)
        if clock is not None:
            clock.parts["cuda_context_thread"] = round(time.perf_counter() - t0, 3)

    t = threading.Thread(target=_init, name="cuda-context", daemon=True)
    t.start()
    return t


def load_run(
    run: str | Path,
    *,
    device: str = "cpu",
    bf16: bool = False,
    merge: bool = True,
    clock: LoadClock | None = None,
) -> tuple[Any, Any, dict]:
    """(model, tokenizer, adapter spec) of a trained run (or a merged one); LoRA is merged into
    the LLM in memory unless ``merge=False``. ``clock`` records the parts' seconds."""
    import torch

    from modeling.config import load_run_config
    from modeling.model import (
        LORA_DIR,
        MERGED_DIR,
        build_motion_lm,
        load_adapter_weights,
        load_llm,
        load_tokenizer,
        make_adapter,
        read_adapter_spec,
    )

    clock = clock or LoadClock()
    warm = warm_device(device, clock)
    run = Path(run)
    cfg = load_run_config(run)
    spec = read_adapter_spec(run)
    dtype = torch.bfloat16 if bf16 else torch.float32
    clock.mark("run_config")
    import transformers  # noqa: F401  (its import apart from the tokenizer's reading)

    clock.mark("import_transformers")
    tok = load_tokenizer(cfg.model, cfg.gguf_file)
    clock.mark("tokenizer")
    if warm is not None:
        warm.join()
        torch.cuda.init()  # torch's own part, on the context the thread made
        clock.mark("cuda_context_wait")
    opts = dict(dtype=dtype, attn=cfg.attn_implementation, device=device)
    if (run / MERGED_DIR).is_dir():
        llm = load_llm(str(run / MERGED_DIR), **opts)
        clock.mark("llm")
    else:
        llm = load_llm(cfg.model, cfg.gguf_file, **opts)
        clock.mark("llm")
        if (run / LORA_DIR).is_dir():
            from peft import PeftModel

            llm = PeftModel.from_pretrained(llm, str(run / LORA_DIR))
            if merge:
                llm = llm.merge_and_unload()  # fewer kernels per generated token
            clock.mark("lora")
    adapter = make_adapter(spec)
    load_adapter_weights(adapter, run)
    model = build_motion_lm(llm, adapter).to(device=device)
    model.adapter.to(dtype=dtype)
    model.eval()
    clock.mark("adapter_to_device")
    return model, tok, spec
