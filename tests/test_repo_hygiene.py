"""The repository a newcomer checks out: purpose names under scripts/ and results/ (no issue
numbers, no ``runN``), no absolute path of one machine in any tracked file, no ``sys.path`` edits."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Folders of one machine (spelled in pieces so that this file does not name them itself).
MACHINE_DIRS = tuple("/" + d + "/" for d in ("work", "home", "root"))
#: Issue numbers and numbered runs in a file or folder name.
BAD_NAME = re.compile(r"issue[_-]?\d|(^|[/_.-])run[_-]?\d", re.IGNORECASE)
#: ``sys.path`` edits left to fix (none).
SYS_PATH_ALLOWED: set[str] = set()

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs a git checkout"
)


def tracked() -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True
    )
    return [p for p in out.stdout.decode().split("\0") if p and (REPO / p).is_file()]


def test_script_and_result_names_say_what_they_are() -> None:
    bad = [p for p in tracked() if p.startswith(("scripts/", "results/")) and BAD_NAME.search(p)]
    assert not bad, f"name by purpose, not by issue or run number: {bad}"


def test_no_absolute_machine_path_in_tracked_files() -> None:
    found = []
    for p in tracked():
        data = (REPO / p).read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        text = data.decode("utf-8", "replace")
        found += [f"{p}: {d}" for d in MACHINE_DIRS if d in text]
    assert not found, f"use a flag, an environment variable or a relative path: {found}"


def test_no_sys_path_edits() -> None:
    edit = re.compile(r"sys\.path\.(insert|append)\(|sys\.path\s*=")
    found = [
        p
        for p in tracked()
        if p.endswith(".py") and p not in SYS_PATH_ALLOWED and p != "tests/test_repo_hygiene.py"
        and edit.search((REPO / p).read_text(encoding="utf-8"))
    ]  # fmt: skip
    assert not found, (
        f"run as a module (python -m scripts.x) or with the package installed: {found}"
    )
