"""DEMO checkpoints (41xu/DEMO layouts, written here around the tiny model) -> compmo runs, and
`compmo-infer --motion` on a real BVH walk with DEMO's prompt, on a CPU."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from modeling.cli import infer_main, train_main

torch = pytest.importorskip("torch")
peft = pytest.importorskip("peft")
WALK = Path(__file__).parents[1] / "compmo_gen" / "data" / "bvh" / "cmu_12_01_walk_30fps.bvh"
MLP_HIDDEN, MM_HIDDEN = 48, 32


def demo_vision(hidden: int, prefix: str, motion_dim: int = 1056) -> dict:
    g = torch.Generator().manual_seed(3)
    shapes = {"vision_tower.0": (MLP_HIDDEN, motion_dim), "vision_tower.2": (MM_HIDDEN, MLP_HIDDEN), "mm_projector": (hidden, MM_HIDDEN)}  # fmt: skip
    out = {}
    for name, (o, i) in shapes.items():
        out[f"{prefix}{name}.weight"] = torch.randn(o, i, generator=g) * 0.05
        out[f"{prefix}{name}.bias"] = torch.randn(o, generator=g) * 0.05
    return out


def demo_config(tiny_llm: Path) -> dict:
    cfg = json.loads((tiny_llm / "config.json").read_text())
    cfg.update(
        model_type="m2t_llama", architectures=["M2TLlamaForCausalLM"], mm_vision_tower="mlp",
        mm_hidden_size=MM_HIDDEN, motion_dim=None, mlp_hidden=None, use_mm_proj=True,
        pretrain_mm="/mnt/sxu/DEMO/logs/stage1/mm_projector.bin", mm_projector_type="linear",
        mm_patch_merge_type="flat", tokenizer_model_max_length=3072, tune_mm_mlp_adapter=False,
    )  # fmt: skip
    return cfg


def write_ckpt(
    tiny_llm: Path, root: Path, layout: str, motion_dim: int = 1056
) -> tuple[Path, dict]:
    """A checkpoint folder in DEMO's own layout; returns it and its vision weights."""
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForCausalLM

    ckpt = root / layout
    ckpt.mkdir()
    cfg = demo_config(tiny_llm)
    hidden = cfg["hidden_size"]
    if layout == "lora":  # LLaVA's LoRA save: PEFT adapter + non_lora_trainables.bin
        llm = AutoModelForCausalLM.from_pretrained(tiny_llm)
        targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        model = peft.get_peft_model(llm, peft.LoraConfig(r=8, lora_alpha=16, target_modules=targets, task_type="CAUSAL_LM"))  # fmt: skip
        torch.manual_seed(0)
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.data.normal_(0, 0.05)
        model.save_pretrained(ckpt)
        vision = demo_vision(hidden, "base_model.model.model.", motion_dim)
        torch.save(vision, ckpt / "non_lora_trainables.bin")
    elif layout == "merged":  # train.py's final save: one model with the vision keys inside
        state = load_file(str(tiny_llm / "model.safetensors"))
        vision = demo_vision(hidden, "model.", motion_dim)
        save_file({**state, **vision}, str(ckpt / "model.safetensors"))
        for f in [*tiny_llm.glob("tokenizer*"), *tiny_llm.glob("special_tokens_map.json")]:
            shutil.copy2(f, ckpt / f.name)
    else:  # stage 1: mm_projector.bin only
        vision = demo_vision(hidden, "model.", motion_dim)
        torch.save(vision, ckpt / "mm_projector.bin")
    (ckpt / "config.json").write_text(json.dumps(cfg, indent=2))
    return ckpt, vision


def demo_adapter(vision: dict, x: torch.Tensor) -> torch.Tensor:
    """DEMO's own modules (build_vision_tower 'mlp' + linear projector) and weight loading."""
    from torch import nn

    def get_w(weights: dict, keyword: str) -> dict:  # m2t_arch.initialize_motion_modules
        return {k.split(keyword + ".")[1]: v for k, v in weights.items() if keyword in k}

    tower = nn.Sequential(nn.Linear(1056, MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, MM_HIDDEN), nn.Dropout(0.0))  # fmt: skip
    proj = nn.Linear(MM_HIDDEN, vision[next(k for k in vision if "mm_projector.weight" in k)].shape[0])  # fmt: skip
    tower.load_state_dict(get_w(vision, "vision_tower"))
    proj.load_state_dict(get_w(vision, "mm_projector"))
    with torch.no_grad():
        return proj(tower(x))


