"""Every default that `compmo-eval <command> --help`, the README and docs/ state for an option is
the code's: literal values are compared with the parser's default (and EvalConfig's), prose
defaults are registered below with a check of what they claim."""

from __future__ import annotations

import argparse
import importlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compmo_gen.core.cli import EXIT_USAGE, DefaultsHelpFormatter, OneLineParser
from compmo_gen.core.options import show_value
from evaluation.cli import COMMANDS
from evaluation.config import CLI_KEYS, EvalConfig, default_jobs

REPO = Path(__file__).resolve().parents[2]
_DEFAULT = re.compile(r"\bdefault:?\s+")
#: Stated defaults that are prose, per (command, option): what the prose claims, checked.
PROSE: dict[tuple[str, str], tuple[str, Callable[[Any], bool]]] = {}
for _cmd in ("score", "sodab"):
    PROSE |= {
        (_cmd, "--dialect"): ("demo with --protocol demo, else compmo", lambda d: d is None),
        (_cmd, "--jobs"): ("min(4, cores)", lambda d: d == min(4, os.cpu_count() or 1)),
        (_cmd, "--overlap-thresholds"): (
            "0.5, 0.55, ..., 0.95 with np.arange's float artefacts, as the reference",
            lambda d: d == tuple(np.arange(0.5, 0.95 + 0.05, 0.05).tolist()),
        ),
        (_cmd, "--bertscore-model"): ("roberta-large from the local HF cache", lambda d: d is None),
        (_cmd, "--bertscore-layers"): ("17 for roberta-large", lambda d: d is None),
        (_cmd, "--device"): ("cuda if available", lambda d: d is None),
    }
PROSE |= {
    ("paragraph", "--jobs"): ("min(4, cores)", lambda d: d == min(4, os.cpu_count() or 1)),
    ("convert", "--fmt"): ("detect", lambda d: d == "auto"),
    ("convert", "--role"): (
        "from --to anet-gt/anet-pred, else from the records: DEMO 'generated' strings or a "
        "submission are predictions, anything else ground truth",
        lambda d: d is None,
    ),
    ("leaderboard", "--out"): ("stdout", lambda d: d is None),
    ("leaderboard", "--names"): ("file names", lambda d: d is None),
    ("report", "--names"): ("file names", lambda d: d is None),
    ("report", "--assets"): ("embed them in the page", lambda d: d is None),
    ("compare", "--per-video"): ("found beside the results files", lambda d: d is None),
}


def parsers() -> dict[str, argparse.ArgumentParser]:
    """Each command's parser as the dispatcher builds it."""
    out = {}
    for name, cmd in COMMANDS.items():
        parser = OneLineParser(prog=name, formatter_class=DefaultsHelpFormatter)
        importlib.import_module(cmd.module).configure(parser)
        out[name] = parser
    return out


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings if s.startswith("--")}


def default_of(action: argparse.Action) -> Any:
    """The value an option has when not given: its parser default, or for the options generated
    from EvalConfig (default SUPPRESS: a YAML file or --set may set them) EvalConfig's."""
    if action.default is argparse.SUPPRESS and action.dest in CLI_KEYS:
        return getattr(EvalConfig(), action.dest)
    return action.default


def rendered_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return " ".join(formatter._expand_help(action).split()) if action.help else ""


def stated_default(text: str) -> str | None:
    """What a help text says the default is: after ``default`` / ``default:``, up to the ``)``
    that closes its parenthesis, a ``;`` or the end (nested parentheses kept)."""
    m = _DEFAULT.search(text)
    if m is None:
        return None
    depth, out = 0, []
    for ch in text[m.end() :]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                break
        elif ch == ";" and depth == 0:
            break
        out.append(ch)
    return "".join(out).strip()


def same(stated: str, default: Any) -> bool:
    """A literal stated default equals the code's (numbers by value: "20" is 20.0)."""
    shown = show_value(default)
    if stated == shown:
        return True
    try:
        a = [float(x) for x in stated.split(",")]
        b = [float(x) for x in shown.split(",")]
    except ValueError:
        return False
    return a == b


