"""Inference resources: auto batch size, CPU threads, and data-parallel shards that give the
single process's files byte for byte (tiny random model, CPU, greedy)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from modeling import resources


def test_auto_batch_size_follows_memory_and_kv_cache() -> None:
    # SmolLM2-135M's shape: KV cache 2 x 30 layers x 3 heads x 64 x 2 bytes = 23,040 B a token
    smol = SimpleNamespace(
        hidden_size=576,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        intermediate_size=1536,
        vocab_size=49152,
    )
    per = resources.per_sequence_bytes(smol, 1000, 500, 2)
    assert per == 23_040 * 1000 + 500 * (6 * 576 + 3 * 1536) * 2 + 2 * 49152 * 4
    free = 10 * per
    assert (
        resources.auto_batch_size(
            smol, free_bytes=free, seq_tokens=1000, prompt_tokens=500, dtype_bytes=2
        )
        == 8
    )  # 80 % of the free memory
    assert (
        resources.auto_batch_size(
            smol, free_bytes=10**15, seq_tokens=1000, prompt_tokens=500, dtype_bytes=2
        )
        == resources.MAX_AUTO_BATCH
    )
    assert (
        resources.auto_batch_size(
            smol, free_bytes=0, seq_tokens=1000, prompt_tokens=500, dtype_bytes=2
        )
        == 1
    )
    kw = dict(device="cpu", config=smol, seq_tokens=10, prompt_tokens=5, dtype_bytes=4)
    assert resources.resolve_batch_size("auto", **kw) == resources.CPU_BATCH
    assert resources.resolve_batch_size(3, **kw) == 3


def test_cpu_threads(monkeypatch) -> None:
    monkeypatch.delenv("COMPMO_THREADS", raising=False)
    monkeypatch.setattr(resources.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(resources, "usable_cores", lambda: 16)
    assert resources.cpu_threads() == 4
    assert resources.cpu_threads(4) == 4 and resources.cpu_threads(32) == 1
    monkeypatch.setattr(resources, "usable_cores", lambda: 2)
    assert resources.cpu_threads() == 2 and resources.cpu_threads(2) == 1
    assert resources.cpu_threads(2, requested=3) == 3  # --threads wins
    monkeypatch.setenv("COMPMO_THREADS", "3")
    assert resources.cpu_threads(2) == 3


def test_cli_rejects_bad_batch_size_and_shards(capsys) -> None:
    from modeling.cli import infer_main

    common = ["--run", "r", "--data", "d", "--out", "o"]
    with pytest.raises(SystemExit) as exc:
        infer_main([*common, "--batch-size", "zero"])
    assert exc.value.code == 2
    assert "expected int or auto" in capsys.readouterr().err
    assert infer_main([*common, "--shards", "0"]) == 2


@pytest.fixture(scope="module")
def untrained_run(tiny_llm: Path, tiny_dataset: Path, tmp_path_factory) -> Path:
    """A stage-2 run folder (config + random adapter) around the tiny random LLM."""
    import torch

    from compmo_gen.cli import main as gen_main
    from modeling.config import build_config, save_config
    from modeling.model import adapter_spec, make_adapter, save_adapter

    assert gen_main(["stage-json", "test", "--dataset", str(tiny_dataset), "-q"]) == 0
    run = tmp_path_factory.mktemp("run")
    cfg = build_config(model=str(tiny_llm), train_file="x", output_dir=str(run), stage="stage2")
    save_config(cfg, run / "config.yaml")
    spec = adapter_spec(cfg, 64)
    torch.manual_seed(0)
    save_adapter(make_adapter(spec), spec, run)
    return run


def test_two_shards_give_the_single_process_files_byte_for_byte(
    untrained_run: Path, tiny_dataset: Path, tmp_path: Path
) -> None:
    from modeling.cli import infer_main

    outs = {}
    for shards in (1, 2):
        outs[shards] = tmp_path / f"s{shards}"
        argv = ["--run", str(untrained_run), "--data", str(tiny_dataset / "test.json")]
        argv += ["--out", str(outs[shards]), "--max-new-tokens", "12", "--batch-size", "2"]
        assert infer_main([*argv, "--limit", "5", "--shards", str(shards), "-q"]) == 0
    for name in ("generated.json", "predictions.json"):
        assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name
    one = json.loads((outs[1] / "infer_report.json").read_text())
    two = json.loads((outs[2] / "infer_report.json").read_text())
    assert two["shards"] == 2 and two["shard_sequences"] == [3, 2]  # batches 0, 2 and 1
    assert one["examples"] == two["examples"] == 5
    assert one["new_tokens"] == two["new_tokens"] and one["generation"] == two["generation"]
    texts = [g["generated"] for g in json.loads((outs[1] / "generated.json").read_text())]
    assert any(texts)  # the random model did generate something


def test_a_failing_shard_is_one_line_error(untrained_run: Path, tmp_path: Path, capsys) -> None:
    from modeling.cli import infer_main

    argv = ["--run", str(untrained_run), "--data", str(tmp_path / "absent.json")]
    code = infer_main([*argv, "--out", str(tmp_path / "o"), "--shards", "2", "-q"])
    assert code == 2
    assert "shard" in capsys.readouterr().err
