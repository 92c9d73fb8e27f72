"""The multi-GPU launch path, proven on a CPU: ``torchrun --nproc_per_node 2 -m modeling.cli_entry
train stage2 ...`` on the gloo backend trains with the same per-step losses as one process on the
same global batch (two packed micro-batches: one per process, or two accumulated in one), and a
1-process run resumes from the 2-process checkpoint, reaching the loss of an uninterrupted run.

The same launch with DeepSpeed ZeRO-2 (its CPU accelerator) gives the same losses, and its
checkpoint files load through the safe loader (``modeling/safe_checkpoint.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compmo_gen.cli import main as gen_main
from modeling.cli import train_main

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("torch.distributed")


def _opts(data: Path, llm: Path, out: Path, steps: int) -> list[str]:
    return [
        "--model", str(llm), "--train-file", str(data), "--output-dir", str(out),
        "--num-workers", "0", "--max-steps", str(steps), "--packing", "true",
        "--tokens-per-step", "600", "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0",
        "--learning-rate", "1e-3", "--lr-scheduler", "constant", "--logging-steps", "1",
        "--save-steps", "1", "--save-total-limit", "5", "--bf16", "false", "--seed", "3", "-q",
    ]  # fmt: skip


def _losses(run: Path, step: int) -> list[float]:
    state = json.loads((run / f"checkpoint-{step}" / "trainer_state.json").read_text())
    return [h["loss"] for h in state["log_history"] if "loss" in h]


def _torchrun(tmp: Path, opts: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "COMPMO_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]  # fmt: skip
    proc = subprocess.run(
        [*torchrun, "-m", "modeling.cli_entry", "train", "stage2", *opts],
        env=env, cwd=tmp, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def baseline(tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The stage file and one process's per-step losses (two micro-batches accumulated)."""
    from modeling.tiny import make_tiny_dataset

    tmp = tmp_path_factory.mktemp("mp")
    ds = make_tiny_dataset(tmp / "ds", n_train=16, n_test=1)
    assert gen_main(["stage-json", "stage2", "--dataset", str(ds), "-q"]) == 0
    data = ds / "stage2.json"
    one = tmp / "one"
    assert train_main(["stage2", *_opts(data, tiny_llm, one, 3), "--grad-accum", "2"]) == 0
    return {"data": data, "losses": _losses(one, 3), "tmp": tmp}


def test_torchrun_two_processes_equal_one_and_resume_in_one(
    baseline: dict, tiny_llm: Path, tmp_path: Path
) -> None:
    data, expect = baseline["data"], baseline["losses"]
    two = tmp_path / "two"
    _torchrun(tmp_path, _opts(data, tiny_llm, two, 2))
    report2 = json.loads((two / "train_report.json").read_text())
    assert report2["optimizer_steps"] == 2 and report2["examples"] == 16
    assert _losses(two, 2) == pytest.approx(expect[:2], rel=1e-4)
    # resume the 2-process run in one process for its third step
    resumed = tmp_path / "resumed"
    shutil.copytree(two, resumed)
    opts = _opts(data, tiny_llm, resumed, 3)
    assert train_main(["stage2", *opts, "--grad-accum", "2", "--resume", "auto"]) == 0
    assert json.loads((resumed / "train_report.json").read_text())["optimizer_steps"] == 3
    assert _losses(resumed, 3) == pytest.approx(expect, rel=1e-4)


def test_torchrun_deepspeed_zero2_on_cpu_equals_one_process_and_resumes(
    baseline: dict, tiny_llm: Path, tmp_path: Path
) -> None:
    """DeepSpeed ZeRO-2 (the stage-2 YAML's scripts/zero2.json) with its CPU accelerator and gloo:
    the same per-step losses; its checkpoint files load through the safe loader, and a resumed
    2-process run (DeepSpeed's loads go through it) reaches the uninterrupted run's third loss."""
    pytest.importorskip("deepspeed")
    from modeling.safe_checkpoint import safe_load

    data, expect = baseline["data"], baseline["losses"]
    z2 = tmp_path / "z2"
    zero2 = ["--deepspeed", str(REPO / "scripts" / "zero2.json")]
    _torchrun(tmp_path, [*_opts(data, tiny_llm, z2, 2), *zero2])
    assert json.loads((z2 / "deepspeed_config.json").read_text())["zero_optimization"]["stage"] == 2
    assert _losses(z2, 2) == pytest.approx(expect[:2], rel=1e-4)
    states = sorted((z2 / "checkpoint-2").glob("global_step2/*.pt"))
    assert len(states) == 3  # model states + one optimizer partition per process
    for path in states:
        assert isinstance(safe_load(str(path)), dict)  # DeepSpeed's own classes pass
    _torchrun(tmp_path, [*_opts(data, tiny_llm, z2, 3), *zero2, "--resume", "auto"])
    assert _losses(z2, 3) == pytest.approx(expect, rel=1e-4)
