"""The layout is the architecture: import contracts (import-linter) and small modules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("compmo_gen", "evaluation", "modeling", "scripts")
MAX_LINES = 400


def test_import_contracts_hold() -> None:
    """Core at the bottom with no arrow up; evaluation/modeling stand on core only; no cycles."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert f"{len(contracts['contracts'])} kept, 0 broken" in proc.stdout


def test_core_imports_nothing_heavy() -> None:
    """Importing the core layer pulls in neither torch, numpy, nor the other packages."""
    code = (
        "import sys, compmo_gen.core.formats, compmo_gen.core.cli, compmo_gen.core.io, "
        "compmo_gen.core.stage_files, compmo_gen.core.prompts, compmo_gen.core.config, "
        "compmo_gen.core.config_cli; "
        "bad = [m for m in ('torch', 'numpy', 'transformers', 'evaluation', 'modeling', "
        "'compmo_gen.dataset.build') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_no_module_over_400_lines() -> None:
    sizes = {
        p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for pkg in PACKAGES
        for ext in ("py", "pyx")
        for p in (ROOT / pkg).rglob(f"*.{ext}")
    }
    assert sizes, "no modules found"
    too_long = {k: v for k, v in sizes.items() if v > MAX_LINES}
    assert not too_long, too_long
