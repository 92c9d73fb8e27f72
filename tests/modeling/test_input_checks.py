"""Every input of ``compmo-infer`` and ``compmo-train stage1|stage2`` is checked before the model
(or the tokenizer) loads: a missing or wrong file or folder fails fast, one line, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modeling.cli import infer_main, train_main


@pytest.fixture
def no_model_load(monkeypatch):
    """Loading a model or tokenizer fails the test (a bug, not a one-line error)."""
    import modeling.infer
    import modeling.model
    import modeling.train

    def loaded(*a, **k):
        raise AssertionError("the model loaded before the inputs were checked")

    for mod in (modeling.model, modeling.infer, modeling.train):
        for name in ("load_llm", "load_tokenizer"):
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, loaded)


def _run_folder(path: Path) -> Path:
    path.mkdir()
    for name in ("config.yaml", "motion_adapter.json", "motion_adapter.safetensors"):
        (path / name).write_text("{}")
    return path


def _one_line(code: int, capsys, why: str, name: str = "") -> None:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and why in lines[0] and name in lines[0], err
    assert "Traceback" not in err


def test_infer_checks_every_input_first(tmp_path, capsys, no_model_load) -> None:
    run = _run_folder(tmp_path / "run")
    data = tmp_path / "test.json"
    data.write_text("[]")
    fifo = tmp_path / "fifo.bvh"
    os.mkfifo(fifo)
    (tmp_path / "afile").write_text("x")
    out = str(tmp_path / "o")
    cases = [
        (["--run", str(tmp_path / "nope"), "--data", str(data)], "--run", "no such folder"),
        (["--run", str(tmp_path), "--data", str(data)], "config.yaml", "not found"),
        (["--run", str(run), "--data", str(tmp_path / "missing.json")], "missing.json", "no such file"),
        (["--run", str(run), "--data", str(tmp_path)], "--data", "not a regular file"),
        (["--run", str(run), "--motion", str(tmp_path / "walk.bvh")], "walk.bvh", "no such file"),
        (["--run", str(run), "--motion", str(fifo)], "fifo.bvh", "not a regular file"),
        (["--run", str(run), "--data", str(data), "--config", str(tmp_path / "g.yaml")], "g.yaml", "no such file"),
        (["--run", str(run), "--data", str(data), "--motion-root", str(tmp_path / "m")], "--motion-root", "no such folder"),
    ]  # fmt: skip
    for argv, name, why in cases:
        _one_line(infer_main([*argv, "--out", out, "-q"]), capsys, why, name)

        assert not Path(out).exists()
    code = infer_main(["--run", str(run), "--data", str(data), "--out", str(tmp_path / "afile")])
    _one_line(code, capsys, "not a folder")


@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_training_checks_every_input_first(tiny_llm, tmp_path, capsys, no_model_load, stage) -> None:  # fmt: skip
    data = tmp_path / "stage.json"
    data.write_text("[]")
    (tmp_path / "afile").write_text("x")
    base = {"--model": str(tiny_llm), "--train-file": str(data), "--output-dir": str(tmp_path / "r")}  # fmt: skip
    cases = [
        (["--train-file", str(tmp_path / "none.json")], "none.json", "no such file"),
        (["--train-file", str(tmp_path)], "train_file", "not a regular file"),
        (["--model", str(tmp_path / "nomodel")], "nomodel", "no such folder"),
        (["--motion-root", str(tmp_path / "nomotion")], "nomotion", "no such folder"),
        (["--deepspeed", str(tmp_path / "z.json")], "z.json", "no such file"),
        (["--resume", str(tmp_path / "checkpoint-9")], "checkpoint-9", "no such folder"),
        (["--output-dir", str(tmp_path / "afile")], "output_dir", "not a folder"),
    ]
    if stage == "stage2":
        cases += [
            (["--init-from", str(tmp_path / "s1")], "init_from", "no such folder"),
            (["--init-from", str(tmp_path)], "motion_adapter.json", "not found"),
        ]
    for extra, name, why in cases:
        opts = {**base, extra[0]: extra[1]}
        code = train_main([stage, *(x for kv in opts.items() for x in kv), "-q"])
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert code == 2 and len(lines) == 1 and name in lines[0] and why in lines[0], err
    assert not (tmp_path / "r").exists()


def test_a_crashing_generator_child_is_one_line(monkeypatch, tmp_path) -> None:
    """``compmo-infer --motion`` runs ``compmo-gen``: its one-line error is passed on as such;
    a traceback becomes one line naming the exception and the log holding the whole output."""
    import subprocess

    from modeling.motion_infer import GeneratorError, run_generator

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    outputs = {
        "error": "compmo-gen import-motion: error: a.bvh: BVH without a ROOT joint\n",
        "crash": 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n'
        "compmo-gen import-motion: error: looks like one\nZeroDivisionError: division by zero\n",
    }
    for kind, stderr in outputs.items():
        done = subprocess.CompletedProcess([], 1 if kind == "crash" else 2, "", stderr)
        monkeypatch.setattr(subprocess, "run", lambda *a, _d=done, **k: _d)
        with pytest.raises(GeneratorError) as err:
            run_generator(["import-motion", "a.bvh"])
        msg = str(err.value)
        assert "\n" not in msg and "Traceback" not in msg
        if kind == "error":
            assert msg == "compmo-gen import-motion: a.bvh: BVH without a ROOT joint"
        else:
            assert "failed unexpectedly (exit 1: ZeroDivisionError: division by zero)" in msg
            log = Path(msg.rsplit("its output is in ", 1)[1])
            assert log.parent == tmp_path and "Traceback" in log.read_text()


def test_quiet_flag_before_the_command_silences_library_bars(monkeypatch, tmp_path, capsys) -> None:
    from transformers.utils import logging as hf_logging

    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE", "TRANSFORMERS_VERBOSITY"):
        monkeypatch.setenv(name, "")  # restored after the test
    hf_logging.enable_progress_bar()
    try:
        code = train_main(["-q", "stage2", "--model", str(tmp_path / "m"), "--train-file", "x"])
        _one_line(code, capsys, "no such folder", str(tmp_path / "m"))
        assert not hf_logging.is_progress_bar_enabled()
        assert (
            os.environ["TQDM_DISABLE"] == "1" and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        )
        code = infer_main(["-q", "--run", str(tmp_path / "r"), "--data", "d", "--out", "o"])
        _one_line(code, capsys, "no such folder", "--run")
        code = train_main(["-v", "-q", "merge", str(tmp_path / "r"), "--out", str(tmp_path / "o")])
        _one_line(code, capsys, "no such folder", "RUN")
    finally:
        hf_logging.enable_progress_bar()
