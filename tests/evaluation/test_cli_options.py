"""compmo-eval refuses a repeated single-value option instead of keeping the last one."""

from __future__ import annotations

import pytest

from evaluation.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "p.json", "--gt", "a.json", "--gt", "b.json"],
        ["score", "p.json", "--gt", "a.json", "--out", "x", "--out", "y"],
        ["paragraph", "p.json", "--gt", "a.json", "--gt", "b.json"],
    ],
)
def test_repeated_option_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "given more than once" in capsys.readouterr().err
