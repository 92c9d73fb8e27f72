"""Hostile folders and environments: datasets for validate, HumanML3D sources, paths, Java
(see :mod:`hostile`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

try:  # imported as tests.hostile_* by pytest, as hostile_* by scripts/reliability.py
    from .hostile import (
        GT,
        PRED,
        Case,
        Check,
        Setup,
        all_gt_accounted,
        directory,
        several,
        write,
    )
except ImportError:
    from hostile import (  # type: ignore[no-redef]
        GT,
        PRED,
        Case,
        Check,
        Setup,
        all_gt_accounted,
        directory,
        several,
        write,
    )


def _dataset(d: Path) -> Path:
    """A tiny built dataset in ``d/ds`` (procedural, 8 sequences)."""
    from compmo_gen.cli import main

    out = d / "ds"
    saved = logging.root.handlers[:]
    code = main(["build", "--out", str(out), "--num", "8", "--set", "chunk=4",
                 "--set", "library.per_kind=1", "-q", "--no-card"])  # fmt: skip
    logging.root.handlers[:] = saved
    assert code == 0, code
    return out


def _edit_manifest(edit: Callable[[dict], object]) -> Setup:
    def setup(d: Path) -> None:
        out = _dataset(d)
        man = json.loads((out / "manifest.json").read_text())
        res = edit(man)
        (out / "manifest.json").write_text(
            res if isinstance(res, str) else json.dumps(man), encoding="utf-8"
        )

    return setup


def validate_cases() -> list[Case]:
    """``validate`` on corrupted datasets: problems reported (exit 2), never a crash."""

    def add(rel: str) -> Callable[[dict], None]:
        return lambda m: m["files"].__setitem__(rel, "0" * 64)

    def leftover(d: Path) -> None:
        out = _dataset(d)
        (out / "annotations" / ".train.json.abc123.tmp").write_text("{")

    def extra(d: Path) -> None:
        out = _dataset(d)
        (out / ".hidden").write_text("x")

    def forged(d: Path) -> None:  # a motion written wrong, its hash updated to match
        import hashlib

        import numpy as np

        out = _dataset(d)
        rel = sorted(p.relative_to(out).as_posix() for p in (out / "motions").glob("*.npy"))[0]
        np.save(out / rel, np.full((40, 22, 3), np.nan, np.float32))
        man = json.loads((out / "manifest.json").read_text())
        man["files"][rel] = hashlib.sha256((out / rel).read_bytes()).hexdigest()
        (out / "manifest.json").write_text(json.dumps(man), encoding="utf-8")

    def says(needle: str) -> Check:
        return lambda d, out, err: None if needle in out else f"no {needle!r} in {out[-200:]!r}"

    spec = [
        ("manifest-escape", _edit_manifest(add("../../../../etc/hostname")), "escapes"),
        ("manifest-absolute", _edit_manifest(add("/etc/hostname")), "escapes"),
        ("manifest-null-byte", _edit_manifest(add("motions/a\0b.npy")), "escapes"),
        ("manifest-long-name", _edit_manifest(add("motions/" + "a" * 300 + ".npy")), "escapes"),
        ("manifest-truncated", _edit_manifest(lambda m: json.dumps(m)[:50]), "manifest"),
        (
            "manifest-files-list",
            _edit_manifest(lambda m: m.__setitem__("files", ["a"])),
            "manifest",
        ),
        (
            "manifest-counts-string",
            _edit_manifest(lambda m: m.__setitem__("counts", "x")),
            "manifest says",
        ),
        (
            "manifest-digest-number",
            _edit_manifest(lambda m: m["files"].__setitem__(next(iter(m["files"])), 5)),
            "sha256",
        ),
        ("stale-tmp-reported", leftover, ".train.json.abc123.tmp: not in the manifest"),
        ("hidden-file-reported", extra, ".hidden: not in the manifest"),
        ("motion-nan-hash-forged", forged, "NaN or infinite"),
    ]
    cases = [
        Case("validate", name, "gen", ["validate", "ds"], setup, expect="problems", check=says(n))
        for name, setup, n in spec
    ]  # fmt: skip
    return cases


def _hml(d: Path, extra: dict[str, tuple[object, str | bytes | None]]) -> None:
    """A HumanML3D folder ``d/hml`` with two good clips plus ``extra`` ones."""
    from compmo_gen.procedural import build_library

    walk = build_library(0, 1)[0].joints.astype(np.float32)
    root = d / "hml"
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    line = "{}#a/DET person/NOUN walk/VERB#0.0#0.0\n"
    clips: dict[str, tuple[object, str | bytes | None]] = {
        "000001": (walk, line.format("a person walks forward")),
        "000002": (walk[::-1].copy(), line.format("a person walks back")),
        **extra,
    }
    for vid, (joints, text) in clips.items():
        p = root / "new_joints" / f"{vid}.npy"
        if isinstance(joints, np.ndarray):
            np.save(p, joints)
        elif isinstance(joints, bytes):
            p.write_bytes(joints)
        elif callable(joints):
            joints(p)
        if isinstance(text, bytes):
            (root / "texts" / f"{vid}.txt").write_bytes(text)
        elif text is not None:
            (root / "texts" / f"{vid}.txt").write_text(text, encoding="utf-8")
    (root / "all.txt").write_text("".join(f"{v}\n" for v in clips))


def _huge_header(p: Path) -> None:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 22, 3), }"
    header = header + " " * (118 - len(header)) + "\n"
    p.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())


def _npz(p: Path) -> None:
    with open(p, "wb") as f:
        np.savez(f, joints=np.zeros((60, 22, 3), np.float32))


def _symlink_out(p: Path) -> None:
    secret = p.parents[2] / "outside.npy"
    np.save(secret, np.zeros((60, 22, 3), np.float32))
    p.symlink_to(secret)


def _fifo_file(p: Path) -> None:
    os.mkfifo(p)


HOSTILE = "X00003"


def humanml3d_cases() -> list[Case]:
    """Broken HumanML3D folders: the build finishes (bad clips skipped and counted)."""
    z = np.zeros((60, 22, 3), np.float32)
    big = z + 1e30
    ok_line = "a person waves#a/DET person/NOUN wave/VERB#0.0#0.0\n"
    extras: dict[str, tuple[object, str | bytes | None]] = {
        "huge-header": (_huge_header, ok_line),
        "npz-as-npy": (_npz, ok_line),
        "fifo-npy": (_fifo_file, ok_line),
        "symlink-out": (_symlink_out, ok_line),
        "joints-1e30": (big, ok_line),
        "inf-crop": (z, "a person waves#a/DET wave/VERB#0.0#inf\n"),
        "time-in-caption": (z, "walks 00:01:00 - sits#a/DET walk/VERB#0.0#0.0\n"),
        "latin1-text": (z, "a person waves caf\xe9#a/DET wave/VERB#0.0#0.0\n".encode("latin-1")),
        "fifo-text": (z, None),
    }
    cases = []
    for name, clip in extras.items():

        def setup(
            d: Path, clip: tuple[object, str | bytes | None] = clip, name: str = name
        ) -> None:
            _hml(d, {HOSTILE: clip})
            if name == "fifo-text":
                os.mkfifo(d / "hml" / "texts" / f"{HOSTILE}.txt")

        def check(d: Path, stdout: str, stderr: str) -> str | None:
            try:
                src = json.loads((d / "o" / "sources.json").read_text())["source"]
                used = {
                    c["id"].split(":")[0]
                    for f in (d / "o" / "metadata").glob("*.jsonl")
                    for line in f.read_text().splitlines()
                    for c in json.loads(line)["clips"]
                }
            except (OSError, ValueError, KeyError) as exc:
                return f"build did not finish ({exc})"
            if HOSTILE in used:
                return "the hostile clip was used"
            if not any(
                k.startswith(("skipped_", "caption_lines_")) and v for k, v in src["counts"].items()
            ):
                return f"nothing counted: {src['counts']}"
            return None

        cases.append(
            Case("humanml3d", name, "gen",
                 ["build", "--out", "o", "--source", "humanml3d:hml", "--num", "6", "-q",
                  "--no-card", "--set", "humanml3d.min_frames=10"],
                 setup, expect="ok", check=check, timeout=90)
        )  # fmt: skip
    return cases


def path_cases() -> list[Case]:
    """Hostile motion paths and outputs."""
    demo_gt = [{"id": "a", "motion": "../../../../etc/hostname", "gt": "00:00:00 - walks"}]
    cases = [
        Case("paths", "motion-escape", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--motion-root", "m"],
             several(write("in.json", demo_gt), directory("m"))),
        Case("paths", "motion-null-byte", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--motion-root", "m"],
             several(write("in.json", [{"id": "a", "motion": "a\0b.npy", "gt": "00:00:00 - w"}]),
                     directory("m"))),
        Case("paths", "motion-long-name", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--motion-root", "m"],
             several(write("in.json", [{"id": "a", "motion": "x" * 300 + ".npy", "gt": "00:00:00 - w"}]),
                     directory("m"))),
        Case("paths", "out-is-directory", "eval", ["convert", "in.json", "outdir", "--to", "anet-gt"],
             several(write("in.json", GT), directory("outdir"))),
        Case("paths", "out-unwritable", "eval",
             ["convert", "in.json", "/proc/compmo/out.json", "--to", "anet-gt"], write("in.json", GT)),
        Case("paths", "build-into-unrelated-folder", "gen",
             ["build", "--out", "o", "--num", "4", "-q", "--no-card"], write("o/notes.txt", "mine")),
        Case("paths", "build-out-is-file", "gen",
             ["build", "--out", "o", "--num", "4", "-q", "--no-card"], write("o", "a file")),
    ]  # fmt: skip
    return cases


def _score(extra: list[str] | None = None) -> list[str]:
    return [
        "pred.json",
        "--gt",
        "gt.json",
        "-q",
        "--jobs",
        "1",
        "--out",
        "res.json",
        *(extra or []),
    ]


def java_cases() -> list[Case]:
    """Scoring runs: long captions, broken Java, tiny heaps, a damaged cache, unwritable output."""
    files = several(write("gt.json", GT), write("pred.json", PRED))
    long_pred = json.loads(json.dumps(PRED))
    long_pred["results"]["v1"][0]["sentence"] = "a," * 50_000
    fake_java = "#!/bin/sh\necho broken >&2\nexit 1\n"

    def broken_java(d: Path) -> None:
        files(d)
        (d / "bin").mkdir()
        (d / "bin" / "java").write_text(fake_java)
        (d / "bin" / "java").chmod(0o755)

    def damaged_cache(d: Path) -> None:
        files(d)
        from evaluation.meteor_driver import driver_classes

        os.environ["XDG_CACHE_HOME"] = str(d / "cache")
        try:
            target = driver_classes()
        finally:
            del os.environ["XDG_CACHE_HOME"]
        if target is not None:
            (target / "CompmoMeteor.class").write_bytes(b"\xca\xfe\xba\xbe garbage")

    path = os.environ.get("PATH", "")
    java = ["--tokenizer", "java", "--meteor", "java"]  # the defaults are native (no JVM)
    return [
        Case("java", "caption-100kB", "eval", _score(java),
             several(write("gt.json", GT), write("pred.json", long_pred)),
             expect="ok", check=all_gt_accounted(), timeout=300, java=True),
        Case("java", "broken-java", "eval", _score(java), broken_java,
             env={"PATH": "{d}/bin:" + path}, timeout=60, java=True),
        Case("java", "tiny-heap", "eval", _score(java), files,
             env={"_JAVA_OPTIONS": "-Xmx4m"}, timeout=120, java=True),
        Case("java", "damaged-class-cache", "eval", _score(java), damaged_cache,
             env={"XDG_CACHE_HOME": "{d}/cache"}, expect="ok", check=all_gt_accounted(),
             timeout=300, java=True),
        Case("java", "out-unwritable", "eval", _score(["--out", "/proc/compmo/res.json", *java]), files,
             timeout=60, java=True),
        Case("java", "lenient-duplicate", "eval", _score(["--lenient", *java]),
             several(write("gt.json", GT), write("pred.json", '{"results": {"v1": '
                                                  + json.dumps(PRED["results"]["v1"]) + ', "v1": 5, "v2": '
                                                  + json.dumps(PRED["results"]["v2"]) + "}}")),
             expect="either", check=all_gt_accounted(), timeout=300, java=True),
    ]  # fmt: skip
