"""DeepSpeed configs: used only under a launcher or when asked; every "auto" resolved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compmo_gen.core.errors import ConfigError
from modeling.config import build_config
from modeling.zero_config import (
    launched_by_launcher,
    llm_hidden_size,
    resolve_zero_config,
    write_zero_config,
)

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _autos(node, prefix=""):
    if isinstance(node, dict):
        return [k for key, v in node.items() for k in _autos(v, f"{prefix}{key}.")]
    return [prefix.rstrip(".")] if node == "auto" else []


def test_launcher_detection() -> None:
    assert not launched_by_launcher({})
    assert not launched_by_launcher({"WORLD_SIZE": "1"})
    assert launched_by_launcher({"WORLD_SIZE": "8"})
    assert launched_by_launcher({"LOCAL_RANK": "0", "WORLD_SIZE": "1"})  # torchrun, one process


@pytest.mark.parametrize("stage", [2, 3])
def test_shipped_zero_configs_resolve_with_no_auto_left(stage: int, tmp_path: Path) -> None:
    from transformers import LlamaConfig
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

    from modeling.train import _training_args

    path = SCRIPTS / f"zero{stage}.json"
    sets = ["model=m", "train_file=t", f"output_dir={tmp_path}", "batch_size=4", "grad_accum=2"]
    cfg = build_config(None, [*sets, f"deepspeed={path}"])
    assert _autos(json.loads(path.read_text()))  # the shipped files do use "auto"
    hidden = llm_hidden_size(LlamaConfig(hidden_size=64))
    written = write_zero_config(cfg, hidden, tmp_path, world=1, steps=10, warmup_steps=1)
    resolved = json.loads(written.read_text())
    assert written == tmp_path / "deepspeed_config.json" and _autos(resolved) == []
    zero = resolved["zero_optimization"]
    assert zero["stage"] == stage and zero["reduce_bucket_size"] == 64 * 64
    assert resolved["train_batch_size"] == 8 and resolved["bf16"]["enabled"] is False
    if stage == 3:
        assert zero["stage3_prefetch_bucket_size"] == int(0.9 * 64 * 64)
        assert zero["stage3_param_persistence_threshold"] == 640
    # what the Trainer does with it: no mismatch with its arguments, and nothing left that needs
    # model.config.hidden_size (which the composite motion model does not have)
    ds = HfTrainerDeepSpeedConfig(resolved)
    ds.trainer_config_process(_training_args(cfg, 10, None))
    ds.trainer_config_finalize(_training_args(cfg, 10, None), object(), 10)
    assert ds.mismatches == [] and ds.is_zero3() == (stage == 3)


def test_unknown_auto_and_bad_files_name_the_key(tmp_path: Path) -> None:
    cfg = build_config(None, ["model=m", "train_file=t"])
    with pytest.raises(ConfigError, match=r"zero_optimization.sub_group_size: 'auto' has no value"):
        resolve_zero_config({"zero_optimization": {"sub_group_size": "auto"}}, cfg, 64)
    bad = tmp_path / "ds.json"
    bad.write_text("[1]")
    with pytest.raises(ConfigError, match=r"ds\.json: expected a JSON object"):
        resolve_zero_config(bad, cfg, 64)
    with pytest.raises(ConfigError, match="hidden_size"):
        llm_hidden_size(object())
