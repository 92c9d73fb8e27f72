"""Every modeling default the documentation or ``--help`` states equals the code's.

The docs (README.md and docs/*.md) are read as text: in each paragraph about ``compmo-train`` /
``compmo-infer``, statements of the forms below are found and checked, wherever they are written:

* ``--option VALUE`` (the default) / ``--option`` ... (default VALUE) / (default: VALUE): the
  TrainConfig / GenerationConfig default of that key;
* ``--batch-size auto`` ... N on a CPU; N new tokens ... CPU; ... N on a GPU (new tokens):
  ``modeling.resources``'s CPU batch and new-token bounds;
* CPU threads as ``min(...)``: the one thread rule (``modeling.resources.cpu_threads``);
* bf16 ... default: ``auto``.

``--help`` of ``compmo-train stage1|stage2`` and ``compmo-infer run``: every "(default: X)" equals
the dataclass default, and the hand-written help texts pass the same checks."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from modeling import resources
from modeling.config import GenerationConfig, TrainConfig

REPO = Path(__file__).resolve().parents[2]
MODELING = re.compile(r"compmo-train|compmo-infer|modeling/|GenerationConfig|TrainConfig")
OTHER_TOOLS = re.compile(r"compmo-eval|compmo-gen ")


def _defaults(first: type = TrainConfig) -> dict[str, object]:
    """Key -> default; keys of both dataclasses (batch_size, seed) take ``first``'s."""
    out: dict[str, object] = {}
    for cls in (first, GenerationConfig if first is TrainConfig else TrainConfig):
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                out.setdefault(f.name, f.default)
            elif f.default_factory is not dataclasses.MISSING:
                out.setdefault(f.name, f.default_factory())
    return out


def _norm(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    if value is None:
        return "none"
    return str(value).strip("`'\" ").lower()


def _same(stated: str, default: object) -> bool:
    s = _norm(stated)
    if default is None:  # described in words ("the stage file's folder") or none
        return not re.fullmatch(r"[\d.e+-]+|true|false|auto", s)
    try:
        return float(s) == float(default)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return s == _norm(default)


OPTION_DEFAULT = [
    re.compile(r"`--([a-z][a-z0-9-]*)[ =]([^`\s]+)`\s*\((?:the\s+)?default\)"),
    re.compile(r"`--([a-z][a-z0-9-]*)`[^.;()\n]{0,60}\(default:?\s*`?([^`\s);,]+)`?"),
]
CLAIMS = [  # (pattern, the code's value, what)
    (
        re.compile(r"--batch-size auto.{0,400}?\b(\d+) on a CPU", re.S),
        resources.CPU_BATCH,
        "CPU batch",
    ),  # fmt: skip
    (re.compile(r"auto: [^.]*?\b(\d+) on a CPU", re.S), None, "auto on a CPU"),
    (
        re.compile(r"\b(\d+) new tokens.{0,40}?\bCPU|CPU.{0,600}?\b(\d+) new tokens", re.S),
        resources.MAX_NEW_TOKENS["cpu"],
        "CPU new tokens",
    ),  # fmt: skip
    (
        re.compile(r"new.tokens.{0,80}?\b(\d+) on a GPU", re.S),
        resources.MAX_NEW_TOKENS["cuda"],
        "GPU new tokens",
    ),  # fmt: skip
]


def _paragraphs() -> list[tuple[str, str]]:
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    out = []
    for path in files:
        if path.is_file():
            for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
                if MODELING.search(para) and not OTHER_TOOLS.search(para.split("\n", 1)[0]):
                    out.append((path.name, para))
    return out


def check_text(text: str, where: str, *, option_defaults: bool = True) -> list[str]:
    """The stated defaults in ``text`` that differ from the code's; counts what it checked."""
    bad: list[str] = []
    infer = re.search(r"compmo-infer|[Ii]nference|generat", text)
    defaults = _defaults(GenerationConfig if infer else TrainConfig)
    if option_defaults:
        for pattern in OPTION_DEFAULT:
            for m in pattern.finditer(text):
                key = m.group(1).replace("-", "_")
                if key in defaults:
                    check_text.checked += 1  # type: ignore[attr-defined]
                    if not _same(m.group(2), defaults[key]):
                        bad.append(f"{where}: {m.group(0)!r} but the default is {defaults[key]!r}")
    for pattern, value, what in CLAIMS:
        for m in pattern.finditer(text):
            stated = int(next(g for g in m.groups() if g))
            expect = value
            if expect is None:  # "auto: ... N on a CPU" in a key's help: that key's CPU value
                expect = resources.CPU_BATCH if "batch" in text.lower() else resources.MAX_NEW_TOKENS["cpu"]  # fmt: skip
            check_text.checked += 1  # type: ignore[attr-defined]
            if stated != expect:
                bad.append(
                    f"{where}: {what}: {m.group(0)!r} states {stated}, the code uses {expect}"
                )
    for sentence in re.split(r"(?<=[.;])\s", text):
        if "thread" in sentence.lower() and "min(" in sentence:
            check_text.checked += 1  # type: ignore[attr-defined]
            rule = sentence[sentence.index("min(") :]
            if str(resources.MAX_CPU_THREADS) not in rule or "idle" not in rule:
                bad.append(f"{where}: thread rule {sentence.strip()!r} is not {resources.THREADS_RULE!r}")  # fmt: skip
        if re.search(r"\bbf16\b", sentence) and re.search(r"\bdefault", sentence):
            check_text.checked += 1  # type: ignore[attr-defined]
            if "auto" not in sentence:
                bad.append(f"{where}: bf16's default is auto: {sentence.strip()!r}")
    return bad


check_text.checked = 0  # type: ignore[attr-defined]


def test_docs_state_the_code_defaults() -> None:
    check_text.checked = 0  # type: ignore[attr-defined]
    bad = [b for name, para in _paragraphs() for b in check_text(para, name)]
    assert not bad, "\n".join(bad)
    assert check_text.checked >= 5, "the docs state fewer modeling defaults than docs/training.md does"  # type: ignore[attr-defined]  # fmt: skip


def _help_parser(module: str, prog: str) -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog=prog)
    importlib.import_module(module).configure(parser)
    return parser


