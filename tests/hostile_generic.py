"""General hostile-input generators (see :mod:`hostile`): not one case per example, but families
that enumerate their targets.

- ``numbers``: a 5,000-digit integer, ``1e999`` and ``-1e999`` in place of every numeric field of
  a ground-truth, predictions and durations file, and in an ignored field of every record;
- ``nesting``: arrays/objects nested 10 to 100,000 deep as the whole file, in an ignored field
  and in place of a timestamp; YAML aliases expanding to 10**9 values or containing themselves in
  a build preset, a ``--set`` value and a training config;
- ``pathkinds``: a directory, a FIFO, a socket, ``/dev/zero`` (through a link) and a
  symbolic-link loop as *every* path argument of every ``compmo-gen``/``compmo-eval``/
  ``compmo-train``/``compmo-infer`` command, found by walking the commands' argparse parsers
  (a FIFO or socket must still be one afterwards: an output is never renamed over it);
- ``overwrite``: every path argument of every command pointed at a file the command reads (its
  predictions, ground truth or durations): the inputs must be left byte for byte.

Each case must end without a traceback or a hang: exit 2 with one error line, or exit 0 where the
hostile part is ignored (an unknown field) or is a valid place to write to (an output folder).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:  # imported as tests.hostile_* by pytest, as hostile_* by scripts/reliability.py
    from .hostile import GT, PRED, Case, Setup, several, write
except ImportError:
    from hostile import GT, PRED, Case, Setup, several, write  # type: ignore[no-redef]

DURATIONS = {"v1": 10.0, "v2": 8.0}
HUGE = {"int5000": "7" * 5000, "1e999": "1e999", "-1e999": "-1e999"}
DEPTHS = (10, 100, 999, 1000, 5000, 100_000)
#: Arguments that take no path (everything else that takes a string value is treated as one).
NOT_PATHS = {
    "preset", "set", "shard", "split", "vid", "names", "title", "sort", "device", "gt_subset",
    "motion_template", "cfg_source", "cfg_composition__transition", "ids", "ratios", "help",
    "train_split", "published", "bertscore_model_name", "duration_edges", "deepspeed_stage",
    "fps", "up", "units", "gender", "skeleton",
}  # fmt: skip
#: An input that is fine for each kind of argument (by ``dest``), so the hostile one is reached.
FIXTURES = {
    "predictions": "pred.json", "pred": "pred.json", "gt": "gt.json", "durations": "dur.json",
    "input": "gt.json", "output": "out.json", "out": "out.json", "a": "gt.json", "b": "gt.json",
    "train_file": "gt.json", "test_file": "gt.json", "out_dir": "outdir",
}  # fmt: skip
#: Commands that answer bad input with a report on stdout (exit 2), not one error line.
REPORTERS = {"validate", "doctor"}
#: Options added to a command so that, where the hostile path is accepted, the run stays short.
EXTRA_ARGS = {"build": ["--num", "8", "--workers", "1", "--no-card"]}
KINDS = ("dir", "fifo", "socket", "dev-zero", "link-loop")
PROGS = {
    "gen": ("compmo_gen.cli", "COMMANDS"),
    "eval": ("evaluation.cli", "COMMANDS"),
    "train": ("modeling.cli", "TRAIN_COMMANDS"),
    "infer": ("modeling.cli", "INFER_COMMANDS"),
}


def _base_files(d: Path) -> None:
    for name, obj in (("gt.json", GT), ("pred.json", PRED), ("dur.json", DURATIONS)):
        (d / name).write_text(json.dumps(obj), encoding="utf-8")


def _numeric_paths(obj: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numeric_paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numeric_paths(v, (*path, i))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path


def _with(obj: Any, path: tuple, marker: str) -> str:
    """``obj`` as JSON text with the value at ``path`` replaced by the raw text ``marker``."""
    copy = json.loads(json.dumps(obj))
    node = copy
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = "@@MARK@@"
    return json.dumps(copy).replace('"@@MARK@@"', marker)


def _records(obj: Any, role: str) -> Iterator[tuple]:
    """Paths of the record objects of a file (where an ignored field can go)."""
    if role == "pred":
        for vid, _segs in obj["results"].items():
            yield ("results", vid, 0)
    elif role == "gt":
        yield from ((vid,) for vid in obj)


SCORE = ["pred.json", "--gt", "gt.json", "--durations", "dur.json", "-q", "--jobs", "1",
         "--out", "res.json", "--meteor", "native", "--tokenizer", "native"]  # fmt: skip


def number_cases() -> list[Case]:
    """Huge integers and out-of-range floats in every numeric field and in ignored fields."""
    cases = []
    score = SCORE
    for role, name, obj in (("gt", "gt.json", GT), ("pred", "pred.json", PRED),
                            ("dur", "dur.json", DURATIONS)):  # fmt: skip
        for path in _numeric_paths(obj):
            for label, text in HUGE.items():
                where = ".".join(map(str, path))
                setup = several(_base_files, write(name, _with(obj, path, text)))
                cases.append(Case("numbers", f"{role}-{where}-{label}", "eval", score, setup))
        for path in _records(obj, role) if role != "dur" else ():
            for label, text in HUGE.items():
                rec = json.loads(json.dumps(obj))
                node = rec
                for k in path:
                    node = node[k]
                node["ignored_field"] = "@@MARK@@"
                body = json.dumps(rec).replace('"@@MARK@@"', text)
                where = ".".join(map(str, path))
                cases.append(Case("numbers", f"{role}-{where}.ignored-{label}", "eval", score,
                                  several(_base_files, write(name, body)), expect="either"))  # fmt: skip
    # the converter reads the same fields; a YAML config with huge numbers
    for label, text in HUGE.items():
        gt = _with(GT, ("v1", "duration"), text)
        cases.append(Case("numbers", f"convert-duration-{label}", "eval",
                          ["convert", "gt.json", "o.json", "--to", "anet-gt"],
                          several(_base_files, write("gt.json", gt))))  # fmt: skip
    for label, text in {"int5000": "7" * 5000, "float-inf": "1.0e+999"}.items():
        cases.append(Case("numbers", f"build-config-yaml-{label}", "gen",
                          ["build", "--out", "o", "--preset", "c.yaml", "-q", "--no-card"],
                          write("c.yaml", f"num: {text}\n")))  # fmt: skip
    return cases


def _nest(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "array" else '{"a":' * depth + "1" + "}" * depth


def nesting_cases() -> list[Case]:
    """Arrays and objects nested 10 to 100,000 deep: whole file, ignored field, timestamp."""
    cases = []
    score = SCORE
    for depth in DEPTHS:
        for kind in ("array", "object"):
            deep = _nest(depth, kind)
            tag = f"{kind}-{depth}"
            cases += [
                Case("nesting", f"pred-whole-{tag}", "eval", score,
                     several(_base_files, write("pred.json", deep))),
                Case("nesting", f"gt-whole-{tag}", "eval", score,
                     several(_base_files, write("gt.json", deep))),
                Case("nesting", f"pred-ignored-{tag}", "eval", score,
                     several(_base_files, write("pred.json", _with(PRED, ("results", "v1", 0, "x"), deep))),
                     expect="either"),
                Case("nesting", f"gt-timestamp-{tag}", "eval", score,
                     several(_base_files, write("gt.json", _with(GT, ("v1", "timestamps", 0), deep)))),
                Case("nesting", f"durations-{tag}", "eval", score,
                     several(_base_files, write("dur.json", _with(DURATIONS, ("v1",), deep)))),
                Case("nesting", f"results-file-{tag}", "eval", ["leaderboard", "r.json"],
                     write("r.json", '{"metrics": ' + deep + "}")),
                Case("nesting", f"build-config-yaml-{tag}", "gen",
                     ["build", "--out", "o", "--preset", "c.yaml", "-q", "--no-card"],
                     write("c.yaml", "num: " + ("[" * min(depth, 20_000)) + "]" * min(depth, 20_000) + "\n")),
            ]  # fmt: skip
    return cases + alias_cases()


def alias_cases() -> list[Case]:
    """YAML aliases that expand to 10**9 values or refer to their own container, in the value of a
    real key of every YAML a CLI reads (a build preset, a training config, a --set value)."""
    bomb = (
        "{"
        + ", ".join(
            ["x0: &x0 [" + ",".join(["lol"] * 10) + "]"]
            + [f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 9)]
        )
        + "}"
    )
    cycle = "&c [1, *c]"
    cases = []
    for tag, value in (("laughs", bomb), ("cycle", cycle)):
        cases += [
            Case("nesting", f"build-preset-alias-{tag}", "gen",
                 ["build", "--out", "o", "--preset", "c.yaml", "-q", "--no-card"],
                 write("c.yaml", f"library: {value}\n")),
            Case("nesting", f"build-set-alias-{tag}", "gen",
                 ["build", "--out", "o", "--set", f"library={value}", "-q", "--no-card"]),
            Case("nesting", f"train-config-alias-{tag}", "train",
                 ["stage2", "--config", "c.yaml", "--model", "m", "--train-file", "t.json",
                  "--output-dir", "o"],
                 write("c.yaml", f"lora_targets: {value}\n"), timeout=180, slow=True),
        ]  # fmt: skip
    return cases


# --------------------------------------------------------------------------- path kinds


def _make_kind(kind: str, name: str) -> Setup:
    def setup(d: Path) -> None:
        _base_files(d)
        (d / "outdir").mkdir(exist_ok=True)
        p = d / name
        if kind == "dir":
            p.mkdir()
        elif kind == "fifo":
            os.mkfifo(p)
        elif kind == "socket":
            here = os.getcwd()
            os.chdir(d)  # AF_UNIX paths are short: bind the relative name
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.bind(name)
            finally:
                os.chdir(here)
        elif kind == "dev-zero":  # never the device itself: a writer would replace it
            p.symlink_to("/dev/zero")
        elif kind == "link-loop":
            p.symlink_to(name + ".2")
            (d / (name + ".2")).symlink_to(name)

    return setup


def path_arguments(prog: str) -> dict[str, list[argparse.Action]]:
    """Every command of ``prog`` and its actions that take a path (walking the real parsers)."""
    from compmo_gen.core.cli import OneLineParser

    module, name = PROGS[prog]
    commands = getattr(importlib.import_module(module), name)
    out = {}
    for cmd_name, cmd in commands.items():
        parser = OneLineParser(prog=cmd_name)
        importlib.import_module(cmd.module).configure(parser)
        out[cmd_name] = [a for a in parser._actions if _is_path(a)]
    return out


def _is_path(a: argparse.Action) -> bool:
    if a.dest in NOT_PATHS or a.choices or a.nargs == 0:
        return False
    if isinstance(a, (argparse._StoreConstAction, argparse._CountAction, argparse._HelpAction)):
        return False
    return a.type is None or a.type in (str, Path)


def _fill(action: argparse.Action, value: str) -> list[str]:
    return ([action.option_strings[0]] if action.option_strings else []) + [value]


def _command_argv(prog: str, cmd: str, actions: list[argparse.Action], target: argparse.Action,
                  value: str) -> list[str]:  # fmt: skip
    """``cmd`` with ``target`` hostile and every other required (or known) path a fixture."""
    from compmo_gen.core.cli import OneLineParser

    module, name = PROGS[prog]
    parser = OneLineParser(prog=cmd)
    importlib.import_module(getattr(importlib.import_module(module), name)[cmd].module).configure(
        parser
    )
    argv = [cmd]
    for a in parser._actions:
        if a is target or a.dest == target.dest:
            argv += _fill(a, value)
        elif a.required or (not a.option_strings and a.nargs not in ("?", "*")):
            if a.choices:
                argv += _fill(a, str(next(iter(a.choices))))
            else:
                argv += _fill(a, FIXTURES.get(a.dest, f"missing-{a.dest}"))
        elif a.dest in FIXTURES and a in actions and a.dest in ("gt", "durations"):
            argv += _fill(a, FIXTURES[a.dest])
    return argv + EXTRA_ARGS.get(cmd, []) + ["-q"]


def pathkind_cases(progs: tuple[str, ...] = ("gen", "eval", "train", "infer")) -> list[Case]:
    """A directory, FIFO, socket, /dev/zero and a link loop as every path argument."""
    cases = []
    for prog in progs:
        for cmd, actions in path_arguments(prog).items():
            for target in actions:
                for kind in KINDS:
                    value = f"hostile-{target.dest}"
                    argv = _command_argv(prog, cmd, actions, target, value)
                    cases.append(Case(
                        "pathkinds", f"{prog}-{cmd}-{target.dest}-{kind}", prog, argv,
                        _make_kind(kind, value),
                        expect="report" if cmd in REPORTERS else "either",
                        timeout=180 if prog in ("train", "infer") else 90,
                        slow=prog in ("train", "infer"),
                        keep=(value,) if kind in ("fifo", "socket") else (),
                    ))  # fmt: skip
    return cases


#: The input files of the fixtures, which an output argument is pointed at by ``overwrite_cases``.
INPUT_FIXTURES = ("pred.json", "gt.json", "dur.json")


def overwrite_cases(progs: tuple[str, ...] = ("gen", "eval", "train", "infer")) -> list[Case]:
    """Every path argument of every command given the name of a file the same command reads (the
    first input fixture of its command line): whatever it does, the inputs stay as they were."""
    cases = []
    for prog in progs:
        for cmd, actions in path_arguments(prog).items():
            for target in actions:
                argv = _command_argv(prog, cmd, actions, target, "@@TARGET@@")
                inputs = [a for a in argv if a in INPUT_FIXTURES]
                if not inputs:
                    continue
                argv = [inputs[0] if a == "@@TARGET@@" else a for a in argv]
                cases.append(Case(
                    "overwrite", f"{prog}-{cmd}-{target.dest}", prog, argv, _base_files,
                    expect="report" if cmd in REPORTERS else "either",
                    timeout=180 if prog in ("train", "infer") else 90,
                    slow=prog in ("train", "infer"), keep=INPUT_FIXTURES,
                ))  # fmt: skip
    return cases
