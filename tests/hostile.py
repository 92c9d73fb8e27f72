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

Setup = Callable[[Path], None]
Check = Callable[[Path, str, str], "str | None"]


@dataclass
class Case:
    family: str
    name: str
    prog: str  # "gen", "eval", "train" or "infer"
    argv: list[str]  # "{d}" is replaced by the case folder
    setup: Setup | None = None
    expect: str = (
        "error"  # "error", "ok", "either", "problems" (exit 2, "error: " lines on stdout) or
        # "report" (exit 0, or exit 2 with a report on stdout: doctor, validate)
    )
    check: Check | None = None  # on exit 0: None when fine, else what is wrong
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    java: bool = False  # needs Java (slow: a JVM start)
    slow: bool = False  # imports torch or runs long: scripts/reliability.py only
    keep: tuple[str, ...] = ()  # files of the case folder that must be left as they were


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
        os.environ.update({k: v.replace("{d}", str(d)) for k, v in case.env.items()})
        os.chdir(d)
        argv = [a.replace("{d}", str(d)) for a in case.argv]  # braces of YAML values kept
        if case.prog == "gen":
            from compmo_gen.cli import main
        elif case.prog == "train":
            from modeling.cli import train_main as main
        elif case.prog == "infer":
            from modeling.cli import infer_main as main
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
    before = {name: _node(d / name) for name in case.keep}
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
    changed = [name for name, node in before.items() if _node(d / name) != node]
    if held and changed:
        held, why = False, f"exit {rc} but {', '.join(changed)} changed (an input or a node)"
    return Outcome(held, why, rc, seconds, stderr)


def _node(path: Path) -> tuple:
    """What must not change: a file's kind and, for a regular file, its bytes."""
    import stat

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ("missing",)
    body = path.read_bytes() if stat.S_ISREG(st.st_mode) else b""
    return (stat.S_IFMT(st.st_mode), body)


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
    if rc == 2 and case.expect == "report":  # doctor/validate: their findings on stdout
        if not stdout.strip() or len(error_lines(stderr)) > 1:
            return False, "exit 2 without a report on stdout"
        return True, "report"
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


def families() -> dict[str, Callable[[], list[Case]]]:
    """Every case family by name (the case modules are imported here: they import this one)."""
    try:
        from . import hostile_files as f
        from . import hostile_generic as g
        from . import hostile_trees as t
    except ImportError:
        import hostile_files as f  # type: ignore[no-redef]
        import hostile_generic as g  # type: ignore[no-redef]
        import hostile_trees as t  # type: ignore[no-redef]

    return {
        "json": f.json_cases,
        "convert": f.convert_cases,
        "options": f.option_cases,
        "results": f.result_cases,
        "paths": t.path_cases,
        "validate": t.validate_cases,
        "humanml3d": t.humanml3d_cases,
        "java": t.java_cases,
        "numbers": g.number_cases,
        "nesting": g.nesting_cases,
        "pathkinds": g.pathkind_cases,
        "overwrite": g.overwrite_cases,
    }
