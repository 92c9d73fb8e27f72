"""The README's promises that tests can check: CI runs exactly its test command, and every console
script and sub-command it lists answers ``--help``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _readme_bash_lines() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = [
        line.strip()
        for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert len(ci) == 1, ci
    assert ci[0] in _readme_bash_lines()
    assert ci[0].endswith("python -m pytest")


def test_readme_cli_reference_commands_answer_help() -> None:
    from compmo_gen.cli import COMMANDS as GEN
    from evaluation.cli import COMMANDS as EVAL

    text = (REPO / "README.md").read_text(encoding="utf-8")
    for name in GEN:
        assert f"compmo-gen {name}" in text, name
    for name in EVAL:
        assert f"compmo-eval {name}" in text or name == "score", name
    for module, commands in (("compmo_gen.cli", GEN), ("evaluation.cli", EVAL)):
        for name in commands:
            proc = subprocess.run(
                [sys.executable, "-m", module, name, "--help"],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            assert proc.returncode == 0 and "usage:" in proc.stdout, (module, name, proc.stderr)