def test_every_option_with_a_default_states_it_and_it_is_the_codes() -> None:
    checked = 0
    for name, parser in parsers().items():
        for flag, action in options(parser).items():
            if flag == "--help" or action.nargs == 0:
                continue
            text = rendered_help(parser, action)
            stated = stated_default(text)
            if (name, flag) in PROSE:
                prose, claim = PROSE[(name, flag)]
                assert stated == prose, (name, flag, text)
                assert claim(default_of(action)), (name, flag, default_of(action))
                checked += 1
                continue
            default = default_of(action)
            if default is None or default is argparse.SUPPRESS:
                assert stated is None, f"{name} {flag}: states {stated!r} for no default"
                continue
            assert stated, f"{name} {flag}: default {default!r} not stated in {text!r}"
            assert same(stated, default), (name, flag, stated, default)
            checked += 1
    assert checked >= 40


def test_eval_config_defaults_are_the_command_line_defaults() -> None:
    """The library's EvalConfig and `compmo-eval score` agree on every protocol setting (the
    command line's --jobs is min(4, cores), the library's a fixed 2)."""
    score = options(parsers()["score"])
    for key in CLI_KEYS:
        action = score["--" + key.replace("_", "-")]
        want = default_jobs() if key == "jobs" else getattr(EvalConfig(), key)
        assert default_of(action) == want, key


# --------------------------------------------------------------------------- README and docs/

#: ``--flag value`` ... ``(default)`` / ``(the default)`` / ``(the defaults)``, with ``and``.
_PAIR = r"`(--[\w-]+) ([^`\s|]+)`"
_PATTERNS = (
    re.compile(rf"{_PAIR}(?:\s+and\s+{_PAIR})?\s+\((?:the\s+)?defaults?\b"),
    re.compile(rf"[Tt]he\s+default\s+{_PAIR}"),
    re.compile(r"`(--[\w-]+)`,\s+default\s+([\w.]+)"),
    re.compile(r"`(--[\w-]+)`:\s+`([\w.-]+)`\s+\(default\)"),
    re.compile(r"\|\s*`(--[\w-]+)`\s*\|\s*`([^`]+)`\s*\|"),  # a docs table row | flag | default |
    re.compile(r"`(--[\w-]+) [\w-]+`[^`]*?\.\s+The\s+default\s+`([\w.-]+)`"),  # the other value
)
#: ``[--flag 1000]`` in a usage line: a number is the default (a word may be an example value).
_USAGE = re.compile(r"\[(--[\w-]+) (\d[\d.]*)\]")


