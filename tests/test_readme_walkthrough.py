"""The README's walkthrough (build, train, infer, evaluate, leaderboard), command for command, on
CPU with a tiny random model.

Each line of the "Walkthrough" block runs as written, with only sizes and paths substituted (a tiny
dataset, a tiny model for ``M``, a few training steps); the stage-2 line runs with its YAML (which
names a DeepSpeed config) in a single process.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENTRY = {
    "compmo-gen": "from compmo_gen.cli import main",
    "compmo-eval": "from evaluation.cli import main",
    "compmo-train": "from modeling.cli import train_main as main",
    "compmo-infer": "from modeling.cli import infer_main as main",
}
#: What each command gets added to stay small on CPU (the README's own flags are kept).
EXTRA = {
    "build": ["--set", "library.per_kind=1", "-q"],
    "stage1": ["--max-steps", "2", "--batch-size", "4", "--num-workers", "0", "--bf16", "false"],
    "stage2": [
        "--max-steps",
        "2",
        "--batch-size",
        "4",
        "--num-workers",
        "0",
        "--bf16",
        "false",
        "--lora-r",
        "4",
        "--lora-alpha",
        "8",
    ],  # fmt: skip
    "infer": ["--max-new-tokens", "24", "--batch-size", "4"],
}


def _walkthrough() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Walkthrough", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    lines = []
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line)  # comments
        line = re.sub(r"\s*\[[^\]]*\]", "", line).strip()  # optional [...] groups
        if line:
            lines.append(line)
    return lines


def _substitute(line: str, tmp: Path, model: Path) -> list[str]:
    line = line.replace("--num 4000", "--num 24")
    line = line.replace("released/test.json", f"{tmp}/data/cm/test.json")
    line = line.replace("/data/motions", f"{tmp}/data/cm/motions")
    line = line.replace("--out test.json", f"--out {tmp}/rerooted.json")
    line = re.sub(r"(?<![\w/.])(data|runs)/", lambda m: f"{tmp}/{m.group(1)}/", line)
    argv = shlex.split(line)
    argv = [str(model) if a == "M" else a for a in argv]
    kind = {"build": "build", "stage1": "stage1", "stage2": "stage2"}.get(argv[1], "")
    if argv[0] == "compmo-infer":
        kind = "infer"
    if argv[0] == "compmo-gen" and argv[1] != "build":
        kind = ""
    return argv + EXTRA.get(kind, [])


def test_readme_walkthrough_runs_as_written(tmp_path: Path, tiny_llm: Path) -> None:
    lines = _walkthrough()
    assert any("train_stage2.yaml" in line for line in lines)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    for line in lines:
        argv = _substitute(line, tmp_path, tiny_llm)
        code = f"import sys; {ENTRY[argv[0]]}; sys.exit(main(sys.argv[1:]))"
        proc = subprocess.run(
            [sys.executable, "-c", code, *argv[1:]],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, f"{line}\n{proc.stderr[-3000:]}"
    assert (tmp_path / "runs" / "s2" / "pred" / "predictions.json").is_file()
    assert (tmp_path / "runs" / "s2_merged").is_dir()
    assert any(line.startswith("compmo-eval leaderboard") for line in lines)
    assert (tmp_path / "runs" / "base" / "results.json").is_file()


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from modeling.tiny import TINY_CAPTIONS, make_tiny_llm

    return make_tiny_llm(tmp_path_factory.mktemp("tinyllm"), list(TINY_CAPTIONS) * 5)
