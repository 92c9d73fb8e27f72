"""Every hostile-input case of ``tests/hostile.py`` (but the JVM ones, run by
``scripts/reliability.py``) keeps the promise: exit 2 with one error line and no traceback, or
exit 0 with its output checked; each runs in a forked child with a timeout (no hang)."""

from __future__ import annotations

import sys

import pytest

from . import hostile

FAMILIES, run_case = hostile.families(), hostile.run_case

CASES = [c for fam in FAMILIES.values() for c in fam() if not c.java]


@pytest.mark.skipif(sys.platform != "linux", reason="forks, FIFOs and /proc")
@pytest.mark.parametrize("case", CASES, ids=[f"{c.family}-{c.name}" for c in CASES])
def test_hostile_case(case, tmp_path):
    outcome = run_case(case, tmp_path)
    assert outcome.held, f"{outcome.why}\n{outcome.stderr[-2000:]}"


def test_every_family_has_cases():
    assert {c.family for c in CASES} >= {"json", "convert", "options", "results", "paths"}
    assert len(CASES) > 90
