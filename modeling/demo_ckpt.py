"""DEMO / LLaVA-style checkpoints (41xu/DEMO) to a compmo run folder that ``compmo-infer`` runs.

DEMO's model (``model/m2t_arch.py``, ``model/builder/mm_projector.py``) is a Llama whose inner
model holds ``vision_tower = Sequential(Linear(motion_dim, mlp_hidden), ReLU, Linear(mlp_hidden,
mm_hidden_size), Dropout)`` and ``mm_projector = Linear(mm_hidden_size, hidden_size)``: exactly
compmo's adapter (``mlp.0``, ``mlp.2``, ``proj``). Three layouts are read:

* ``merged``: ``train.py``'s final stage-2 save (LoRA merged): ``config.json`` (``model_type
  m2t_llama``), weights with ``model.vision_tower.*`` / ``model.mm_projector.*`` beside the LLM's;
* ``lora``: LLaVA's LoRA save: ``adapter_config.json``, ``adapter_model.safetensors|bin`` and
  ``non_lora_trainables.bin`` (``base_model.model.model.vision_tower.*``, ``...mm_projector.*``),
  plus the base LLM (``--base``, default the adapter's ``base_model_name_or_path``);
* ``stage1``: ``mm_projector.bin`` (``model.vision_tower.*``, ``model.mm_projector.*``) and ``--base``.

The saved ``config.json`` has ``motion_dim``/``mlp_hidden`` as None (DEMO's ``inference.py`` takes
them from ``--motion_dim``) and ``pretrain_mm`` as an absolute path of the training machine: sizes
are read from the weights, ``pretrain_mm`` is never opened. ``.bin`` files are read with
``torch.load(weights_only=True)``. The run folder gets DEMO's prompt and decoding (``prompt.json``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import CompmoError
from compmo_gen.core.io import load_json
from modeling.demo_prompt import PROMPT_FILE, demo_prompt_spec
from modeling.staging import check_new_folder, staged_folder

log = logging.getLogger(__name__)

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "generation_config.json")  # fmt: skip
_ADAPTER_KEYS = {"vision_tower.0": "mlp.0", "vision_tower.2": "mlp.2", "mm_projector": "proj"}
_WINDOW_DIM = 16 * 22 * 3


class DemoCheckpointError(CompmoError, ValueError):
    """A checkpoint folder that is not a usable DEMO checkpoint (one line, names the file)."""


def detect_layout(ckpt: Path) -> str:
    """``merged``, ``lora`` or ``stage1`` from the files present."""
    if not ckpt.is_dir():
        raise DemoCheckpointError(f"{ckpt}: not a folder")
    if (ckpt / "non_lora_trainables.bin").is_file() or (ckpt / "adapter_config.json").is_file():
        return "lora"
    if any(ckpt.glob("*.safetensors")) and (ckpt / "config.json").is_file():
        return "merged"
    if (ckpt / "mm_projector.bin").is_file():
        return "stage1"
    raise DemoCheckpointError(
        f"{ckpt}: no DEMO checkpoint files (config.json + *.safetensors, adapter_config.json + "
        f"non_lora_trainables.bin, or mm_projector.bin)"
    )


#: Sizes read from a checkpoint's JSON files are refused outside 1..MAX_SIZE.
MAX_SIZE = 1 << 24


def _json(path: Path) -> dict[str, Any]:
    """A JSON object file (missing, FIFO, bad JSON, huge numbers, deep nesting: one line)."""
    obj = load_json(path)
    if not isinstance(obj, dict):
        raise DemoCheckpointError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    return obj


def _size(cfg: dict[str, Any], key: str, where: Path | str, default: int | None = None) -> int:
    """A positive integer field of a checkpoint's JSON (``default`` when absent or null)."""
    value = cfg.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
        shown = json.dumps(value)[:40] if not isinstance(value, (dict, list)) else type(value).__name__  # fmt: skip
        raise DemoCheckpointError(
            f"{where}: field {key!r}: expected an integer in 1..{MAX_SIZE}, got {shown}"
        )
    return value