@pytest.mark.parametrize("layout", ["lora", "merged", "stage1"])
def test_import_demo_layouts_match_demo(tiny_llm: Path, tmp_path: Path, layout: str) -> None:
    from transformers import AutoModelForCausalLM

    from modeling.run_load import load_run

    ckpt, vision = write_ckpt(tiny_llm, tmp_path, layout)
    run = tmp_path / "run"
    base = [] if layout != "stage1" else ["--base", str(tiny_llm)]
    assert train_main(["import-demo", str(ckpt), "--out", str(run), *base, "-q"]) == 0
    report = json.loads((run / "demo_import.json").read_text())
    assert report["layout"] == layout and report["mlp_hidden"] == MLP_HIDDEN
    assert (run / "prompt.json").is_file()
    model, _, _ = load_run(run)
    x = torch.randn(2, 3, 1056)
    with torch.no_grad():
        ours = model.adapter(x)
    torch.testing.assert_close(ours, demo_adapter(vision, x), rtol=1e-5, atol=1e-5)
    ref = AutoModelForCausalLM.from_pretrained(tiny_llm)
    if layout == "lora":
        ref = peft.PeftModel.from_pretrained(ref, str(ckpt)).merge_and_unload()
    ids = torch.randint(0, 100, (1, 12))
    with torch.no_grad():
        torch.testing.assert_close(model.llm(ids).logits, ref(ids).logits, rtol=1e-4, atol=1e-4)


def test_caption_my_bvh_with_demo_prompt_on_cpu(tiny_llm: Path, tmp_path: Path) -> None:
    from compmo_gen.core.formats import load_annotations
    from modeling.demo_prompt import DEMO_SYSTEM, demo_time

    ckpt, _ = write_ckpt(tiny_llm, tmp_path, "lora")
    run, out = tmp_path / "run", tmp_path / "out"
    assert train_main(["import-demo", str(ckpt), "--out", str(run), "-q"]) == 0
    args = ["--run", str(run), "--motion", str(WALK), "--out", str(out), "--device", "cpu"]
    assert infer_main([*args, "--max-new-tokens", "6", "--render", "gif", "-q"]) == 0
    assert 1 <= torch.get_num_threads() <= 4
    rec = json.loads((out / "motions.json").read_text())[0]
    turns = {t["from"]: t["value"] for t in rec["conversations"]}
    assert turns["system"] == DEMO_SYSTEM
    assert f"duration {demo_time(87 / 20)} which" in turns["human"]  # DEMO's time format
    assert np.load(out / "imported" / "new_joints" / f"{WALK.stem}.npy").shape == (87, 22, 3)
    gen = json.loads((out / "generated.json").read_text())
    assert [g["id"] for g in gen] == [WALK.stem]
    preds = load_annotations(out / "predictions.json", role="pred")
    assert list(preds.annotations) == [WALK.stem]
    report = json.loads((out / "infer_report.json").read_text())
    assert report["generation"]["sample"] is True and report["generation"]["max_new_tokens"] == 6
    assert (out / "render" / f"{WALK.stem}.gif").stat().st_size > 1000


