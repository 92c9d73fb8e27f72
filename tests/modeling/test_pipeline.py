"""End to end on a CPU: tiny dataset -> stage JSON -> stage 1 -> stage 2 -> inference -> scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main as gen_main
from compmo_gen.core.formats import load_annotations
from modeling.cli import infer_main, train_main


def _tensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))


@pytest.fixture(scope="module")
def pipeline(tiny_dataset: Path, tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory):
    runs = tmp_path_factory.mktemp("runs")
    for kind in ("stage1", "stage2", "test"):
        assert gen_main(["stage-json", kind, "--dataset", str(tiny_dataset), "-q"]) == 0
    common = ["--model", str(tiny_llm), "--num-workers", "0", "--save-steps", "1000", "-q"]
    s1 = runs / "s1"
    code = train_main(
        [
            "stage1",
            "--train-file",
            str(tiny_dataset / "stage1.json"),
            "--output-dir",
            str(s1),
            "--max-steps",
            "6",
            "--gradient-checkpointing",
            "true",
            "--batch-size",
            "8",
            "--learning-rate",
            "1e-3",
            *common,
        ]
    )
    assert code == 0
    s2 = runs / "s2"
    code = train_main(
        [
            "stage2",
            "--train-file",
            str(tiny_dataset / "stage2.json"),
            "--output-dir",
            str(s2),
            "--init-from",
            str(s1),
            "--epochs",
            "40",
            "--batch-size",
            "8",
            "--learning-rate",
            "1e-2",
            "--lora-r",
            "16",
            "--lora-alpha",
            "32",
            "--save-steps",
            "60",
            "--save-total-limit",
            "1",
            *common[:-3],
            "-q",
        ]
    )
    assert code == 0
    out = runs / "pred"
    code = infer_main(
        [
            "--run",
            str(s2),
            "--data",
            str(tiny_dataset / "test.json"),
            "--out",
            str(out),
            "--max-new-tokens",
            "60",
            "--batch-size",
            "4",
            "-q",
        ]
    )
    assert code == 0
    return {"s1": s1, "s2": s2, "out": out, "runs": runs}


def test_stage1_trains_whole_adapter_and_freezes_llm(pipeline, tiny_llm: Path) -> None:
    s1 = pipeline["s1"]
    report = json.loads((s1 / "train_report.json").read_text())
    assert report["examples"] > 24 and report["tokens_per_s"] > 0
    assert (s1 / "config.yaml").is_file() and not (s1 / "lora").exists()
    w = _tensors(s1 / "motion_adapter.safetensors")
    assert set(w) == {
        "mlp.0.weight",
        "mlp.0.bias",
        "mlp.2.weight",
        "mlp.2.bias",
        "proj.weight",
        "proj.bias",
    }
    # the MLP trained too (DEMO's released stage 1 leaves it frozen): compare with a fresh init
    import torch

    from modeling.adapter import build_adapter

    torch.manual_seed(42)
    fresh = build_adapter(64).state_dict()
    assert not np.allclose(w["mlp.0.weight"], fresh["mlp.0.weight"].numpy())
    # the logged and reported count: the adapter's weights, the frozen LLM's not
    assert report["trainable_parameters"] == sum(v.size for v in w.values())
    llm = _tensors(tiny_llm / "model.safetensors")
    assert report["parameters"] == report["trainable_parameters"] + sum(
        v.size for v in llm.values()
    )


def test_stage2_learns_the_format_and_inference_scores(pipeline, tiny_dataset: Path) -> None:
    s2, out = pipeline["s2"], pipeline["out"]
    report = json.loads((s2 / "train_report.json").read_text())
    assert report["train_loss"] < 6.0
    lora = _tensors(s2 / "lora" / "adapter_model.safetensors")
    assert any("lora_A" in k for k in lora) and any("q_proj" in k for k in lora)
    adapter = _tensors(s2 / "motion_adapter.safetensors")
    trained = sum(v.size for v in lora.values()) + sum(v.size for v in adapter.values())
    assert report["trainable_parameters"] == trained
    generated = json.loads((out / "generated.json").read_text())
    gt = load_annotations(tiny_dataset / "annotations" / "test.json", role="gt")
    assert [g["id"] for g in generated] == list(gt.annotations)
    pred = load_annotations(out / "predictions.json", role="pred")
    assert set(pred.annotations) == set(gt.annotations)
    info = json.loads((out / "infer_report.json").read_text())
    assert info["examples"] == len(gt.annotations) == info["counts"]["examples"]
    assert info["counts"]["records"] == len(gt.annotations)
    assert info["unparseable"] == len(info["unparseable_ids"])
    # the load is timed part by part, and the parts add up to load_s
    parts = info["load_parts"]
    assert {"tokenizer", "llm", "examples_batch_size"} <= set(parts)
    assert abs(sum(parts.values()) - info["load_s"]) < 0.05
    parsed = [a for a in pred.annotations.values() if a.segments]
    assert len(parsed) >= len(gt.annotations) // 2, generated  # the tiny model learned the format
    # it speaks the captions' language: every generated word is a word of the training captions
    vocab = {w for a in gt.annotations.values() for s in a.segments for w in s.caption.split()}
    words = [w.strip(",.") for a in parsed for s in a.segments for w in s.caption.split()]
    assert words and sum(w in vocab for w in words) >= 0.5 * len(words), generated


def test_resume_merge_and_deterministic_greedy(
    pipeline, tiny_dataset: Path, tiny_llm: Path
) -> None:
    s2, runs = pipeline["s2"], pipeline["runs"]
    ckpts = sorted(p for p in s2.iterdir() if p.name.startswith("checkpoint-"))
    assert ckpts, "a checkpoint was saved"
    ck = _tensors(ckpts[-1] / "model.safetensors")
    assert ck and all(
        k.startswith("adapter.") or "lora_" in k for k in ck
    )  # trainable weights only
    # resume: continue the finished stage-2 run for more steps from its checkpoint
    r2 = runs / "s2_resumed"
    import shutil

    shutil.copytree(s2, r2)
    code = train_main(
        [
            "stage2",
            "--config",
            str(r2 / "config.yaml"),
            "--output-dir",
            str(r2),
            "--resume",
            "auto",
            "--epochs",
            "42",
            "--num-workers",
            "0",
            "-q",
        ]
    )
    assert code == 0
    resumed = json.loads((r2 / "train_report.json").read_text())
    assert resumed["optimizer_steps"] == 126 and (r2 / "checkpoint-126").is_dir()
    merged = runs / "merged"
    assert train_main(["merge", str(s2), "--out", str(merged), "-q"]) == 0
    assert (merged / "llm" / "model.safetensors").is_file()
    outs = []
    for run, name in ((s2, "a"), (merged, "b"), (s2, "c")):
        code = infer_main(
            [
                "--run",
                str(run),
                "--data",
                str(tiny_dataset / "test.json"),
                "--out",
                str(runs / name),
                "--max-new-tokens",
                "40",
                "--limit",
                "3",
                "-q",
            ]
        )
        assert code == 0
        outs.append((runs / name / "generated.json").read_bytes())
        counts = json.loads((runs / name / "infer_report.json").read_text())["counts"]
        assert counts["examples"] == 3 and counts["records"] == 3 + counts["left_out_by_limit"]
    assert outs[0] == outs[2]  # greedy decoding is deterministic
    a, b = (json.loads(o) for o in outs[:2])
    assert sum(x == y for x, y in zip(a, b)) >= 2  # merging changes only rounding


def test_bad_inputs_exit_2_with_one_line(
    tiny_dataset: Path, tiny_llm: Path, tmp_path: Path, capsys
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "z", "motion": "missing.npy", "gt": "00:00:00 - x"}]))
    code = train_main(
        [
            "stage1",
            "--model",
            str(tiny_llm),
            "--train-file",
            str(bad),
            "--output-dir",
            str(tmp_path / "r"),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "record 'z'" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:  # generated options are checked as they are parsed
        train_main(
            ["stage1", "--model", str(tiny_llm), "--train-file", str(bad), "--batch-size", "x"]
        )
    assert exc.value.code == 2 and "batch_size: expected int" in capsys.readouterr().err
    code = train_main(["stage1", "--model", str(tmp_path / "nope"), "--train-file", str(bad), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "nope" in err and "no such folder" in err and "Traceback" not in err
    np.save(tmp_path / "nan.npy", np.full((40, 22, 3), np.nan, np.float32))
    bad.write_text(json.dumps([{"id": "n", "motion": "nan.npy", "gt": "00:00:00 - x"}]))
    code = infer_main(
        ["--run", str(tmp_path), "--data", str(bad), "--out", str(tmp_path / "o"), "-q"]
    )
    assert code == 2 and "Traceback" not in capsys.readouterr().err


def test_over_long_policy_shortens_motion_never_target(tiny_dataset: Path, tiny_tokenizer) -> None:
    from collections import Counter

    from modeling.data import MotionTextDataset, load_examples

    full = load_examples(tiny_dataset / "stage2.json", tiny_tokenizer, max_length=10_000)
    text = max(e.prompt.text_length() for e in full)
    counts: Counter[str] = Counter()
    short = load_examples(
        tiny_dataset / "stage2.json", tiny_tokenizer, max_length=text + 3, counts=counts
    )
    assert counts["motion_shortened"] > 0 and len(short) == len(full)
    for a, b in zip(full, short):
        assert b.prompt.answer == a.prompt.answer and b.windows == min(
            a.windows, text + 3 - b.prompt.text_length()
        )
    item = MotionTextDataset(short)[0]
    assert len(item.windows) == short[0].windows
    counts.clear()
    assert (
        load_examples(tiny_dataset / "stage2.json", tiny_tokenizer, max_length=20, counts=counts)
        == []
    )
    assert counts["skipped_text_too_long"] == len(full)


def test_compmo_eval_scores_the_predictions(pipeline, tiny_dataset: Path) -> None:
    """The predictions file goes straight into `compmo-eval score` (real METEOR, needs Java)."""
    import shutil

    if shutil.which("java") is None:
        pytest.skip("Java is needed by the METEOR scorer")
    from evaluation.cli import main as eval_main

    out = pipeline["runs"] / "scores.json"
    code = eval_main(
        [
            "score",
            str(pipeline["out"] / "predictions.json"),
            "--gt",
            str(tiny_dataset / "annotations" / "test.json"),
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    assert result["counts"]["gt_videos"] == 6
    for key in ("SODA_c", "CIDEr", "METEOR", "F1", "tIoU"):
        assert 0.0 <= result["metrics"][key] <= 1000.0
    assert result["metrics"]["tIoU"] > 0.0  # the tiny model's segments overlap the ground truth


def test_readme_stage2_yaml_runs_in_one_process(
    tiny_dataset: Path, tiny_llm: Path, tmp_path: Path, monkeypatch, caplog
) -> None:
    """The README's stage-2 command (its YAML names scripts/zero2.json) in a plain process: no
    launcher, so DeepSpeed is left out (and said so) instead of dying on ZeRO's "auto" sizes."""
    for var in ("WORLD_SIZE", "LOCAL_RANK", "RANK"):
        monkeypatch.delenv(var, raising=False)
    if not (tiny_dataset / "stage2.json").is_file():
        assert gen_main(["stage-json", "stage2", "--dataset", str(tiny_dataset), "-q"]) == 0
    yaml_path = Path(__file__).resolve().parents[2] / "modeling" / "configs" / "train_stage2.yaml"
    out = tmp_path / "s2"
    argv = ["stage2", "--config", str(yaml_path), "--model", str(tiny_llm)]
    argv += ["--train-file", str(tiny_dataset / "stage2.json"), "--init-from", "none"]
    argv += ["--output-dir", str(out), "--max-steps", "2", "--batch-size", "4", "--bf16", "false"]
    argv += ["--lora-r", "4", "--lora-alpha", "8", "--num-workers", "0", "-q"]
    with caplog.at_level("WARNING", logger="modeling.train_cli"):
        assert train_main(argv) == 0
    assert "scripts/zero2.json not used in a single process" in caplog.text
    saved = (out / "config.yaml").read_text()
    assert "deepspeed: null" in saved and "lora_targets:\n- q_proj\n- v_proj" in saved
    assert json.loads((out / "train_report.json").read_text())["optimizer_steps"] == 2
    assert not (out / "deepspeed_config.json").exists()


