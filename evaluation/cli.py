"""`compmo-eval`: score dense captions, convert formats, build leaderboards."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.cliutil import Command, dispatch

#: Sub-command registry: name -> module with ``configure(parser)`` and ``run(args)``.
COMMANDS: dict[str, Command] = {
    "convert": Command("evaluation.convert_cli", "convert dense annotations between formats"),
    "baselines": Command("evaluation.baselines_cli", "write reference baseline predictions"),
}


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-eval", COMMANDS, argv, default="score")


if __name__ == "__main__":
    raise SystemExit(main())