def _reason(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def load_weights(path: Path) -> dict[str, Any]:
    """Tensors of a ``.safetensors`` file or a ``.bin`` state dict (restricted unpickler); any
    file that does not read as one (garbage, truncated, pickled code, not a dict of tensors) is a
    one-line :class:`DemoCheckpointError`."""
    import torch

    _regular(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 (a hostile file may fail in any parser layer)
        raise DemoCheckpointError(f"{path}: unreadable weights ({_reason(exc)})") from None
    if not isinstance(sd, dict):
        raise DemoCheckpointError(f"{path}: expected a state dict, got {type(sd).__name__}")
    return sd


def _regular(path: Path) -> None:
    """``path`` is a regular file (not a folder, FIFO or device that would hang a read)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise DemoCheckpointError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise DemoCheckpointError(f"{path}: not a regular file")


def _check_safetensors(path: Path) -> list[str]:
    """The tensor names of a safetensors file whose header reads (garbage: one line)."""
    from safetensors import safe_open

    _regular(path)
    try:
        with safe_open(str(path), framework="pt") as st:
            return list(st.keys())
    except Exception as exc:  # noqa: BLE001 (a hostile file may fail in any parser layer)
        raise DemoCheckpointError(f"{path}: unreadable safetensors ({_reason(exc)})") from None


def _vision_from_safetensors(ckpt: Path) -> dict[str, Any]:
    from safetensors import safe_open

    out = {}
    for f in sorted(ckpt.glob("*.safetensors")):
        _check_safetensors(f)
        try:
            with safe_open(str(f), framework="pt") as st:
                out.update({k: st.get_tensor(k) for k in st.keys() if "vision_tower" in k or "mm_projector" in k})  # fmt: skip
        except Exception as exc:  # noqa: BLE001 (truncated data behind a valid header)
            raise DemoCheckpointError(f"{f}: unreadable safetensors ({_reason(exc)})") from None
    return out


def adapter_state(sd: dict[str, Any], where: str) -> dict[str, Any]:
    """compmo adapter state (``mlp.0``, ``mlp.2``, ``proj``) from DEMO/LLaVA key names."""
    import torch

    out = {}
    for key, value in sd.items():
        for src, dst in _ADAPTER_KEYS.items():
            mark = f"{src}."
            if isinstance(key, str) and mark in key:
                if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                    raise DemoCheckpointError(f"{where}: {key}: expected a float tensor, got {type(value).__name__}")  # fmt: skip
                if not bool(torch.isfinite(value).all()):
                    raise DemoCheckpointError(f"{where}: {key}: holds NaN or infinite values")
                out[f"{dst}.{key.split(mark, 1)[1]}"] = value.detach().float().contiguous()
    want = [f"{m}.{p}" for m in _ADAPTER_KEYS.values() for p in ("weight", "bias")]
    missing = [k for k in want if k not in out]
    if missing:
        raise DemoCheckpointError(
            f"{where}: no {missing[0].replace('mlp.', 'vision_tower.').replace('proj.', 'mm_projector.')} "
            f"(keys: {', '.join(list(sd)[:4])}): not a DEMO 'mlp' vision tower"
        )
    return {k: out[k] for k in want}


def _check_shapes(state: dict[str, Any], hidden_size: int, where: str) -> dict[str, int]:
    for name, value in state.items():
        want = 2 if name.endswith(".weight") else 1
        if value.dim() != want or 0 in value.shape:
            raise DemoCheckpointError(
                f"{where}: {name.replace('mlp.', 'vision_tower.').replace('proj.', 'mm_projector.')}: "
                f"shape {tuple(value.shape)}, expected a non-empty {want}-D tensor"
            )
    w0, w2, wp = state["mlp.0.weight"], state["mlp.2.weight"], state["proj.weight"]
    for layer in ("mlp.0", "mlp.2", "proj"):
        if state[f"{layer}.bias"].shape[0] != state[f"{layer}.weight"].shape[0]:
            raise DemoCheckpointError(f"{where}: {layer}: bias and weight sizes differ")
    if w0.shape[1] != _WINDOW_DIM:
        raise DemoCheckpointError(
            f"{where}: motion_dim {w0.shape[1]}: compmo feeds windows of 16 frames x 22 joints x 3 "
            f"= {_WINDOW_DIM} values (DEMO's --motion_dim 1056); other inputs cannot be mapped"
        )
    if w2.shape[1] != w0.shape[0] or wp.shape[1] != w2.shape[0] or wp.shape[0] != hidden_size:
        raise DemoCheckpointError(
            f"{where}: adapter shapes {tuple(w0.shape)}, {tuple(w2.shape)}, {tuple(wp.shape)} do not "
            f"chain into the LLM's hidden size {hidden_size}"
        )
    return {"mlp_hidden": int(w0.shape[0]), "mm_hidden_size": int(w2.shape[0])}


def rotate_inputs_y_to_z_up(state: dict[str, Any]) -> None:
    """Fold DEMO ``inference.py``'s ``rotate_y_up_to_z_up`` into the first layer (in place)."""
    import torch

    rot = torch.tensor([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
    w = state["mlp.0.weight"]
    state["mlp.0.weight"] = (w.reshape(w.shape[0], -1, 3) @ rot).reshape(w.shape).contiguous()


def _llama_config(cfg: dict[str, Any]) -> dict[str, Any]:
    drop = {"mm_vision_tower", "mm_hidden_size", "motion_dim", "mlp_hidden", "pretrain_mm", "use_mm_proj", "mm_projector_type", "mm_patch_merge_type", "mm_projector_lr", "mm_use_start_end", "tune_mm_mlp_adapter", "freeze_mm_mlp_adapter", "tokenizer_padding_size", "tokenizer_model_max_length"}  # fmt: skip
    out = {k: v for k, v in cfg.items() if k not in drop}
    out.update(model_type="llama", architectures=["LlamaForCausalLM"])
    return out


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def import_demo(
    ckpt: str | Path, out: str | Path, *, base: str | None = None, rotate_z_up: bool = False
) -> dict[str, Any]:
    """Write a compmo run folder ``out`` from a DEMO checkpoint; returns what was done."""
    import torch
    from safetensors.torch import save_file

    from modeling.config import build_config, save_config
    from modeling.model import ADAPTER_CONFIG, ADAPTER_WEIGHTS, LORA_DIR, MERGED_DIR

    ckpt = Path(ckpt)
    out = check_new_folder(out, "run folder")
    layout = detect_layout(ckpt)
    cfg_path = ckpt / "config.json"
    demo_cfg = _json(cfg_path) if cfg_path.is_file() else {}
    fixed = [k for k in ("motion_dim", "mlp_hidden") if k in demo_cfg and demo_cfg[k] is None]
    if layout == "merged":
        sd, where = _vision_from_safetensors(ckpt), str(ckpt / "*.safetensors")
    elif layout == "lora":
        where = str(ckpt / "non_lora_trainables.bin")
        if not Path(where).is_file():
            raise DemoCheckpointError(f"{where}: missing (the adapter weights of a LoRA save)")
        sd = load_weights(Path(where))
    else:
        where = str(ckpt / "mm_projector.bin")
        sd = load_weights(Path(where))
    state = adapter_state(sd, where)
    peft_cfg = _json(ckpt / "adapter_config.json") if layout == "lora" else {}
    if layout == "lora":
        lora_r = _size(peft_cfg, "r", ckpt / "adapter_config.json", 128)
        lora_alpha = _size(peft_cfg, "lora_alpha", ckpt / "adapter_config.json", 256)
        lora_file = ckpt / "adapter_model.safetensors"
        if lora_file.exists():
            _check_safetensors(lora_file)
        elif not (ckpt / "adapter_model.bin").exists():
            raise DemoCheckpointError(f"{ckpt}: no adapter_model.safetensors or adapter_model.bin (the LoRA weights)")  # fmt: skip
    else:
        lora_r, lora_alpha = 128, 256
    max_length = _size(demo_cfg, "tokenizer_model_max_length", cfg_path, 3072)
    if layout != "merged":
        base = base or peft_cfg.get("base_model_name_or_path")
        if not isinstance(base, str) or not base or not Path(base).is_dir():
            raise DemoCheckpointError(
                f"{ckpt}: a {layout} checkpoint needs the base LLM folder: pass --base "
                f"(the Llama-3.1-8B-Instruct folder DEMO was trained on); got {base!r}"
            )
        base_cfg = _json(Path(base) / "config.json")
        hidden = _size(base_cfg, "hidden_size", Path(base) / "config.json")
    else:
        hidden = _size(demo_cfg, "hidden_size", cfg_path)
    sizes = _check_shapes(state, hidden, where)
    if rotate_z_up:
        rotate_inputs_y_to_z_up(state)
    with staged_folder(out, "run folder") as tmp:
        save_file(state, str(tmp / ADAPTER_WEIGHTS))
        spec = {"d_model": hidden, "hidden": sizes["mlp_hidden"], "out_hidden": sizes["mm_hidden_size"], "pos_embedding": False, "max_windows": 1024, "center_windows": False, "window": 16, "stride": 8}  # fmt: skip
        (tmp / ADAPTER_CONFIG).write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        if layout == "merged":
            model_dir = tmp / MERGED_DIR
            model_dir.mkdir()
            (model_dir / "config.json").write_text(json.dumps(_llama_config(demo_cfg), indent=1) + "\n", encoding="utf-8")  # fmt: skip
            for f in [*ckpt.glob("*.safetensors"), *ckpt.glob("*.safetensors.index.json"), *(ckpt / n for n in _TOKENIZER_FILES)]:  # fmt: skip
                if f.is_file():
                    _link_or_copy(f, model_dir / f.name)
            model = str(out.resolve() / MERGED_DIR)
        else:
            model = str(Path(base).resolve())
        if layout == "lora":
            lora = tmp / LORA_DIR
            lora.mkdir()
            (lora / "adapter_config.json").write_text(json.dumps({**peft_cfg, "base_model_name_or_path": model}, indent=1) + "\n", encoding="utf-8")  # fmt: skip
            src = ckpt / "adapter_model.safetensors"
            if src.is_file():
                _link_or_copy(src, lora / src.name)
            else:
                lw = load_weights(ckpt / "adapter_model.bin")
                save_file({k: v.contiguous() for k, v in lw.items() if isinstance(v, torch.Tensor)}, str(lora / "adapter_model.safetensors"))  # fmt: skip
        cfg = build_config(
            stage="stage2", model=model, train_file=f"demo:{ckpt}", output_dir=str(out),
            adapter_hidden=sizes["mlp_hidden"], lora_r=lora_r, lora_alpha=lora_alpha,
            model_max_length=max_length,
        )  # fmt: skip
        save_config(cfg, tmp / "config.yaml")
        (tmp / PROMPT_FILE).write_text(json.dumps(demo_prompt_spec(), indent=1) + "\n", encoding="utf-8")  # fmt: skip
        report = {
            "checkpoint": str(ckpt), "layout": layout, "base": base, "hidden_size": hidden, **sizes,
            "config_none_fields_filled_from_weights": fixed,
            "pretrain_mm_ignored": demo_cfg.get("pretrain_mm"), "rotate_z_up": rotate_z_up,
        }  # fmt: skip
        (tmp / "demo_import.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    log.info("%s: %s checkpoint -> %s", ckpt, layout, out)
    return report
