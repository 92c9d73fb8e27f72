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
import tempfile
from pathlib import Path
from typing import Any

from compmo_gen.core.errors import CompmoError
from modeling.demo_prompt import PROMPT_FILE, demo_prompt_spec

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


def _json(path: Path) -> dict[str, Any]:
    from compmo_gen.core.io import load_json

    try:
        obj = load_json(path)
    except ValueError as exc:  # not a regular file, bad JSON, limits
        raise DemoCheckpointError(f"unreadable ({exc})") from None
    if not isinstance(obj, dict):
        raise DemoCheckpointError(f"{path}: expected a JSON object")
    return obj


def load_weights(path: Path) -> dict[str, Any]:
    """Tensors of a ``.safetensors`` file or a ``.bin`` state dict (restricted unpickler)."""
    import torch

    from compmo_gen.core.io import require_regular

    try:
        require_regular(path)  # a FIFO or device would block or never end
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError) as exc:
        raise DemoCheckpointError(f"{path}: unreadable weights ({str(exc).splitlines()[0]})") from None  # fmt: skip
    if not isinstance(sd, dict):
        raise DemoCheckpointError(f"{path}: expected a state dict")
    return sd


def _vision_from_safetensors(ckpt: Path) -> dict[str, Any]:
    from safetensors import safe_open

    out = {}
    for f in sorted(ckpt.glob("*.safetensors")):
        with safe_open(str(f), framework="pt") as st:
            out.update({k: st.get_tensor(k) for k in st.keys() if "vision_tower" in k or "mm_projector" in k})  # fmt: skip
    return out


def adapter_state(sd: dict[str, Any], where: str) -> dict[str, Any]:
    """compmo adapter state (``mlp.0``, ``mlp.2``, ``proj``) from DEMO/LLaVA key names."""
    out = {}
    for key, value in sd.items():
        for src, dst in _ADAPTER_KEYS.items():
            mark = f"{src}."
            if mark in key:
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
    w0, w2, wp = state["mlp.0.weight"], state["mlp.2.weight"], state["proj.weight"]
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

    ckpt, out = Path(ckpt), Path(out)
    if os.path.lexists(out) and (not out.is_dir() or any(out.iterdir())):
        raise DemoCheckpointError(
            f"{out}: exists and is not an empty folder (choose a new run folder)"
        )
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
    if layout != "merged":
        base = base or peft_cfg.get("base_model_name_or_path")
        if not base or not Path(base).is_dir():
            raise DemoCheckpointError(
                f"{ckpt}: a {layout} checkpoint needs the base LLM folder: pass --base "
                f"(the Llama-3.1-8B-Instruct folder DEMO was trained on); got {base!r}"
            )
        base_cfg = _json(Path(base) / "config.json")
        hidden = int(base_cfg.get("hidden_size", 0))
    else:
        hidden = int(demo_cfg.get("hidden_size", 0))
    sizes = _check_shapes(state, hidden, where)
    if rotate_z_up:
        rotate_inputs_y_to_z_up(state)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
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
            adapter_hidden=sizes["mlp_hidden"], lora_r=int(peft_cfg.get("r", 128)),
            lora_alpha=int(peft_cfg.get("lora_alpha", 256)),
            model_max_length=int(demo_cfg.get("tokenizer_model_max_length") or 3072),
        )  # fmt: skip
        save_config(cfg, tmp / "config.yaml")
        (tmp / PROMPT_FILE).write_text(json.dumps(demo_prompt_spec(), indent=1) + "\n", encoding="utf-8")  # fmt: skip
        report = {
            "checkpoint": str(ckpt), "layout": layout, "base": base, "hidden_size": hidden, **sizes,
            "config_none_fields_filled_from_weights": fixed,
            "pretrain_mm_ignored": demo_cfg.get("pretrain_mm"), "rotate_z_up": rotate_z_up,
        }  # fmt: skip
        (tmp / "demo_import.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("%s: %s checkpoint -> %s", ckpt, layout, out)
    return report
