"""The GPU speed scripts' CPU-checkable parts: the shaped random model and the 8B-speed table."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_shaped_random_model_in_bf16(tmp_path: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from modeling.tiny import SHAPES, make_tiny_llm

    shape = dict(SHAPES["tiny"], model_vocab=1000, rope_theta=500000.0)
    out = make_tiny_llm(tmp_path / "m", ["walks forward", "waves"], bf16=True, **shape)
    cfg = AutoConfig.from_pretrained(out)
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.vocab_size) == (64, 2, 1000)
    assert cfg.rope_parameters["rope_theta"] == 500000.0
    model = AutoModelForCausalLM.from_pretrained(out, dtype=None)
    assert next(model.parameters()).dtype == torch.bfloat16
    assert torch.get_default_dtype() == torch.float32  # restored
    # the real shapes are those of the published configs
    assert SHAPES["llama-3.1-8b"]["intermediate"] == 14336
    assert SHAPES["smollm2-135m"]["hidden"] == 576


def test_8b_speed_table(tmp_path: Path) -> None:
    from scripts.train_8b_speed_table import main

    base = {"optimizer_steps": 12, "tokens_per_s": 1633.0, "first_step_s": 3.6, "train_loss": 11.7}
    (tmp_path / "plain.json").write_text(
        json.dumps({**base, "steady_tokens_per_s": 3000.0, "autotune": {"chosen": {}}})
    )
    chosen = {"packing": True, "compile": True, "tokens_per_step": 7168}
    (tmp_path / "auto.json").write_text(
        json.dumps({**base, "steady_tokens_per_s": 12000.0, "autotune": {"chosen": chosen}})
    )
    table = main(tmp_path).splitlines()
    assert len(table) == 4  # head, rule, two runs (the missing variant is left out)
    assert "| padded | 3,000.0 | 1.00x |" in table[2]
    assert "packed 7168 tokens, compiled | 12,000.0 | 4.00x |" in table[3]


def test_gpu_scripts_parse() -> None:
    for name in (
        "gpu_cli.sh",
        "gpu_train_8b_speed.sh",
        "gpu_infer_load.sh",
        "gpu_infer_decoders.sh",
        "gpu_multitrack_run.sh",
    ):
        assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / name)]).returncode == 0


def test_one_definition_of_the_8b_shape() -> None:
    """The throughput harness and the shaped random models read the same shape: 8.03 B params."""
    from transformers import LlamaConfig

    from benchmarks.harness import PRESETS
    from modeling.resources import count_params
    from modeling.tiny import llama_dims

    dims = llama_dims("llama-3.1-8b")
    assert {k: PRESETS["llama8b"][k] for k in dims} == dims
    assert count_params(LlamaConfig(**dims, tie_word_embeddings=False)) == 8_030_261_248
    assert llama_dims("tiny", vocab_size=2048)["intermediate_size"] == 128


def test_bench_decoders_on_a_tiny_model(tmp_path: Path, capsys) -> None:
    from modeling.tiny import make_tiny_llm
    from scripts.bench_decoders import main

    out = make_tiny_llm(tmp_path / "m", ["walks forward", "waves both hands"] * 10)
    assert main([str(out), "--batch", "3", "--prompt", "12", "--new", "5", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0])["same"] is True
    assert lines[-1].startswith("| compmo-llama |") and lines[-2].startswith("| transformers |")


def test_loss_curves_table_compares_runs_step_by_step(tmp_path: Path, capsys) -> None:
    from scripts.loss_curves_table import main as curves_main

    for name, losses, fp8 in (("a", [2.0, 1.5, 1.0], "off"), ("b", [2.1, 1.5, 0.9], "rowwise")):
        run = tmp_path / name
        run.mkdir()
        hist = [{"loss": v, "step": i + 1} for i, v in enumerate(losses)] + [{"train_loss": 1}]
        (run / "log_history.json").write_text(json.dumps(hist))
        (run / "train_report.json").write_text(json.dumps({"fp8_base": {"mode": fp8}}))
    assert curves_main([str(tmp_path / "a"), str(tmp_path / "b"), "--names", "bf16,fp8"]) == 0
    out = capsys.readouterr().out
    assert "| 1 | 2.000 | 2.100 | +0.100 |" in out and "| 3 | 1.000 | 0.900 | -0.100 |" in out
    assert "| mean | 1.5000 | 1.5000 | +0.0000 |" in out and "'rowwise'" in out
    assert curves_main([str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
    assert "missing: no log_history.json" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    for text, says in (
        ("[1, 2", "not valid JSON"),
        ('{"step": 1}', "expected a list of log records"),
        ('[{"step": 1, "loss": NaN}]', "record '0': field 'loss': not a finite number"),
        ('[{"step": "1", "loss": 1.0}]', "record '0': field 'step': not a step number"),
        ('[{"step": 7, "loss": 1.0}]', "no step logged by every run"),
    ):
        (bad / "log_history.json").write_text(text)
        assert curves_main([str(tmp_path / "a"), str(bad)]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1, err
