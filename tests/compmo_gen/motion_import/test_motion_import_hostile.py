"""import-motion against hostile files and folders: one line, exit 2, nothing written; frame rate
and duration bounds; an existing HumanML3D folder is never replaced (only --merge adds to it);
what a killed run left is removed on the next one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import REST_POSE

pytest.importorskip("pybvh")
WALK = Path(__file__).parents[1] / "data" / "bvh" / "cmu_12_01_walk_30fps.bvh"


def walk_array(n: int = 60) -> np.ndarray:
    p = np.repeat(REST_POSE[None], n, 0).astype(np.float32)
    p[:, :, 2] += np.linspace(0, 1, n, dtype=np.float32)[:, None]
    return p


def _huge_header(path: Path) -> None:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (400000000, 22, 3), }"
    header += " " * (118 - len(header)) + "\n"  # 98 GiB claimed, 128 bytes held
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())


def _npz_member_huge(path: Path) -> None:
    _huge_header(path.with_suffix(".tmp"))
    with zipfile.ZipFile(path, "w") as z:
        z.write(path.with_suffix(".tmp"), "joints.npy")
    np.save(path.with_suffix(".tmp"), np.array(20.0))
    with zipfile.ZipFile(path, "a") as z:
        z.write(path.with_suffix(".tmp.npy"), "fps.npy")


def _truncated_npz(path: Path) -> None:
    np.savez_compressed(path, joints=walk_array(), fps=np.array(20.0))
    path.write_bytes(path.read_bytes()[:200])


def _corrupt_npz(path: Path) -> None:
    np.savez(path, joints=walk_array(), fps=np.array(20.0))
    data = bytearray(path.read_bytes())
    data[100:400] = b"\xff" * 300
    path.write_bytes(bytes(data))


def _npz_named_npy(path: Path) -> None:
    with open(path, "wb") as f:
        np.savez(f, joints=walk_array())


def _empty_betas(path: Path) -> None:
    poses = np.zeros((30, 72))
    np.savez(path, poses=poses, trans=np.zeros((30, 3)), betas=np.zeros(0), mocap_framerate=np.array(30.0))  # fmt: skip


def _text_betas(path: Path) -> None:
    np.savez(path, poses=np.zeros((30, 72)), betas=np.array(["a", "b"]), mocap_framerate=np.array(30.0))  # fmt: skip


def _empty_poses(path: Path) -> None:
    np.savez(path, poses=np.zeros((0, 72)), mocap_framerate=np.array(30.0))


def _fifo(path: Path) -> None:
    os.mkfifo(path)


FILES = {
    "huge-header.npy": (_huge_header, "claims (400000000, 22, 3)"),
    "member-huge.npz": (_npz_member_huge, "field 'joints': array header claims"),
    "truncated.npz": (_truncated_npz, "unreadable"),
    "corrupt.npz": (_corrupt_npz, "corrupt.npz"),
    "zip-named.npy": (_npz_named_npy, "an .npz archive named .npy"),
    "empty-rows.npy": (lambda p: np.save(p, np.zeros((0, 66))), "zero frames"),
    "empty-cols.npy": (lambda p: np.save(p, np.zeros((5, 0))), "expected a (T, J, 3) joint array"),
    "object.npy": (
        lambda p: p.write_bytes(
            b"\x93NUMPY\x01\x00v\x00"
            + b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }".ljust(117)
            + b"\n"
        ),
        "object array",
    ),  # fmt: skip
    "complex.npy": (lambda p: np.save(p, np.zeros((5, 22, 3), complex)), "not real numbers"),
    "strings.npy": (lambda p: np.save(p, np.array([["a"] * 66] * 3)), "not real numbers"),
    "empty-betas.npz": (_empty_betas, "field 'betas': empty"),
    "text-betas.npz": (_text_betas, "field 'betas'"),
    "empty-poses.npz": (_empty_poses, "field 'poses': no frames"),
    "folder.npy": (lambda p: p.mkdir(), "not a regular file"),
    "fifo.npy": (_fifo, "not a regular file"),
}


def fails(capsys, args: list[str], expect: str, out: Path) -> None:
    assert main(["import-motion", *args, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expect in err, err
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.*.tmp"))


@pytest.mark.parametrize("name", list(FILES))
def test_hostile_motion_files(tmp_path, capsys, name) -> None:
    import resource

    make, expect = FILES[name]
    make(tmp_path / name)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fails(capsys, [str(tmp_path / name), "--fps", "20"], expect, tmp_path / "out")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 500_000  # kB: no 98 GiB


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        ('{"pelvis": ' + "9" * 5000 + "}", "5000 digits"),
        ('{"pelvis": {"a": [1]}}', "expected a joint name or index, got dict"),
        ('{"pelvis": 99999999999999999999}', "out of range"),
        ('{"pelvis": true}', "got bool"),
        ("[1, 2]", "expected an object"),
        (b"\xff\xfe", "not UTF-8"),
        (None, "regular file"),
    ],
)
def test_hostile_joint_maps(tmp_path, capsys, content, expect) -> None:
    path = tmp_path / "map.json"
    if content is None:
        os.mkfifo(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    fails(capsys, [str(WALK), "--joint-map", str(path)], expect, tmp_path / "out")


@pytest.mark.parametrize(
    ("frame_time", "fps", "expect"),
    [
        ("1e300", None, "outside [1, 1000]"),
        ("1e-300", None, "outside [1, 1000]"),
        ("inf", None, "not a positive number"),
        ("nan", None, "not a positive number"),
        ("0", None, "not a positive number"),
        ("0.033333", "0.01", "--fps: frame rate 0.01 is outside [1, 1000]"),
        ("0.033333", "1e9", "outside [1, 1000]"),
        ("0.033333", "nan", "outside [1, 1000]"),
    ],
)
def test_frame_rates_are_bounded(tmp_path, capsys, frame_time, fps, expect) -> None:
    path = tmp_path / "walk.bvh"
    path.write_text(WALK.read_text().replace("Frame Time: 0.033333", f"Frame Time: {frame_time}"))
    args = [str(path)] + (["--fps", fps] if fps else [])
    fails(capsys, args, expect, tmp_path / "out")


def test_duration_is_bounded(tmp_path, capsys) -> None:
    np.save(tmp_path / "long.npy", np.repeat(walk_array(1), 3601 * 2, 0))  # 3,601 s at 2 fps
    fails(capsys, [str(tmp_path / "long.npy"), "--fps", "2"], "over the 1 h limit", tmp_path / "o")


def _hml(root: Path) -> Path:
    (root / "new_joints").mkdir(parents=True)
    for vid in ("000000", "000001"):
        np.save(root / "new_joints" / f"{vid}.npy", walk_array())
    (root / "all.txt").write_text("000000\n000001\n")
    (root / "index.csv").write_text("source_path,start_frame,end_frame,new_name\na.npy,0,60,000000.npy\nb.npy,0,60,000001.npy\n")  # fmt: skip
    return root


def test_an_existing_folder_is_never_replaced_only_merged(tmp_path, capsys) -> None:
    root = _hml(tmp_path / "HumanML3D")
    before = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    assert main(["import-motion", str(WALK), "--out", str(root), "-q"]) == 2
    err = capsys.readouterr().err
    assert "exists and is not empty" in err and "--merge" in err
    assert {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()} == before
    np.save(tmp_path / "walk.npy", walk_array(40))
    args = ["import-motion", str(WALK), str(tmp_path / "walk.npy"), "--fps", "30", "--out", str(root), "--merge", "-q"]  # fmt: skip
    assert main(args) == 0
    assert (root / "all.txt").read_text().split() == ["000000", "000001", WALK.stem, "walk"]
    rows = (root / "index.csv").read_text().splitlines()
    assert rows[:3] == before["index.csv"].decode().splitlines() and len(rows) == 5
    assert set(json.loads((root / "import_report.json").read_text())) == {WALK.stem, "walk"}
    assert (root / "new_joints" / "000000.npy").read_bytes() == before.get("000000.npy", (root / "new_joints" / "000000.npy").read_bytes())  # fmt: skip
    snapshot = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert main(args) == 2  # the same ids again: refused, nothing changed
    assert "already there" in capsys.readouterr().err
    assert {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()} == snapshot
    (tmp_path / "file").write_text("x")
    assert main(["import-motion", str(WALK), "--out", str(tmp_path / "file"), "--merge"]) == 2
    assert main(["import-motion", str(WALK), "--out", str(tmp_path / "other"), "--merge"]) == 0


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_runs_are_removed(tmp_path, capsys) -> None:
    out = tmp_path / "hml"
    dead = tmp_path / f".hml.{_dead_pid()}.tmp"
    (dead / "new_joints").mkdir(parents=True)
    (dead / "new_joints" / "half.npy").write_bytes(b"\x93NUMPY")
    live = tmp_path / f".hml.{os.getppid()}.tmp"  # a running writer's: kept
    live.mkdir()
    assert main(["import-motion", str(WALK), "--out", str(out)]) == 0
    assert "removed 1 leftover(s) of a killed run" in capsys.readouterr().out
    assert not dead.exists() and live.is_dir()
    assert (out / "all.txt").read_text().split() == [WALK.stem]
    assert not list(tmp_path.glob(f".hml.{os.getpid()}.tmp"))


def test_sigkill_leaves_no_half_written_folder(tmp_path) -> None:
    """A run killed at any point leaves either no --out or a complete one (never a partial one)."""
    import signal
    import time

    files = [str(WALK)]  # converted, then written
    for delay in (0.5, 1.5, 3.0):
        out = tmp_path / f"o{delay}"
        proc = subprocess.Popen([sys.executable, "-m", "compmo_gen.cli", "import-motion", *files, "--out", str(out), "-q"])  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if out.exists():
            assert sorted(p.name for p in out.iterdir()) == ["all.txt", "import_report.json", "index.csv", "new_joints"]  # fmt: skip
    assert main(["import-motion", str(WALK), "--out", str(tmp_path / "o0.5"), "--merge", "-q"]) in (0, 2)  # fmt: skip
    assert not [p for p in tmp_path.glob(".o*.tmp")]  # the rerun removed the killed runs' staging


@pytest.mark.parametrize("rate", [np.complex128(20 + 5j), np.array([20.0, 30.0]), np.bool_(True)])
def test_a_frame_rate_field_must_be_one_real_number(tmp_path, capsys, rate) -> None:
    """A complex ``fps`` was truncated to its real part with a ComplexWarning."""
    src = tmp_path / "m.npz"
    np.savez(src, joints=np.tile(REST_POSE, (30, 1, 1)), fps=rate)
    fails(capsys, [str(src)], "field 'fps': expected one number", tmp_path / "out")


def test_finite_values_beyond_float32_are_refused(tmp_path, capsys) -> None:
    """1e300 in a BVH channel became inf joints written with exit 0."""
    head, motion = WALK.read_text().split("MOTION\n")
    lines = motion.splitlines()
    lines[2] = lines[2].replace(lines[2].split()[0], "1e300", 1)
    src = tmp_path / "big.bvh"
    src.write_text(head + "MOTION\n" + "\n".join(lines) + "\n")
    fails(capsys, [str(src)], "beyond float32", tmp_path / "out")