def _statements(text: str) -> list[tuple[str, str, str]]:
    """(line, option, value) of every default stated in ``text``, paragraph by paragraph."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        lines = para.splitlines()
        flat = " ".join(para.split())
        ends = np.cumsum([len(" ".join(x.split())) + 1 for x in lines])
        found = [
            (m.start(), [g for g in m.groups() if g is not None])
            for pat in (*_PATTERNS, _USAGE)
            for m in pat.finditer(flat)
        ]
        for pos, groups in found:
            line = lines[min(int(np.searchsorted(ends, pos, side="right")), len(lines) - 1)]
            for flag, value in zip(groups[::2], groups[1::2], strict=True):
                out.append((line, flag, value))
    return out


def other_programs_flags() -> set[str]:
    """Options of compmo-gen, compmo-train and compmo-infer (their sub-commands' parsers)."""
    from compmo_gen.cli import COMMANDS as GEN
    from modeling.cli import INFER_COMMANDS, TRAIN_COMMANDS

    flags: set[str] = set()
    for commands in (GEN, TRAIN_COMMANDS, INFER_COMMANDS):
        for cmd in commands.values():
            parser = OneLineParser(prog="x")
            importlib.import_module(cmd.module).configure(parser)
            flags |= set(options(parser))
    return flags


def stated_in_docs() -> list[tuple[str, str | None, str, str]]:
    """(where, command or None, option, value) of every default the README and docs/ state for a
    compmo-eval option: an option no other program has, anywhere; a shared one (``--seed``,
    ``--fps``) on a line naming compmo-eval or in a section whose heading does."""
    eval_flags = {f for p in parsers().values() for f in options(p)}
    shared = eval_flags & other_programs_flags()
    out = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for section in re.split(r"(?m)^(?=## )", page.read_text("utf-8")):
            heading = section.splitlines()[0] if section else ""
            for line, flag, value in _statements(section):
                if flag not in eval_flags:
                    continue
                if flag in shared and "compmo-eval" not in line + heading:
                    continue
                sub = re.search(r"compmo-eval (\w+)", line)
                name = sub.group(1) if sub and sub.group(1) in COMMANDS else None
                out.append((page.name, name, flag, value))
    return out


def test_readme_and_docs_state_the_codes_defaults() -> None:
    all_options = {name: options(p) for name, p in parsers().items()}
    stated = stated_in_docs()
    assert len(stated) >= 8, f"too few stated defaults found (the patterns need updating): {stated}"
    for where, cmd, flag, value in stated:
        having = [c for c, opts in all_options.items() if flag in opts and (cmd in (None, c))]
        assert having, f"{where}: {flag} is no option of compmo-eval {cmd or ''}"
        for c in having:
            default = default_of(all_options[c][flag])
            if c == "score" and flag == "--jobs":
                continue  # min(4, cores): prose, checked above
            assert same(value, default), f"{where}: {c} {flag} stated {value!r}, code {default!r}"


def test_quiet_before_the_command_name(capsys: pytest.CaptureFixture[str]) -> None:
    """-q / -v may come before the command (and before an implied `score`)."""
    from compmo_gen.cli import main as gen_main
    from evaluation.cli import main

    assert main(["-q", "convert", "missing.json", "o.json", "--to", "demo"]) == EXIT_USAGE
    assert main(["-q", "missing.json", "--gt", "g.json"]) == EXIT_USAGE
    assert gen_main(["-q", "stats", "/nonexistent/dataset"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown command" not in err and "unrecognized" not in err
    assert "convert: error: missing.json" in err and "score: error: g.json" in err
    assert "/nonexistent/dataset" in err


def test_the_java_version_is_stated_alike(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The missing-Java error, the README and docs/ name the same Java release."""
    from compmo_gen.core.errors import PrerequisiteError
    from evaluation.javatools import JAVA_MIN, java_executable

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteError, match=rf"Java {JAVA_MIN}\+"):
        java_executable()
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = page.read_text("utf-8")
        for m in re.finditer(
            r"\b(?:Java|JRE|JDK)\s*(?:>=\s*)?(\d+)\s*(\+|or\s+newer|or\s+later)?", text
        ):
            if m.group(2) or ">=" in m.group(0):
                assert int(m.group(1)) == JAVA_MIN, f"{page.name}: {m.group(0)!r}"


def test_quiet_silences_library_bars_for_the_command_only(monkeypatch, tmp_path) -> None:
    """-q sets the progress-bar variables of tqdm / huggingface_hub / transformers while the
    command runs (children inherit them) and leaves the caller's environment as it was."""
    from compmo_gen.core import cli as core_cli
    from evaluation.cli import main

    for key in core_cli.QUIET_ENV:
        monkeypatch.delenv(key, raising=False)
    seen = {}

    def run(args):
        seen.update({k: os.environ.get(k) for k in core_cli.QUIET_ENV})
        return 0

    module = importlib.import_module(COMMANDS["convert"].module)
    monkeypatch.setattr(module, "run", run)
    assert main(["-q", "convert", "a", "b", "--to", "demo"]) == 0
    assert seen == core_cli.QUIET_ENV
    assert not any(k in os.environ for k in core_cli.QUIET_ENV)
    monkeypatch.setenv("TQDM_DISABLE", "0")  # the user's own setting wins
    assert main(["convert", "a", "b", "--to", "demo", "-q"]) == 0
    assert seen["TQDM_DISABLE"] == "0" and os.environ["TQDM_DISABLE"] == "0"
