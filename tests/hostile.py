"""Hostile inputs for compmo's command lines, and a runner that holds each case to the promise:
exit 2 with exactly one error line on stderr (no traceback), or exit 0 with every ground-truth
video accounted for; never a hang (each case runs in a forked child with a timeout).

Used by ``tests/test_reliability.py`` (the fast families) and ``scripts/reliability.py`` (all of
them, before/after table). Every case builds its own small files in a fresh folder.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Setup = Callable[[Path], None]
Check = Callable[[Path, str, str], "str | None"]


@dataclass
class Case:
    family: str
    name: str
    prog: str  # "gen" or "eval"
    argv: list[str]  # "{d}" is replaced by the case folder
    setup: Setup | None = None
    expect: str = (
        "error"  # "error", "ok", "either" or "problems" (exit 2, "error: " lines on stdout)
    )
    check: Check | None = None  # on exit 0: None when fine, else what is wrong
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    java: bool = False  # needs Java (slow: a JVM start)


@dataclass
class Outcome:
    held: bool
    why: str
    rc: int | None
    seconds: float
    stderr: str


# --------------------------------------------------------------------------- runner


def _child(case: Case, d: Path, out: Path, err: Path) -> None:
    """In the forked child: run the command in-process with fd 1/2 sent to files; never returns."""
    code = 1
    try:
        fo, fe = os.open(out, os.O_WRONLY | os.O_CREAT), os.open(err, os.O_WRONLY | os.O_CREAT)
        os.dup2(fo, 1)
        os.dup2(fe, 2)
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
        logging.root.handlers.clear()
        os.environ.update({k: v.format(d=d) for k, v in case.env.items()})
        os.chdir(d)
        argv = [a.format(d=d) for a in case.argv]
        if case.prog == "gen":
            from compmo_gen.cli import main
        else:
            from evaluation.cli import main
        try:
            code = int(main(argv) or 0)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run_case(case: Case, root: Path) -> Outcome:
    """Run ``case`` in a fresh folder under ``root`` and judge it."""
    d = root / f"{case.family}-{case.name}"
    d.mkdir(parents=True)
    t0 = time.monotonic()
    if case.setup is not None:
        case.setup(d)
    out, err = root / f"{d.name}.out", root / f"{d.name}.err"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.setpgid(0, 0)
        _child(case, d, out, err)
    rc = None
    deadline = time.monotonic() + case.timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    if rc is None:
        for target in (-pid, pid):  # the child's group: Java processes it started included
            try:
                os.kill(target, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
    seconds = time.monotonic() - t0
    stdout = out.read_text(errors="replace") if out.exists() else ""
    stderr = err.read_text(errors="replace") if err.exists() else ""
    held, why = judge(case, d, rc, stdout, stderr)
    return Outcome(held, why, rc, seconds, stderr)


def error_lines(stderr: str) -> list[str]:
    """Lines of stderr that are not log records (``WARNING name: ...``) or progress bars."""
    return [
        x
        for x in stderr.splitlines()
        if x.strip() and not x.startswith(("WARNING ", "INFO ", "DEBUG ")) and "\r" not in x
    ]


def judge(case: Case, d: Path, rc: int | None, stdout: str, stderr: str) -> tuple[bool, str]:
    if rc is None:
        return False, f"hang (no exit in {case.timeout:g} s)"
    if "Traceback" in stderr:
        return False, f"traceback (exit {rc}): {stderr.strip().splitlines()[-1][:160]}"
    if rc == 2 and case.expect == "problems":  # validate: problems listed on stdout
        found = [x for x in stdout.splitlines() if x.startswith("error: ")]
        if not found:
            return False, "exit 2 without a problem listed"
        if case.check is not None:
            problem = case.check(d, stdout, stderr)
            if problem:
                return False, problem
        return True, "problems listed"
    if rc == 2:
        lines = error_lines(stderr)
        if len(lines) != 1 or "error" not in lines[0]:
            return False, f"exit 2 with {len(lines)} error lines: {lines[:2]}"
        if case.expect == "ok":
            return False, f"refused: {lines[0][:160]}"
        return True, "one-line error"
    if rc != 0:
        return False, f"exit {rc}: {stderr.strip()[-160:]}"
    if case.expect == "error":
        return False, "accepted (exit 0) but should be refused"
    if case.check is not None:
        problem = case.check(d, stdout, stderr)
        if problem:
            return False, problem
    return True, "ok"


# --------------------------------------------------------------------------- file makers

GT = {
    "v1": {
        "duration": 10.0,
        "timestamps": [[0, 5], [5, 10]],
        "sentences": ["a person walks forward", "then sits down"],
    },
    "v2": {"duration": 8.0, "timestamps": [[0, 8]], "sentences": ["a person jumps"]},
}
PRED = {
    "results": {
        "v1": [
            {"timestamp": [0, 5], "sentence": "a person walks"},
            {"timestamp": [5, 10], "sentence": "sits"},
        ],
        "v2": [{"timestamp": [0, 8], "sentence": "jumps"}],
    }
}


def write(name: str, content: str | bytes | object) -> Setup:
    def setup(d: Path) -> None:
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        elif isinstance(content, str):
            p.write_text(content, encoding="utf-8")
        else:
            p.write_text(json.dumps(content), encoding="utf-8")

    return setup


def several(*setups: Setup) -> Setup:
    def setup(d: Path) -> None:
        for s in setups:
            s(d)

    return setup


def fifo(name: str) -> Setup:
    def setup(d: Path) -> None:
        os.mkfifo(d / name)

    return setup


def directory(name: str) -> Setup:
    def setup(d: Path) -> None:
        (d / name).mkdir(parents=True)

    return setup


def converted(out: str, expect: Callable[[object], str | None]) -> Check:
    """Check of a ``convert`` that exited 0: the output file, read back, passes ``expect``."""

    def check(d: Path, stdout: str, stderr: str) -> str | None:
        try:
            text = (d / out).read_text(encoding="utf-8")
        except OSError as exc:
            return f"no output ({exc})"
        try:
            return expect(json.loads(text) if out.endswith(".json") else text)
        except ValueError as exc:
            return f"output unreadable ({exc})"

    return check


def all_gt_accounted(out: str = "res.json", n: int = 2) -> Check:
    """A ``score`` that exited 0 wrote a results file counting every GT video."""

    def check(d: Path, stdout: str, stderr: str) -> str | None:
        try:
            counts = json.loads((d / out).read_text())["counts"]
        except (OSError, ValueError, KeyError) as exc:
            return f"no results file ({exc})"
        seen = sum(counts.get(k, 0) for k in ("ok", "missing", "empty", "unparseable"))
        if counts.get("gt_videos") != n or seen != n:
            return f"GT videos not all accounted for: {counts}"
        return None

    return check


# --------------------------------------------------------------------------- families


def json_cases() -> list[Case]:
    """Hostile JSON and text: number limits, nesting, encodings, non-files; through ``convert``."""
    gt_text = json.dumps(GT)
    bad = {
        "int-400-digits": '{"v1": {"duration": '
        + "9" * 400
        + ', "timestamps": [], "sentences": []}}',
        "int-5000-digits": '{"v1": {"duration": ' + "1" * 5000 + "}}",
        "float-1e400": '{"v1": {"duration": 1e400, "timestamps": [[0, 1]], "sentences": ["a"]}}',
        "nested-100k": "[" * 100_000 + "]" * 100_000,
        "nested-100k-object": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "truncated": gt_text[: len(gt_text) // 2],
        "empty-file": "",
        "nan-time": '{"v1": {"duration": 5, "timestamps": [[0, NaN]], "sentences": ["a"]}}',
        "infinity-duration": '{"v1": {"duration": Infinity, "timestamps": [[0, 1]], "sentences": ["a"]}}',
        "duplicate-key": '{"v1": {"duration": 5, "timestamps": [[0,1]], "sentences": ["a"]}, "v1": {}}',
        "list-of-numbers": "[1, 2, 3]",
        "string-top": '"hello"',
        "timestamps-not-list": '{"v1": {"duration": 5, "timestamps": 3, "sentences": ["a"]}}',
        "sentences-short": '{"v1": {"duration": 5, "timestamps": [[0,1],[1,2]], "sentences": ["a"]}}',
        "negative-duration": '{"v1": {"duration": -5, "timestamps": [[0,1]], "sentences": ["a"]}}',
    }
    cases = [
        Case("json", name, "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", text))
        for name, text in bad.items()
    ]  # fmt: skip
    cases += [
        Case("json", f"{name}-lenient", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--lenient"],
             write("in.json", bad[name]), expect="either")
        for name in ("int-400-digits", "float-1e400", "nested-100k", "timestamps-not-list")
    ]  # fmt: skip
    cases += [
        Case("json", "non-utf8", "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", b'{"v1": {"duration": 5, "timestamps": [[0,1]], "sentences": ["\xff"]}}')),
        Case("json", "directory-as-file", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt"], directory("in.json")),
        Case("json", "fifo-as-file", "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             fifo("in.json"), timeout=20),
        Case("json", "missing-file", "eval", ["convert", "nope.json", "out.json", "--to", "anet-gt"]),
        Case("json", "durations-directory-as-file", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--durations", "d.json"],
             several(write("in.json", GT), directory("d.json/x"))),
        Case("json", "utf8-bom", "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", "\ufeff" + gt_text), expect="ok",
             check=converted("out.json", lambda o: None if set(o) == {"v1", "v2"} else f"{o}")),
        Case("json", "4k-leading-spaces", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", " " * 4096 + "\n" + gt_text), expect="ok",
             check=converted("out.json", lambda o: None if set(o) == {"v1", "v2"} else f"{o}")),
        Case("json", "stmc-non-utf8", "eval", ["convert", "in.txt", "out.json", "--to", "anet-gt"],
             write("in.txt", b"## id=a duration=3\nwalks \xff # 0 # 1\n")),
    ]  # fmt: skip
    return cases


def _stmc_rejects(text: str) -> Check:
    return converted("out.txt", lambda o: f"wrote {o!r}")


def convert_cases() -> list[Case]:
    """Wrong numbers without an error: writers that would lose or change data must refuse."""
    cases = [
        Case("convert", "demo-without-durations", "eval",
             ["convert", "in.txt", "out.json", "--to", "demo"],
             write("in.txt", "## id=a\nwalks # 0.0 # 2.0\nsits # 2.0 # 5.0\n")),
    ]  # fmt: skip
    for name, vid in (("id-space", "a b"), ("id-tab", "a\tb"), ("id-duration", "x duration=9")):
        gt = {vid: {"duration": 3.0, "timestamps": [[0, 3]], "sentences": ["walks"]}}
        cases.append(
            Case("convert", name, "eval", ["convert", "in.json", "out.txt", "--to", "stmc"],
                 write("in.json", gt))
        )  # fmt: skip
    for ch in ("\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"):
        gt = {"a": {"duration": 3.0, "timestamps": [[0, 3]], "sentences": [f"walks{ch}fast"]}}
        cases.append(
            Case("convert", f"caption-U+{ord(ch):04X}", "eval",
                 ["convert", "in.json", "out.txt", "--to", "stmc"], write("in.json", gt))
        )  # fmt: skip
    durations = {"a": 100.0}
    for name, text, expect in (
        ("gt-time-60s", "00:00:00 - walks, 00:60:689 - sits", "error"),
        ("gt-time-99", "00:00:00 - walks, 99:99:99 - sits", "error"),
        ("gt-time-ok", "00:00:00 - walks, 00:59:999 - sits", "ok"),
    ):
        cases.append(
            Case("convert", name, "eval",
                 ["convert", "in.json", "out.json", "--to", "anet-gt", "--durations", "d.json"],
                 several(write("in.json", [{"id": "a", "motion": "a.npy", "gt": text}]),
                         write("d.json", durations)), expect=expect)
        )  # fmt: skip
    cases.append(
        Case("convert", "demo-gt-missing-field", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--durations", "d.json"],
             several(write("in.json", [{"id": "a", "motion": "a.npy"}]), write("d.json", durations)))
    )  # fmt: skip
    return cases


def option_cases() -> list[Case]:
    """Bad option values."""
    conv = ["convert", "in.json", "out.json", "--to", "anet-gt"]
    gt = write("in.json", GT)
    cases = [
        Case("options", "fps-0", "eval", [*conv, "--durations", "m", "--fps", "0"], gt),
        Case("options", "fps-nan", "eval", [*conv, "--fps", "nan"], gt),
        Case("options", "fps-negative", "eval", [*conv, "--fps", "-20"], gt),
        Case("options", "score-seed-negative", "eval", ["p.json", "--gt", "g.json", "--seed", "-1"]),
        Case("options", "compare-alpha-nan", "eval", ["compare", "a.json", "b.json", "--alpha", "nan"]),
        Case("options", "leaderboard-seed-huge", "eval",
             ["leaderboard", "a.json", "--seed", "1" + "0" * 30]),
    ]  # fmt: skip
    build = ["build", "--out", "o", "--num", "4", "-q"]
    for s in ("ratios=nan,0.1,0.1", "composition.alpha=nan", "composition.half_life=inf",
              "seed=-1", "num=1e999", "composition.window=inf"):  # fmt: skip
        cases.append(Case("options", f"build-set-{s.split('=')[0]}-{s.split('=')[1][:4]}", "gen",
                          [*build, "--set", s]))  # fmt: skip
    cases.append(
        Case("options", "build-preset-non-utf8", "gen", [*build, "--preset", "p.yaml"],
             write("p.yaml", b"\xff\xfenum: 3\n"))
    )  # fmt: skip
    cases.append(Case("options", "build-seed-negative", "gen", [*build, "--seed", "-1"]))
    return cases


def _result(metrics: object = None, **extra: object) -> dict:
    doc = {"metrics": {"SODA_c": 10.0, "METEOR": 5.0} if metrics is None else metrics}
    doc.update(extra)
    return doc


def result_cases() -> list[Case]:
    """Malformed result files in leaderboard / compare / report."""
    bad = {
        "not-json": "{",
        "no-metrics": json.dumps({"counts": {}}),
        "metric-string": json.dumps(_result({"SODA_c": "high"})),
        "metric-nan": '{"metrics": {"SODA_c": NaN}}',
        "metric-huge-int": '{"metrics": {"SODA_c": ' + "9" * 5000 + "}}",
        "nested": '{"metrics": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "counts-string": json.dumps(_result(counts="many")),
        "signature-list": json.dumps(_result(signature=[1])),
        "per-video-escape": json.dumps(_result(per_video="../../../../etc/hostname")),
        "per-video-absolute": json.dumps(_result(per_video="/etc/hostname")),
    }
    commands = (
        ["leaderboard", "r.json", "--ci"],
        ["compare", "r.json", "ok.json"],
        ["report", "r.json", "--out", "rep.html"],
    )
    cases = []
    for k, (name, text) in enumerate(bad.items()):  # every command on the path cases, else one
        for cmd in commands if name.startswith("per-video") else [commands[k % 3]]:
            cases.append(
                Case("results", f"{cmd[0]}-{name}", "eval", cmd,
                     several(write("r.json", text), write("ok.json", _result())))
            )  # fmt: skip
    cases.append(
        Case("results", "per-video-bad-line", "eval", ["leaderboard", "r.json", "--ci"],
             several(write("r.json", _result(per_video="r.jsonl")), write("r.jsonl", "{\n")))
    )  # fmt: skip
    return cases


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
    return [
        Case("java", "caption-100kB", "eval", _score(),
             several(write("gt.json", GT), write("pred.json", long_pred)),
             expect="ok", check=all_gt_accounted(), timeout=300, java=True),
        Case("java", "broken-java", "eval", _score(), broken_java,
             env={"PATH": "{d}/bin:" + path}, timeout=60, java=True),
        Case("java", "tiny-heap", "eval", _score(), files,
             env={"_JAVA_OPTIONS": "-Xmx4m"}, timeout=120, java=True),
        Case("java", "damaged-class-cache", "eval", _score(), damaged_cache,
             env={"XDG_CACHE_HOME": "{d}/cache"}, expect="ok", check=all_gt_accounted(),
             timeout=300, java=True),
        Case("java", "out-unwritable", "eval", _score(["--out", "/proc/compmo/res.json"]), files,
             timeout=60, java=True),
        Case("java", "lenient-duplicate", "eval", _score(["--lenient"]),
             several(write("gt.json", GT), write("pred.json", '{"results": {"v1": '
                                                  + json.dumps(PRED["results"]["v1"]) + ', "v1": 5, "v2": '
                                                  + json.dumps(PRED["results"]["v2"]) + "}}")),
             expect="either", check=all_gt_accounted(), timeout=300, java=True),
    ]  # fmt: skip


FAMILIES: dict[str, Callable[[], list[Case]]] = {
    "json": json_cases,
    "convert": convert_cases,
    "options": option_cases,
    "results": result_cases,
    "paths": path_cases,
    "validate": validate_cases,
    "humanml3d": humanml3d_cases,
    "java": java_cases,
}
