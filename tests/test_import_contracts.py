"""The import contracts are not hollow: every generator module is forbidden to the core (present
and future ones: the contract names them by expression), and a violation planted in a copy of the
packages (the core importing the generator, the evaluator and the model importing each other)
fails `lint-imports`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("compmo_gen", "evaluation", "modeling", "benchmarks")


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return exe


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _core_contract() -> dict:
    (contract,) = [c for c in _contracts() if c.get("source_modules") == ["compmo_gen.core"]]
    return contract


def generator_modules() -> list[str]:
    """compmo_gen's direct children other than the core, from the files (modules, packages)."""
    pkg = ROOT / "compmo_gen"
    names = {p.stem for p in pkg.glob("*.py") if p.name != "__init__.py"}
    names |= {p.name for p in pkg.iterdir() if (p / "__init__.py").is_file()}
    names |= {p.name.split(".")[0] for p in pkg.glob("*.so")}  # compiled modules, if any
    return sorted(f"compmo_gen.{n}" for n in names - {"core"})


def test_every_generator_module_is_forbidden_to_the_core() -> None:
    """import-linter's own reading of the contract's expressions covers every generator module
    (a new module or subpackage, e.g. compmo_gen/render/, is covered without editing it)."""
    _lint_imports()
    import grimp
    from importlinter.domain.helpers import module_expressions_to_modules
    from importlinter.domain.imports import ModuleExpression

    graph = grimp.build_graph(*PACKAGES)
    forbidden = {
        m.name
        for m in module_expressions_to_modules(
            graph, [ModuleExpression(e) for e in _core_contract()["forbidden_modules"]]
        )
    }
    modules = generator_modules()
    assert len(modules) >= 8, modules  # subpackages and the top-level CLI modules
    assert not set(modules) - forbidden, sorted(set(modules) - forbidden)
    assert {"evaluation", "modeling"} <= forbidden


def _copy(tmp_path: Path) -> Path:
    for pkg in PACKAGES:
        shutil.copytree(
            ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.so")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _plant(root: Path, module: str, target: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    text = path.read_text(encoding="utf-8")
    path.write_text(f"{text}\n\ndef _planted() -> None:\n    import {target}  # noqa\n")


def _broken(root: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=root, capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout[-2000:]
    return "\n".join(line for line in proc.stdout.splitlines() if line.endswith("BROKEN"))


@pytest.mark.parametrize(
    ("module", "target", "contract"),
    [
        ("compmo_gen.core.tiou", "compmo_gen.dataset.build", "The core layer"),
        ("compmo_gen.core.io", "compmo_gen.babel.reader", "The core layer"),
        ("compmo_gen.core.cli", "compmo_gen.cli", "The core layer"),
        ("evaluation.plan", "modeling.cli", "independent of each other"),
        ("modeling.cli", "evaluation.scorer", "independent of each other"),
        ("compmo_gen.composition.compose", "compmo_gen.render.frames", "subpackages are layered"),
        ("compmo_gen.render.frames", "compmo_gen.dataset.build", "subpackages are layered"),
        ("modeling.cli", "benchmarks.run", "benchmark harness"),
    ],
)
def test_a_planted_violation_fails(tmp_path: Path, module: str, target: str, contract: str) -> None:
    root = _copy(tmp_path)
    _plant(root, module, target)
    assert contract in _broken(root)


def test_a_violation_in_a_new_generator_package_fails(tmp_path: Path) -> None:
    """A subpackage that does not exist yet (as after moving compmo_gen/render*.py into
    compmo_gen/render/) is forbidden to the core without touching the contract."""
    root = _copy(tmp_path)
    (root / "compmo_gen" / "newpkg").mkdir()
    (root / "compmo_gen" / "newpkg" / "__init__.py").write_text('"""A new generator package."""\n')
    (root / "compmo_gen" / "newpkg" / "part.py").write_text('"""Part."""\n')
    _plant(root, "compmo_gen.core.segments", "compmo_gen.newpkg.part")
    assert "The core layer" in _broken(root)
