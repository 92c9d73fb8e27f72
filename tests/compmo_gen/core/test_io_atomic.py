"""The one atomic writer (files and folders): content, permissions, nothing left on failure."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from compmo_gen.core.config import save_json, save_yaml
from compmo_gen.core.errors import OutputError
from compmo_gen.core.io import atomic_dir, check_outputs, check_writable, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("héllo\n", "héllo\n".encode()),
        (b"\x00\x93NUMPY", b"\x00\x93NUMPY"),
        (iter(["a", "b\n"]), b"ab\n"),
    ],
)
def test_write_atomic_content_and_mode(tmp_path: Path, data, expected: bytes) -> None:
    path = tmp_path / "sub" / "f.bin"
    write_atomic(path, data)
    assert path.read_bytes() == expected
    assert _mode(path) == 0o666 & ~_umask()  # as open() would give, not mkstemp's 0600
    assert [p.name for p in path.parent.iterdir()] == ["f.bin"]


def test_write_atomic_failing_chunks_keep_old_file(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old\n")

    def chunks():
        yield "new"
        raise ValueError("producer failed")

    with pytest.raises(ValueError, match="producer failed"):
        write_atomic(path, chunks())
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_saved_configs_are_not_private(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class Cfg:
        seed: int = 1

    save_yaml(Cfg(), tmp_path / "config.yaml")
    save_json(Cfg(), tmp_path / "config.json")
    for name in ("config.yaml", "config.json"):
        assert _mode(tmp_path / name) == 0o666 & ~_umask()
    assert (tmp_path / "config.yaml").read_text() == "seed: 1\n"


def test_atomic_dir_renames_on_success_and_replaces_empty(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with atomic_dir(out) as tmp:
        assert tmp.parent == tmp_path and tmp != out
        (tmp / "a.txt").write_text("x")
    assert (out / "a.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_dir_removes_everything_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(KeyError):
        with atomic_dir(out) as tmp:
            (tmp / "half.txt").write_text("x")
            raise KeyError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_non_empty_target(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "theirs.txt").write_text("theirs")
    with atomic_dir(out, exist_ok=True) as tmp:  # a cache another process finished first
        (tmp / "ours.txt").write_text("ours")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    with pytest.raises(OutputError, match="cannot write"):
        with atomic_dir(out) as tmp:
            (tmp / "ours.txt").write_text("ours")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ---------------------------------------------------------------- what an output may replace


@pytest.mark.parametrize("kind", ["fifo", "dir"])
def test_an_output_never_replaces_a_fifo_or_folder(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out.json"
    os.mkfifo(target) if kind == "fifo" else target.mkdir()
    with pytest.raises(OutputError, match="FIFO|directory"):
        write_atomic(target, "{}")
    with pytest.raises(OutputError, match="FIFO|directory"):
        check_writable(target)
    assert stat.S_ISFIFO(target.lstat().st_mode) or target.is_dir()  # left as it was


def test_a_link_is_replaced_itself_never_what_it_points_to(tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("kept")
    link = tmp_path / "out.json"
    link.symlink_to(kept)
    write_atomic(link, "new")
    assert kept.read_text() == "kept" and not link.is_symlink() and link.read_text() == "new"


def test_a_command_never_overwrites_a_file_it_read(tmp_path: Path) -> None:
    from compmo_gen.core.io import load_json
    from compmo_gen.core.readers import tracking_inputs

    src = tmp_path / "in.json"
    src.write_text('{"a": 1}')
    with tracking_inputs():
        load_json(src)
        with pytest.raises(OutputError, match="is an input of this command"):
            write_atomic(src, "{}")
        with pytest.raises(OutputError, match="is an input of this command"):
            check_writable(src)
        assert src.read_text() == '{"a": 1}'
        write_atomic(src, '{"a": 2}', replaces_input=True)  # an index the command updates
        write_atomic(tmp_path / "other.json", "{}")
    assert src.read_text() == '{"a": 2}'
    write_atomic(src, "{}")  # outside a command (library use): no record of inputs
    assert src.read_text() == "{}"


def test_two_outputs_of_one_command_may_not_be_one_file(tmp_path: Path) -> None:
    check_outputs(tmp_path / "a.json", None, tmp_path / "b.json")
    with pytest.raises(OutputError, match="also the path of another output"):
        check_outputs(tmp_path / "a.json", tmp_path / "x" / ".." / "a.json")
