"""Numeric options of compmo-eval that index arrays or size allocations are bounded at parse time:
one usage line naming the option, exit 2 (``--n-boot 0`` was an IndexError, ``10**10`` a 1 TiB
allocation, ``--decimals -1`` a format error)."""

from __future__ import annotations

import pytest

from evaluation.cli import main

CASES = [
    (["leaderboard", "a.json", "--ci", "--n-boot", n], "--n-boot") for n in ("0", "-5", "10" * 5)
] + [
    (["compare", "a.json", "b.json", "--n-boot", "0"], "--n-boot"),
    (["report", "a.json", "--ci", "--n-boot", "-1"], "--n-boot"),
    (["leaderboard", "a.json", "--decimals", "-1"], "--decimals"),
    (["leaderboard", "a.json", "--decimals", "99"], "--decimals"),
    (["report", "a.json", "--samples", "-3"], "--samples"),
]


@pytest.mark.parametrize(("argv", "option"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_out_of_range_values_are_usage_errors(argv, option, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and option in err[0], err
