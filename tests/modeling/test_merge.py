"""``compmo-train merge``: a run on a GGUF-converted model merges (the cache's GGUF quantization
config is dropped), folders are checked before the model loads, nothing half-written is left."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from modeling.cli import train_main


def fake_stage2_run(llm_dir: Path, run: Path, *, r: int = 4) -> Path:
    """A stage-2 run folder (config, adapter, LoRA) on ``llm_dir`` without training."""
    import torch
    from peft import LoraConfig, get_peft_model

    from modeling.config import build_config, save_config
    from modeling.model import adapter_spec, load_llm, make_adapter, save_adapter

    cfg = build_config(
        stage="stage2", model=str(llm_dir), train_file="x.json", output_dir=str(run),
        adapter_hidden=16, lora_r=r, lora_alpha=2 * r,
    )  # fmt: skip
    llm = load_llm(str(llm_dir), dtype=torch.float32, attn="sdpa")
    spec = adapter_spec(cfg, llm.config.hidden_size)
    save_adapter(make_adapter(spec), spec, run)
    save_config(cfg, run / "config.yaml")
    torch.manual_seed(0)
    peft = get_peft_model(llm, LoraConfig(r=r, lora_alpha=2 * r, target_modules=["q_proj", "v_proj"]))  # fmt: skip
    for name, p in peft.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.02)  # a LoRA that changes the weights
    peft.save_pretrained(str(run / "lora"))
    return run


@pytest.fixture(scope="module")
def gguf_like(tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model as the model cache stored GGUF conversions: config.json keeps
    ``quantization_config: {quant_method: gguf}`` (transformers then attaches its GGUF quantizer,
    whose ``save_pretrained`` refuses to run)."""
    import shutil

    folder = tmp_path_factory.mktemp("gguf_like") / "llm"
    shutil.copytree(tiny_llm, folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["quantization_config"] = {"quant_method": "gguf"}
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder


def test_merge_of_a_gguf_converted_run_saves_a_plain_model(gguf_like, tmp_path, capsys) -> None:
    import torch

    from modeling.run_load import load_run

    run = fake_stage2_run(gguf_like, tmp_path / "s2")
    out = tmp_path / "merged"
    assert train_main(["merge", str(run), "--out", str(out), "-q"]) == 0, capsys.readouterr().err
    saved = json.loads((out / "llm" / "config.json").read_text())
    assert "quantization_config" not in saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged", "s2"]  # no temp folder left
    a, _, _ = load_run(run)
    b, _, _ = load_run(out)
    assert b.llm.hf_quantizer is None if hasattr(b.llm, "hf_quantizer") else True
    ids = torch.tensor([[1, 5, 9, 3]])
    with torch.no_grad():
        assert torch.allclose(a.llm(ids).logits, b.llm(ids).logits, atol=1e-4)
    # the merged folder is a run of its own: merging it again into a new folder works too
    assert train_main(["merge", str(out), "--out", str(tmp_path / "again"), "-q"]) == 0


def test_merge_checks_folders_first_and_never_leaves_half_a_folder(
    gguf_like, tmp_path, capsys, monkeypatch
) -> None:
    import shutil

    run = fake_stage2_run(gguf_like, tmp_path / "s2")
    (tmp_path / "file").write_text("x")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    capsys.readouterr()
    cases = [
        (str(tmp_path / "nope"), str(full / "sub" / "o0"), "no such folder"),
        (str(tmp_path / "nope"), str(tmp_path / "o1"), "no such folder"),
        (str(tmp_path), str(tmp_path / "o2"), "config.yaml: not found"),
        (str(run), str(tmp_path / "file"), "not a folder"),
        (str(run), str(full), "not empty"),
    ]
    for src, out, why in cases:
        assert train_main(["merge", src, "--out", out, "-q"]) == 2
        err = capsys.readouterr().err
        assert why in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert (full / "keep.txt").read_text() == "mine"
    real_copy = shutil.copy2

    def full_disk(src, dst, *a, **k):
        if str(src).endswith("motion_adapter.safetensors"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_copy(src, dst, *a, **k)

    monkeypatch.setattr(shutil, "copy2", full_disk)
    out = tmp_path / "half"
    assert train_main(["merge", str(run), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "No space left" in err and "Traceback" not in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
