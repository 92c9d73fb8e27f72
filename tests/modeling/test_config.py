from __future__ import annotations

from pathlib import Path

import pytest

from modeling.config import ConfigError, build_config, load_run_config, save_config


def test_yaml_then_overrides_then_kwargs(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text(
        "model: m\ntrain_file: t.json\nlearning_rate: 5e-5\nlora_targets: [q_proj, v_proj]\n"
    )
    cfg = build_config(y, ["batch_size=4", "bf16=true", "lora_r=8"], stage="stage2")
    assert cfg.learning_rate == 5e-5 and cfg.batch_size == 4 and cfg.bf16 is True
    assert cfg.lora_targets == ["q_proj", "v_proj"] and cfg.stage == "stage2" and cfg.lora_r == 8
    cfg = build_config(y, ["lora_targets=q_proj,k_proj", "deepspeed=none"])
    assert cfg.lora_targets == ["q_proj", "k_proj"] and cfg.deepspeed is None


def test_round_trip_through_run_folder(tmp_path: Path) -> None:
    cfg = build_config(None, ["model=m", "train_file=t", f"output_dir={tmp_path}", "epochs=2.5"])
    save_config(cfg, tmp_path / "config.yaml")
    assert load_run_config(tmp_path) == cfg


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("nope=1", "nope: unknown config key"),
        ("batch_size=x", "batch_size: expected int"),
        ("bf16=maybe", "bf16: expected true/false"),
        ("stage=stage3", "stage: must be one of"),
        ("batch_size", "expected key=value"),
        ("warmup_ratio=1.5", "warmup_ratio"),
    ],
)
def test_bad_values_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(None, ["model=m", "train_file=t", override])


def test_missing_required_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model: required"):
        build_config(None, ["train_file=t"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        build_config(bad)


def test_shipped_configs_parse() -> None:
    root = Path(__file__).resolve().parents[2] / "modeling" / "configs"
    for name in ("train_stage1.yaml", "train_stage2.yaml"):
        cfg = build_config(root / name, ["model=m"])
        assert cfg.train_file


def test_deepspeed_configs_are_valid() -> None:
    import json

    from transformers.integrations.deepspeed import HfDeepSpeedConfig

    root = Path(__file__).resolve().parents[2] / "scripts"
    for stage in (2, 3):
        cfg = json.loads((root / f"zero{stage}.json").read_text())
        assert cfg["zero_optimization"]["stage"] == stage
        assert cfg["bf16"]["enabled"] == "auto" and cfg["train_micro_batch_size_per_gpu"] == "auto"
        ds = HfDeepSpeedConfig(cfg)
        assert ds.is_zero3() == (stage == 3)
