"""Hostile run folders, data and options for compmo-train and compmo-infer (an adversarial pass):
each is one line naming the file, record or option, exit 2, and nothing half-written; never a
library traceback, a hang, a run of NaN weights or a silently lost prediction."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main as gen_main
from modeling.cli import infer_main, train_main

SMALL = ["--adapter-hidden", "32", "--lora-r", "4", "--lora-alpha", "8", "--batch-size", "2"]
SMALL += ["--num-workers", "0", "--max-steps", "2", "--model-max-length", "512", "-q"]


@pytest.fixture(scope="module")
def runs(tiny_dataset: Path, tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("tamper")
    for kind in ("stage1", "stage2", "test"):
        assert gen_main(["stage-json", kind, "--dataset", str(tiny_dataset), "-q"]) == 0
    s1, s2 = root / "s1", root / "s2"
    base = ["--model", str(tiny_llm), *SMALL]
    assert train_main(["stage1", "--train-file", str(tiny_dataset / "stage1.json"),
                       "--output-dir", str(s1), *base]) == 0  # fmt: skip
    assert train_main(["stage2", "--train-file", str(tiny_dataset / "stage2.json"),
                       "--output-dir", str(s2), "--init-from", str(s1), *base]) == 0  # fmt: skip
    return {"s1": s1, "s2": s2, "llm": tiny_llm, "data": tiny_dataset}


def _one_line(capsys: pytest.CaptureFixture, *needles: str) -> str:
    err = [x for x in capsys.readouterr().err.strip().splitlines() if not x.startswith("WARNING")]
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert all(n in err[0] for n in needles), err[0]
    return err[0]


def _infer(run: Path, data: Path, out: Path, *extra: str) -> int:
    args = ["--run", str(run), "--data", str(data), "--out", str(out)]
    args += [] if "--max-new-tokens" in extra else ["--max-new-tokens", "8"]
    args += [] if "--device" in extra else ["--device", "cpu"]
    return infer_main([*args, "-q", *extra])


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def _edit_json(key: str, value: object):
    def edit(path: Path) -> None:
        doc = json.loads(path.read_text())
        doc[key] = value
        path.write_text(json.dumps(doc))

    return edit


TAMPER = {
    "lora-is-a-file": ("lora", lambda p: (shutil.rmtree(p), p.write_text("x")), "not a folder"),
    "lora-weights-fifo": ("lora/adapter_model.safetensors",
                          lambda p: (p.unlink(), os.mkfifo(p)), "FIFO"),
    "lora-weights-truncated": ("lora/adapter_model.safetensors", _truncate, "unreadable"),
    "lora-config-garbage": ("lora/adapter_config.json", lambda p: p.write_text("{"), "lora"),
    "lora-config-peft-type": ("lora/adapter_config.json", _edit_json("peft_type", "BOGUS"), "lora"),
    "lora-config-r-text": ("lora/adapter_config.json", _edit_json("r", "four"), "lora"),
    "adapter-truncated": ("motion_adapter.safetensors", _truncate, "motion_adapter.safetensors"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TAMPER))
def test_a_tampered_run_folder_is_one_line(runs, tmp_path, capsys, case) -> None:
    name, tamper, needle = TAMPER[case]
    run = tmp_path / "run"
    shutil.copytree(runs["s2"], run)
    tamper(run / name)
    capsys.readouterr()
    assert (
        _infer(run, runs["data"] / "test.json", tmp_path / "out", "--decoder", "transformers") == 2
    )
    _one_line(capsys, needle)
    assert not (tmp_path / "out").exists()


def test_repeated_ids_in_test_data_are_refused(runs, tmp_path, capsys) -> None:
    """Predictions are keyed by id: the second generation of an id was silently lost."""
    recs = json.loads((runs["data"] / "test.json").read_text())[:1] * 2
    data = runs["data"] / "dup.json"
    data.write_text(json.dumps(recs))
    assert _infer(runs["s2"], data, tmp_path / "out") == 2
    _one_line(capsys, "dup.json", "field 'id'", "repeated")


def test_max_new_tokens_must_leave_room_for_the_prompt(runs, tmp_path, capsys) -> None:
    assert (
        _infer(runs["s2"], runs["data"] / "test.json", tmp_path / "o", "--max-new-tokens", "600")
        == 2
    )
    _one_line(capsys, "--max-new-tokens 600", "model_max_length 512")


@pytest.mark.parametrize(
    ("option", "value"),
    [("--threads", "100000"), ("--device", "bogus"), ("--seed", str(2**70))],
)
def test_absurd_infer_options_are_usage_errors(runs, tmp_path, capsys, option, value) -> None:
    with pytest.raises(SystemExit) as exc:
        _infer(runs["s2"], runs["data"] / "test.json", tmp_path / "o", option, value)
    assert exc.value.code == 2
    _one_line(capsys, option.lstrip("-"))


def _stage2(runs: dict, train_file: Path, out: Path, *extra: str) -> int:
    return train_main(["stage2", "--model", str(runs["llm"]), "--train-file", str(train_file),
                       "--init-from", str(runs["s1"]), "--output-dir", str(out), *SMALL, *extra])  # fmt: skip


def test_a_refused_training_run_leaves_an_existing_run_as_it_was(runs, tmp_path, capsys) -> None:
    """config.yaml was written before the data was read: a refused retrain changed a good run."""
    run = tmp_path / "run"
    shutil.copytree(runs["s2"], run)
    before = (run / "config.yaml").read_bytes()
    rec = json.loads((runs["data"] / "stage2.json").read_text())[0]
    rec["conversations"] = [{"from": "human", "value": "describe"}, {"from": "gpt", "value": "x"}]
    bad = runs["data"] / "noplaceholder.json"
    bad.write_text(json.dumps([rec]))
    assert _stage2(runs, bad, run) == 2
    _one_line(capsys, "noplaceholder.json", f"record '{rec['id']}'", "conversations")
    assert (run / "config.yaml").read_bytes() == before
    assert _stage2(runs, bad, tmp_path / "new") == 2 and not (tmp_path / "new").exists()


def test_implausible_motion_is_refused_before_training(runs, tmp_path, capsys) -> None:
    """3e38 m joints overflowed to inf in float32 and trained a run of NaN weights, exit 0."""
    rec = json.loads((runs["data"] / "stage2.json").read_text())[0]
    np.save(runs["data"] / "huge.npy", np.full((60, 22, 3), 3e38, np.float32))
    rec["motion"] = "huge.npy"
    data = runs["data"] / "huge.json"
    data.write_text(json.dumps([rec]))
    assert _stage2(runs, data, tmp_path / "r") == 2
    _one_line(capsys, "huge.json", "field 'motion'", "joint coordinates beyond")


def test_a_diverged_run_is_not_saved(runs, tmp_path, capsys) -> None:
    out = tmp_path / "r"
    assert _stage2(runs, runs["data"] / "stage2.json", out, "--learning-rate", "1e300") == 2
    _one_line(capsys, "training diverged", "NaN or infinite")
    assert not (out / "motion_adapter.safetensors").exists() and not (out / "lora").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--lr-scheduler", "bogus"), ("--attn-implementation", "bogus"), ("--seed", str(2**32)),
     ("--adapter-hidden", "100000000000")],
)  # fmt: skip
def test_training_options_that_crashed_later_are_refused_at_once(runs, tmp_path, capsys, option, value) -> None:  # fmt: skip
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as exc:
        _stage2(runs, runs["data"] / "stage2.json", out, option, value)
    assert exc.value.code == 2 and not out.exists()
    _one_line(capsys, option.lstrip("-").replace("-", "_"))


def test_a_damaged_merged_model_cache_config_is_rebuilt(runs, tmp_path, capsys) -> None:
    from modeling import model_cache

    data = runs["data"] / "test.json"
    assert _infer(runs["s2"], data, tmp_path / "a") == 0
    merged = model_cache.cache_root() / "merged"
    folders = [f for f in merged.iterdir() if (f / "tokenizer_config.json").is_file()]
    assert folders
    for folder in folders:
        (folder / "tokenizer_config.json").write_text("{")
    assert _infer(runs["s2"], data, tmp_path / "b") == 0
    assert (tmp_path / "a" / "generated.json").read_bytes() == (
        tmp_path / "b" / "generated.json"
    ).read_bytes()


def test_an_edited_merged_model_cache_entry_is_rebuilt(runs, tmp_path, caplog) -> None:
    """A cache config.json edited to fewer layers loaded part of the weights without a word."""
    import torch

    from modeling import light_load

    data = runs["data"] / "test.json"
    assert _infer(runs["s2"], data, tmp_path / "a") == 0
    folder = light_load.merged_dir(runs["s2"], str(runs["llm"]), None, torch.float32)
    cfg = json.loads((folder / "config.json").read_text())
    layers, cfg["num_hidden_layers"] = cfg["num_hidden_layers"], 1
    (folder / "config.json").write_text(json.dumps(cfg))
    assert _infer(runs["s2"], data, tmp_path / "b") == 0
    assert "changed since it was written: rebuilt" in caplog.text
    assert (tmp_path / "a" / "generated.json").read_bytes() == (
        tmp_path / "b" / "generated.json"
    ).read_bytes()
    assert json.loads((folder / "config.json").read_text())["num_hidden_layers"] == layers


def test_a_refused_checkpoint_on_resume_is_one_line_and_other_failures_keep_theirs() -> None:
    import pickle

    from modeling.staging import resume_problem

    refused = pickle.UnpicklingError("Weights only load failed ... GLOBAL posix.system")
    assert "not plain tensors" in resume_problem(refused, "r/checkpoint-2")
    assert resume_problem(RuntimeError("a real bug"), "r/checkpoint-2") is None
    assert resume_problem(refused, None) is None


def test_a_stage2_run_without_lora_says_so(runs, tmp_path, caplog) -> None:
    """Imported stage-1 checkpoints and adapter-only runs have no lora/: allowed, not silent."""
    run = tmp_path / "run"
    shutil.copytree(runs["s2"], run)
    shutil.rmtree(run / "lora")
    assert _infer(run, runs["data"] / "test.json", tmp_path / "out") == 0
    assert "no LoRA folder" in caplog.text


@pytest.mark.parametrize("out", ["afile/sub", "/dev/null/x", "x" * 300])
def test_an_output_folder_that_cannot_be_made_fails_before_the_model_loads(
    runs, tmp_path, capsys, monkeypatch, out
) -> None:
    """A file on the --out path was a NotADirectoryError traceback after generation."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    assert _infer(runs["s2"], runs["data"] / "test.json", Path(out)) == 2
    _one_line(capsys, "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def _gpt2(folder: Path, llm: Path) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64)).save_pretrained(
        folder
    )
    for f in llm.iterdir():
        if f.name.startswith(("tokenizer", "chat_template")):
            shutil.copy(f, folder / f.name)


def _no_weights(folder: Path, llm: Path) -> None:
    shutil.copytree(llm, folder)
    for f in folder.glob("*.safetensors"):
        f.unlink()
    (folder / "pytorch_model.bin").write_bytes(b"never unpickled")


@pytest.mark.parametrize(
    ("make", "needle"), [(_gpt2, "architecture 'gpt2' is not supported"), (_no_weights, "no *.safetensors")]
)  # fmt: skip
def test_a_model_compmo_cannot_train_is_one_line(runs, tmp_path, capsys, make, needle) -> None:
    """GPT-2 (blocks in .h) and a folder with pickled weights only were library tracebacks."""
    model, out = tmp_path / "m", tmp_path / "r"
    make(model, runs["llm"])
    args = ["stage2", "--train-file", str(runs["data"] / "stage2.json"), "--output-dir", str(out)]
    assert train_main([*args, "--model", str(model), *SMALL]) == 2
    _one_line(capsys, str(model), needle)
    assert not out.exists()