def _infer(run: Path, data: Path, out: Path, *extra: str) -> tuple[bytes, dict]:
    args = ["--run", str(run), "--data", str(data), "--out", str(out)]
    args += ["--max-new-tokens", "40", "--limit", "4", "--device", "cpu", "-q", *extra]
    assert infer_main(args) == 0
    report = json.loads((out / "infer_report.json").read_text())
    return (out / "generated.json").read_bytes(), report


def test_light_decoder_caches_the_merge_and_generates_as_transformers(
    pipeline, tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPMO_CACHE", str(tmp_path / "cache"))
    s2, data = pipeline["s2"], tiny_dataset / "test.json"
    first, r1 = _infer(s2, data, tmp_path / "first")
    cached, r2 = _infer(s2, data, tmp_path / "cached")
    hf, r3 = _infer(s2, data, tmp_path / "hf", "--decoder", "transformers")
    assert r1["decoder"] == r2["decoder"] == "compmo-llama" and r3["decoder"] == "transformers"
    assert {"lora", "light_decoder"} <= set(r1["load_parts"])  # PEFT merged once, then cached
    assert {"tokenizer", "llm"} <= set(r2["load_parts"])
    assert not {"lora", "import_transformers", "light_decoder"} & set(r2["load_parts"])
    merged = [p for p in (tmp_path / "cache" / "merged").iterdir() if p.is_dir()]
    assert len(merged) == 1 and (merged[0] / "compmo_cache.json").is_file()
    assert first == cached == hf  # same greedy tokens from both decoders (float32)
    weights = merged[0] / "model.safetensors"
    size = weights.stat().st_size
    weights.write_bytes(weights.read_bytes()[:500])  # a damaged cache entry is rebuilt
    again, r5 = _infer(s2, data, tmp_path / "again")
    assert again == first and "lora" in r5["load_parts"] and weights.stat().st_size == size
    monkeypatch.setenv("COMPMO_MODEL_CACHE", "0")  # no cache: same decoder, same output
    off, r4 = _infer(s2, data, tmp_path / "off")
    assert off == first and r4["decoder"] == "compmo-llama" and "lora" in r4["load_parts"]


def test_cached_light_load_imports_no_model_classes(
    pipeline, tiny_dataset: Path, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "COMPMO_CACHE": str(tmp_path / "cache")}
    _infer(pipeline["s2"], tiny_dataset / "test.json", tmp_path / "warm")  # fills no cache here
    code = (
        "import json, sys\n"
        "from modeling.config import GenerationConfig\n"
        "from modeling.infer import prepare\n"
        f"p = prepare({str(pipeline['s2'])!r}, {str(tiny_dataset / 'test.json')!r}, "
        "gen=GenerationConfig(max_new_tokens=8), device='cpu', limit=2)\n"
        "heavy = ('peft', 'transformers.modeling_utils', 'transformers.generation', 'sklearn', "
        "'torch._dynamo')\n"
        "print(json.dumps([type(p.model.llm).__name__, [m for m in heavy if m in sys.modules]]))\n"
    )
    for _ in range(2):  # the first process fills the cache, the second reads it
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    name, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert name == "LlamaDecoder" and heavy == []


@pytest.mark.parametrize("decoder", ["auto", "transformers"])
def test_truncated_merged_weights_are_one_line_errors(
    pipeline, tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture, decoder: str
) -> None:
    merged = tmp_path / "merged"
    assert train_main(["merge", str(pipeline["s2"]), "--out", str(merged), "-q"]) == 0
    weights = merged / "llm" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    capsys.readouterr()
    args = ["--run", str(merged), "--data", str(tiny_dataset / "test.json")]
    args += ["--out", str(tmp_path / "out"), "--device", "cpu", "--decoder", decoder, "-q"]
    assert infer_main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "llm" in err[0] and "not readable" in err[0]
    assert not (tmp_path / "out").exists()