@pytest.mark.parametrize(
    ("module", "prog"),
    [
        ("modeling.train_cli", "compmo-train stage1"),
        ("modeling.train_cli", "compmo-train stage2"),
        ("modeling.infer_cli", "compmo-infer run"),
    ],
)
def test_help_states_the_code_defaults(module: str, prog: str) -> None:
    parser = _help_parser(module, prog)
    defaults = _defaults(GenerationConfig if "infer" in module else TrainConfig)
    bad, seen = [], 0
    for action in parser._actions:
        if not action.help or not action.option_strings:
            continue
        key = action.option_strings[-1].lstrip("-").replace("-", "_")
        m = re.search(r"\(default: ([^;)]+)", action.help)
        if m and key in defaults:
            seen += 1
            if not _same(m.group(1), defaults[key]):
                bad.append(f"{prog} --{key}: help says {m.group(1)!r}, the code {defaults[key]!r}")
        bad += check_text(action.help, f"{prog} {action.option_strings[-1]}", option_defaults=False)  # fmt: skip
    threads = [a for a in parser._actions if "--threads" in a.option_strings]
    if threads:
        assert resources.THREADS_RULE in threads[0].help
    assert not bad, "\n".join(bad)
    assert seen >= 5


def test_shipped_yamls_leave_bf16_to_the_device() -> None:
    from modeling.config import build_config, resolve_bf16

    for name in ("train_stage1.yaml", "train_stage2.yaml"):
        cfg = build_config(REPO / "modeling" / "configs" / name, ["model=m"])
        assert cfg.bf16 == "auto"
    assert TrainConfig.bf16 == "auto"
    import torch

    assert resolve_bf16("auto") is bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())  # fmt: skip
    assert resolve_bf16(True) is True and resolve_bf16(False) is False


def test_the_checker_catches_wrong_statements() -> None:
    """The extractors are live: each kind of wrong statement is reported."""
    wrong = (
        "compmo-infer: `--batch-size auto` (the default) fits the GPU, 8 on a CPU. "
        "Generation is bounded to 500 new tokens on a CPU (`--max-new-tokens`; 900 on a GPU). "
        "CPU runs use min(cores, 4) torch threads. bf16 is on by default (`--bf16 true`). "
        "`--lora-r` sets the rank (default 64)."
    )
    assert len(check_text(wrong, "x")) == 6, check_text(wrong, "x")
