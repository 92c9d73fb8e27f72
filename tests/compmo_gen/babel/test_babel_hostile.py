"""`compmo-gen babel` against hostile inputs: label texts no writer could store, non-finite or
inconsistent --ratios, motions linked from outside the HumanML3D folder, label files and lists
that are folders, FIFOs or link loops, and what a killed run left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from compmo_gen.cli import main

from .test_babel_build import FIX, build, make_h3d


def argv(babel, h3d, out, *extra) -> list[str]:
    return ["babel", "--babel", str(babel), "--humanml3d", str(h3d), "--out", str(out), "-q", *extra]  # fmt: skip


def fails(capsys, args, expect, out) -> None:
    try:
        rc = main(args)
    except SystemExit as exc:  # a usage error, reported by argparse in one line
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expect in err, err
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.*.tmp"))


def relabel(babel, text: str) -> None:
    for name in ("train", "val", "extra_train", "extra_val"):
        data = json.loads((babel / f"{name}.json").read_text())
        for entry in data.values():
            for part in ("frame_ann", "seq_ann"):
                for lab in (entry.get(part) or {}).get("labels", []):
                    lab["raw_label"] = lab["raw_label"] + text
        (babel / f"{name}.json").write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (" # ", "label_text_hash_signs_removed"),
        (" \ud800 x", "label_text_lone_surrogates_replaced"),
        (" \udfff", "label_text_lone_surrogates_replaced"),
        (" a\x00b\x1b", "label_text_control_characters_removed"),
        ("#", "label_text_hash_signs_removed"),
    ],
)
def test_label_texts_are_normalised_and_counted(tmp_path, text, count) -> None:
    babel = tmp_path / "babel"
    shutil.copytree(FIX / "babel", babel)
    relabel(babel, text)
    out = tmp_path / "out"
    assert main(argv(babel, make_h3d(tmp_path / "h3d"), out, "--label-text", "raw")) == 0
    counts = json.loads((out / "sources.json").read_text())["babel"]["counts"]
    assert counts[count] > 0
    for p in (out / "timelines").glob("*.txt"):
        for line in p.read_text(encoding="utf-8").splitlines():
            assert line.startswith("##") or not line or line.count("#") == 2
    assert main(["validate", str(out)]) == 0


def test_label_texts_of_a_real_build(tmp_path) -> None:
    babel = tmp_path / "babel"
    shutil.copytree(FIX / "babel", babel)
    relabel(babel, " # \ud800")
    out = tmp_path / "out"
    assert main(argv(babel, make_h3d(tmp_path / "h3d"), out, "--label-text", "raw")) == 0
    text = (out / "annotations" / "train.json").read_text(encoding="utf-8")
    assert "#" not in text and "\ufffd" in text


@pytest.mark.parametrize(
    ("ratios", "expect"),
    [
        ("nan,0.1,0.1", "must be a finite number"),
        ("inf,0.1,0.1", "must be a finite number"),
        ("1e308,0,0", "must be <= 1e+06"),
        ("1e999,0,0", "must be a finite number"),
        ("-0.2,0.6,0.6", "must be >= 0"),
        ("0,0,0", "not all 0"),
        ("0.8,0.1", "expected 3 values"),
        ("a,b,c", "expected float"),
    ],
)
def test_ratios_must_be_finite_and_not_all_zero(tmp_path, capsys, ratios, expect) -> None:
    out = tmp_path / "out"
    args = argv(FIX / "babel", make_h3d(tmp_path / "h3d"), out, "--split-by", "source", f"--ratios={ratios}")  # fmt: skip
    fails(capsys, args, expect, out)


def test_motions_linked_from_outside_are_not_followed(tmp_path) -> None:
    h3d = make_h3d(tmp_path / "h3d")
    outside = tmp_path / "secret.npy"
    shutil.copy(h3d / "new_joints" / "000003.npy", outside)
    (h3d / "new_joints" / "000003.npy").unlink()
    (h3d / "new_joints" / "000003.npy").symlink_to(outside)
    out = build(tmp_path, h3d=h3d)
    counts = json.loads((out / "sources.json").read_text())["babel"]["counts"]
    assert counts["clips_bad_motion_outside_root"] == 1
    assert not (out / "motions" / "000003.npy").exists()


def _fifo(p) -> None:
    os.mkfifo(p)


def _loop(p) -> None:
    p.symlink_to(p.name)


@pytest.mark.parametrize(
    ("target", "make", "expect"),
    [
        ("babel/train.json", _fifo, "regular file"),
        ("babel/train.json", lambda p: p.mkdir(), "is a directory"),
        ("babel/train.json", _loop, "train.json"),
        ("babel/val.json", _fifo, "regular file"),
        ("h3d/index.csv", _fifo, "regular file"),
        ("h3d/train.txt", _fifo, "regular file"),
    ],
)
def test_label_files_and_lists_that_are_not_regular_files(tmp_path, capsys, target, make, expect) -> None:  # fmt: skip
    shutil.copytree(FIX / "babel", tmp_path / "babel")
    make_h3d(tmp_path / "h3d")
    path = tmp_path / target
    path.unlink()
    make(path)
    out = tmp_path / "out"
    args = argv(tmp_path / "babel", tmp_path / "h3d", out)
    if target.endswith("train.txt"):
        args += ["--split-by", "humanml3d"]
    fails(capsys, args, expect, out)


def test_unfinished_folders_of_killed_runs_are_removed(tmp_path, caplog) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = tmp_path / f".out.{proc.pid}.tmp"
    (dead / "motions").mkdir(parents=True)
    (dead / "motions" / "000002.npy").write_bytes(b"half")
    live = tmp_path / f".out.{os.getppid()}.tmp"  # a running process's: not touched
    live.mkdir()
    with caplog.at_level("WARNING"):
        out = build(tmp_path)
    assert not dead.exists() and live.is_dir() and (out / "manifest.json").is_file()
    assert "removed 1 unfinished output folder(s) of killed runs" in caplog.text
