"""`compmo-gen`: build, check and export CompMo-style datasets."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.cliutil import Command, dispatch

#: Sub-command registry: name -> module with ``configure(parser)`` and ``run(args)``.
COMMANDS: dict[str, Command] = {
    "stage-json": Command(
        "compmo_gen.stage_json_cli", "regenerate or re-root DEMO stage-1/2/test JSON files"
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-gen", COMMANDS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
