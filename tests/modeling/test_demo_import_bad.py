"""``compmo-train import-demo`` on hostile checkpoints: every bad folder is a one-line error, exit 2,
and nothing is written. The bad checkpoints are generated from the three good layouts by general
mutators (file contents, JSON fields, weight shapes, output paths), not listed one by one."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from modeling.cli import train_main
from tests.modeling.test_demo_import import write_ckpt

torch = pytest.importorskip("torch")

Mutator = Callable[[Path, Path], list[str]]  # (checkpoint folder, tmp) -> extra argv


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def _weight_files(ckpt: Path) -> list[Path]:
    return sorted(p for p in ckpt.iterdir() if p.suffix in (".bin", ".safetensors"))


def _bytes(kind: str) -> Callable[[Path, Path], list[str]]:
    def mutate(ckpt: Path, tmp: Path) -> list[str]:
        rng = random.Random(kind)
        for f in _weight_files(ckpt):
            data = f.read_bytes()
            if kind == "garbage":
                f.write_bytes(rng.randbytes(len(data) // 3 + 17))
            elif kind == "truncated":
                f.write_bytes(data[: len(data) // 2])
            elif kind == "empty":
                f.write_bytes(b"")
            elif kind == "header-only":
                f.write_bytes(data[:64])
        return []

    return mutate


def _pickled(obj_factory: Callable[[], object]) -> Mutator:
    def mutate(ckpt: Path, tmp: Path) -> list[str]:
        for f in _weight_files(ckpt):
            if f.suffix == ".bin":
                torch.save(obj_factory(), f)
        return []

    return mutate


def _vision_tensors(change: Callable[[str, torch.Tensor], object]) -> Mutator:
    """Rewrite the DEMO vision weights (in whichever file holds them)."""

    def mutate(ckpt: Path, tmp: Path) -> list[str]:
        from safetensors.torch import load_file, save_file

        for f in _weight_files(ckpt):
            if f.suffix == ".bin":
                sd = torch.load(f, weights_only=True)
                torch.save({k: change(k, v) if ("vision_tower" in k or "mm_projector" in k) else v for k, v in sd.items()}, f)  # fmt: skip
            elif f.name == "model.safetensors":
                sd = load_file(str(f))
                new = {k: change(k, v) if ("vision_tower" in k or "mm_projector" in k) else v for k, v in sd.items()}  # fmt: skip
                save_file({k: v for k, v in new.items() if isinstance(v, torch.Tensor)}, str(f))
        return []

    return mutate


def _json_field(name: str, key: str, value: object) -> Mutator:
    def mutate(ckpt: Path, tmp: Path) -> list[str]:
        path = ckpt / name
        if path.is_file():
            obj = json.loads(path.read_text())
            obj[key] = value
            path.write_text(json.dumps(obj))
        return []

    return mutate


def _json_file(name: str, text: str) -> Mutator:
    def mutate(ckpt: Path, tmp: Path) -> list[str]:
        (ckpt / name).write_text(text)
        return []

    return mutate


def _out(kind: str) -> Mutator:
    def mutate(ckpt: Path, tmp: Path) -> list[str]:
        target = tmp / f"out_{kind}"
        if kind == "file":
            target.write_text("mine")
        elif kind == "under-a-file":
            target.write_text("mine")
            target = target / "run"
        elif kind == "not-empty":
            target.mkdir()
            (target / "keep.txt").write_text("mine")
        return ["--out", str(target)]

    return mutate


BAD_VALUES = ["abc", "", None, True, -4, 0, 1.5, [64], {"nested": 64}, 10**30, 1e300]
MUTATORS: dict[str, Mutator] = {
    **{f"weights-{k}": _bytes(k) for k in ("garbage", "truncated", "empty", "header-only")},
    "bin-pickled-code": _pickled(lambda: {"model.mm_projector.weight": Evil()}),
    "bin-a-list": _pickled(lambda: [torch.ones(2)]),
    "bin-non-tensor-values": _pickled(
        lambda: {"model.vision_tower.0.weight": "w", "model.mm_projector.bias": 3}
    ),  # fmt: skip
    "weights-1d": _vision_tensors(lambda k, v: v.flatten()),
    "weights-3d": _vision_tensors(lambda k, v: v.unsqueeze(0)),
    "weights-empty": _vision_tensors(lambda k, v: v[:0]),
    "weights-int": _vision_tensors(lambda k, v: v.to(torch.int32)),
    "weights-nan": _vision_tensors(lambda k, v: v * float("nan")),
    "bias-mismatch": _vision_tensors(lambda k, v: v[:-1] if k.endswith("bias") else v),
    **{
        f"hidden_size={v!r:.12}": _json_field("config.json", "hidden_size", v)
        for v in BAD_VALUES
        if v is not None
    },  # fmt: skip
    **{
        f"r={v!r:.12}": _json_field("adapter_config.json", "r", v)
        for v in BAD_VALUES
        if v is not None
    },  # fmt: skip
    **{
        f"lora_alpha={v!r:.12}": _json_field("adapter_config.json", "lora_alpha", v)
        for v in ("x", [1], -1)
    },  # fmt: skip
    **{
        f"max_length={v!r:.12}": _json_field("config.json", "tokenizer_model_max_length", v)
        for v in BAD_VALUES
        if v is not None
    },  # fmt: skip
    "base-path-a-number": lambda c, t: (
        _json_field("adapter_config.json", "base_model_name_or_path", 17)(c, t) + ["--no-base"]
    ),  # fmt: skip
    "config-a-list": _json_file("config.json", "[1, 2]"),
    "config-nested-deep": _json_file("config.json", "[" * 100_000 + "]" * 100_000),
    "config-huge-int": _json_file("config.json", '{"hidden_size": ' + "9" * 5000 + "}"),
    "config-not-json": _json_file("config.json", "{hidden_size: 64"),
    "adapter-config-a-string": _json_file("adapter_config.json", '"r"'),
    **{f"out-{k}": _out(k) for k in ("file", "under-a-file", "not-empty")},
}


def _applies(name: str, layout: str) -> bool:
    if name.startswith(("r=", "lora_alpha=", "adapter-config", "base-path")):
        return layout == "lora"
    if name.startswith("bin-"):
        return layout != "merged"
    if name.startswith(("hidden_size=", "max_length=")) or name.startswith("config-"):
        return layout == "merged" or name.startswith(("max_length=", "config-"))
    return True


CASES = [(layout, name) for layout in ("merged", "lora", "stage1") for name in MUTATORS if _applies(name, layout)]  # fmt: skip


@pytest.fixture(scope="module")
def good(tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("good_ckpts")
    return {
        layout: write_ckpt(tiny_llm, root, layout)[0] for layout in ("merged", "lora", "stage1")
    }


def test_good_checkpoints_import(good, tiny_llm: Path, tmp_path: Path, capsys) -> None:
    for layout, ckpt in good.items():
        assert train_main(["import-demo", str(ckpt), "--out", str(tmp_path / layout), "--base", str(tiny_llm), "-q"]) == 0  # fmt: skip
    capsys.readouterr()


@pytest.mark.parametrize(("layout", "name"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_bad_checkpoint_is_one_line_exit_2_and_writes_nothing(
    good, tiny_llm: Path, tmp_path: Path, capsys, layout: str, name: str
) -> None:
    import shutil

    ckpt = tmp_path / "ckpt"
    shutil.copytree(good[layout], ckpt)
    extra = MUTATORS[name](ckpt, tmp_path)
    argv = ["import-demo", str(ckpt), "--out", str(tmp_path / "run"), "--base", str(tiny_llm), "-q"]  # fmt: skip
    if extra == ["--no-base"]:
        argv = argv[:4] + argv[6:]
    elif extra:
        argv[3] = extra[1]
    before = sorted(p.name for p in tmp_path.iterdir())
    code = train_main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("compmo-train import-demo: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temp left
