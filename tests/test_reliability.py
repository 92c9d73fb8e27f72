"""Every hostile-input case of ``tests/hostile.py`` (but the JVM ones and the slow ones, run by
``scripts/reliability.py``) keeps the promise: exit 2 with one error line and no traceback, or
exit 0 with its output checked; each runs in a forked child with a timeout (no hang). The general
generator families (``numbers``, ``nesting``, ``pathkinds``: hundreds of cases) are sampled here
with a fixed stride that rotates through their kinds; the script runs every case."""

from __future__ import annotations

import sys

import pytest

from . import hostile

FAMILIES, run_case = hostile.families(), hostile.run_case
#: Every n-th case of a general family (strides co-prime with the 3 number kinds, the 2 nesting
#: kinds and the 5 path kinds, so every kind is drawn).
SAMPLED = {"numbers": 7, "nesting": 7, "pathkinds": 9}

CASES = [
    c
    for name, fam in FAMILIES.items()
    for c in [c for c in fam() if not c.java and not c.slow][:: SAMPLED.get(name, 1)]
]


@pytest.mark.skipif(sys.platform != "linux", reason="forks, FIFOs and /proc")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}-{c.name}" for c in CASES])
def test_hostile_case(case, tmp_path):
    outcome = run_case(case, tmp_path)
    assert outcome.held, f"{outcome.why}\n{outcome.stderr[-2000:]}"


def test_every_family_has_cases():
    assert {c.family for c in CASES} >= {
        "json", "convert", "options", "results", "paths", "numbers", "nesting", "pathkinds",
    }  # fmt: skip
    assert len(CASES) > 150


def test_path_family_covers_every_path_argument_of_every_command():
    """The path family walks the real parsers: each command's path arguments all appear, with
    every kind of non-file, so a new path option is covered without editing the family."""
    from .hostile_generic import KINDS, path_arguments, pathkind_cases

    names = {c.name for c in pathkind_cases(("gen", "eval"))}
    for prog in ("gen", "eval"):
        for cmd, actions in path_arguments(prog).items():
            assert actions, f"{prog} {cmd}: no path argument found"
            for a in actions:
                for kind in KINDS:
                    assert f"{prog}-{cmd}-{a.dest}-{kind}" in names
    assert {"gt", "predictions", "durations", "out"} <= {
        a.dest for a in path_arguments("eval")["score"]
    }


ALIASES = [c for c in hostile.families()["nesting"]() if "-alias-" in c.name and not c.slow]


@pytest.mark.skipif(sys.platform != "linux", reason="forks")
@pytest.mark.parametrize("case", ALIASES, ids=[c.name for c in ALIASES])
def test_yaml_alias_cases(case, tmp_path):
    """Every YAML alias case (not only the sampled ones): refused in one line, never expanded."""
    outcome = run_case(case, tmp_path)
    assert outcome.held, f"{outcome.why}\n{outcome.stderr[-2000:]}"
