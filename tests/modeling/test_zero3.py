"""The packed step under DeepSpeed ZeRO-3 on a CPU (one process, gloo): the same loss and
gradient norm as without DeepSpeed (scripts/zero3.json), and a run folder with the whole trained
weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("deepspeed")
torch = pytest.importorskip("torch")

from compmo_gen.cli import main as gen_main  # noqa: E402
from modeling.cli import train_main  # noqa: E402

#: The shipped ZeRO-3 config (its "auto" entries are filled in from the run by compmo-train).
ZERO3 = Path(__file__).resolve().parents[2] / "scripts" / "zero3.json"


@pytest.fixture
def one_process_group(monkeypatch):
    """The launcher's environment for one rank; afterwards the environment (the Trainer sets
    ``ACCELERATE_USE_DEEPSPEED`` and friends), the process group and the global DeepSpeed config
    are restored, so later tests in this process train without DeepSpeed."""
    import os
    import socket

    with socket.socket() as sock:  # a free port: other jobs on the machine may hold a fixed one
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    saved = dict(os.environ)
    for key, value in {
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
        "RANK": "0",
        "LOCAL_RANK": "0",
        "WORLD_SIZE": "1",
    }.items():
        monkeypatch.setenv(key, value)
    yield
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    os.environ.update(saved)
    from accelerate.state import AcceleratorState
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    unset_hf_deepspeed_config()
    AcceleratorState._reset_state(reset_partial_state=True)
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def _first_log(run: Path) -> dict:
    state = json.loads((run / "checkpoint-1" / "trainer_state.json").read_text())
    return next(e for e in state["log_history"] if "grad_norm" in e)


def test_packed_step_under_zero3_matches_plain_process(
    tiny_llm: Path, tiny_dataset: Path, tmp_path: Path, one_process_group
) -> None:
    from safetensors.numpy import load_file

    assert gen_main(["stage-json", "stage2", "--dataset", str(tiny_dataset), "-q"]) == 0
    ds = ZERO3
    common = ["stage2", "--model", str(tiny_llm), "--train-file", str(tiny_dataset / "stage2.json")]
    common += ["--num-workers", "0", "--lora-r", "4", "--lora-alpha", "8", "--save-steps", "1"]
    common += ["--max-steps", "1", "--packing", "true", "--lora-dropout", "0", "-q"]
    common += ["--tokens-per-step", "4096", "--learning-rate", "1e-3"]
    logs = {}
    for name, extra in (("plain", []), ("zero3", ["--deepspeed", str(ds)])):
        run = tmp_path / name
        assert train_main([*common, "--output-dir", str(run), *extra]) == 0
        logs[name] = _first_log(run)
    assert (tmp_path / "zero3" / "checkpoint-1" / "global_step1").is_dir()  # DeepSpeed ran
    assert float(logs["zero3"]["loss"]) == pytest.approx(float(logs["plain"]["loss"]), rel=1e-5)
    assert float(logs["zero3"]["grad_norm"]) == pytest.approx(
        float(logs["plain"]["grad_norm"]), rel=1e-4
    )
    for name in ("motion_adapter.safetensors", "lora/adapter_model.safetensors"):
        plain = load_file(str(tmp_path / "plain" / name))
        zero3 = load_file(str(tmp_path / "zero3" / name))
        assert set(plain) == set(zero3)
        for key, value in plain.items():
            assert zero3[key].shape == value.shape and value.size > 0, key