def _fails(args: list[str], capsys, expect: str) -> None:
    assert train_main(["import-demo", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expect in err, err


def test_bad_checkpoints_are_one_line(tiny_llm: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    _fails([str(tmp_path / "empty"), "--out", str(tmp_path / "r1")], capsys, "no DEMO checkpoint files")  # fmt: skip
    ckpt, _ = write_ckpt(tiny_llm, tmp_path, "stage1", motion_dim=1152)  # SMPL-24 windows
    _fails([str(ckpt), "--out", str(tmp_path / "r2"), "--base", str(tiny_llm)], capsys, "motion_dim 1152")  # fmt: skip
    _fails([str(ckpt), "--out", str(tmp_path / "r3")], capsys, "needs the base LLM")
    assert not any(p.name.startswith(("r1", "r2", "r3", ".r")) for p in tmp_path.iterdir())


def test_cpu_thread_default_follows_cores_and_load(monkeypatch) -> None:
    from modeling import resources

    monkeypatch.delenv("COMPMO_THREADS", raising=False)
    for cores, load, expect in (
        (2, 0.0, 2),
        (2, 10.0, 1),
        (16, 0.3, 4),
        (16, 13.6, 2),
        (1, 0.0, 1),
    ):
        monkeypatch.setattr(resources, "usable_cores", lambda c=cores: c)
        monkeypatch.setattr(resources.os, "getloadavg", lambda x=load: (x, x, x))
        assert resources.cpu_threads() == expect, (cores, load)


def test_demo_prompt_on_a_test_file_and_compmo_prompt_without_it(
    tiny_llm: Path, tmp_path: Path
) -> None:
    from compmo_gen.core.prompts import STAGE2_SYSTEM
    from modeling.demo_prompt import DEMO_SYSTEM

    ckpt, _ = write_ckpt(tiny_llm, tmp_path, "merged")
    run = tmp_path / "run"
    assert train_main(["import-demo", str(ckpt), "--out", str(run), "-q"]) == 0
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    np.save(data / "a.npy", rng.normal(size=(50, 22, 3)).astype(np.float32))
    (data / "test.json").write_text(json.dumps([{"id": "a", "motion": "a.npy", "gt": "00:00:00 - walks"}]))  # fmt: skip
    out = tmp_path / "out"
    common = ["--run", str(run), "--device", "cpu", "--max-new-tokens", "4", "-q"]
    assert infer_main([*common, "--data", str(data / "test.json"), "--out", str(out)]) == 0
    rec = json.loads((out / "prompted_test.json").read_text())[0]
    assert rec["conversations"][0]["value"] == DEMO_SYSTEM and rec["gt"] == "00:00:00 - walks"
    assert (
        "duration 00:02:500 which" in rec["conversations"][1]["value"]
    )  # 50 frames, DEMO's format
    (run / "prompt.json").unlink()  # a plain compmo run: compmo's prompt, greedy
    arr = tmp_path / "smpl24.npy"
    np.save(arr, _standing(50))  # an SMPL-24 joint array at 30 fps
    out2 = tmp_path / "out2"
    args = ["--motion", str(arr), "--fps", "30", "--out", str(out2)]
    assert infer_main([*common, *args]) == 0
    rec = json.loads((out2 / "motions.json").read_text())[0]
    assert rec["conversations"][0]["value"] == STAGE2_SYSTEM
    report = json.loads((out2 / "infer_report.json").read_text())
    assert report["generation"]["sample"] is False and report["examples"] == 1


def _standing(n: int) -> np.ndarray:
    from compmo_gen.composition.skeleton import REST_POSE

    p = np.concatenate([REST_POSE, REST_POSE[20:22]])[None].repeat(n, 0)
    p[:, :, 2] += np.linspace(0, 1, n)[:, None]
    return p


def test_bad_motion_file_is_one_line_and_writes_nothing(tiny_llm: Path, tmp_path: Path, capsys) -> None:  # fmt: skip
    ckpt, _ = write_ckpt(tiny_llm, tmp_path, "stage1")
    run = tmp_path / "run"
    assert train_main(["import-demo", str(ckpt), "--out", str(run), "--base", str(tiny_llm), "-q"]) == 0  # fmt: skip
    bad = tmp_path / "bad.bvh"
    bad.write_text(WALK.read_text().replace("ROOT Hips", "JOINT Hips", 1))
    out = tmp_path / "out"
    assert infer_main(["--run", str(run), "--motion", str(WALK), str(bad), "--out", str(out), "-q"]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.bvh: BVH without a ROOT joint" in err, err
    assert not out.exists()


def test_token_bar_ticks_once_per_new_token(tiny_llm: Path) -> None:
    from transformers import AutoModelForCausalLM

    from modeling.progress import TokenBar

    llm = AutoModelForCausalLM.from_pretrained(tiny_llm)
    ticks = TokenBar(7)
    out = llm.generate(torch.tensor([[5, 6, 7]]), max_new_tokens=7, min_new_tokens=7, do_sample=False, stopping_criteria=ticks.criteria)  # fmt: skip
    assert out.shape[1] == 3 + 7 and ticks.bar.n == 7
    ticks.close()


def test_rotate_z_up_equals_rotating_the_motion() -> None:
    from modeling.demo_ckpt import adapter_state, rotate_inputs_y_to_z_up

    state = adapter_state(demo_vision(64, "model."), "test")
    rotated = {k: v.clone() for k, v in state.items()}
    rotate_inputs_y_to_z_up(rotated)
    motion = torch.randn(16, 22, 3)
    rot = torch.tensor([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])  # DEMO's rotate_y_up_to_z_up
    x, x_rot = motion.reshape(-1), (motion.reshape(-1, 3) @ rot.T).reshape(-1)
    w, w_rot = state["mlp.0.weight"], rotated["mlp.0.weight"]
    torch.testing.assert_close(w_rot @ x, w @ x_rot, rtol=1e-5, atol=1e-5)
