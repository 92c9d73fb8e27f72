"""core.staging: staging paths, dead writers' leftovers removed (never a live writer's), publish."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from compmo_gen.core.staging import pid_alive, publish, remove_dead_staging, staging_path


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_pid_alive() -> None:
    assert pid_alive(os.getpid()) and pid_alive(os.getppid())
    assert not pid_alive(dead_pid()) and not pid_alive(0) and not pid_alive(-3)


def test_only_dead_writers_leftovers_of_that_name_are_removed(tmp_path) -> None:
    dead = dead_pid()
    gone_dir = tmp_path / f".out.{dead}.tmp"
    (gone_dir / "sub").mkdir(parents=True)
    gone_file = tmp_path / f".out.{dead + 0}.tmp.x"  # not the pattern: kept
    gone_file.write_text("x")
    other = tmp_path / f".other.{dead}.tmp"
    other.write_text("x")
    live = tmp_path / f".out.{os.getpid()}.tmp"
    live.mkdir()
    odd = tmp_path / ".out.notapid.tmp"
    odd.mkdir()
    assert remove_dead_staging(tmp_path, "out") == [gone_dir]
    assert live.is_dir() and odd.is_dir() and other.exists() and gone_file.exists()
    assert remove_dead_staging(tmp_path) == [other]  # any name
    assert remove_dead_staging(tmp_path / "missing") == []


def test_staging_path_and_publish(tmp_path) -> None:
    target = tmp_path / "data"
    staged = staging_path(target)
    assert staged == tmp_path / f".data.{os.getpid()}.tmp"
    staged.mkdir()
    (staged / "f").write_text("x")
    target.mkdir()  # an empty folder may be replaced
    publish(staged, target)
    assert (target / "f").read_text() == "x" and not staged.exists()
    other = staging_path(tmp_path / "data")
    other.mkdir()
    with pytest.raises(OSError):  # never onto a non-empty folder
        publish(other, target)
    assert (target / "f").exists()
