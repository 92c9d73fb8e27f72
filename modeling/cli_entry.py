"""``python -m modeling.cli_entry train|infer ARGS``: the console scripts as a module, for launchers
that start modules (``deepspeed --module``, ``torchrun -m``). The launcher's ``--local_rank`` is
dropped (the rank comes from the environment)."""

from __future__ import annotations

import sys

from modeling.cli import infer_main, train_main


def main(argv: list[str] | None = None) -> int:
    args = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("--local_rank")]
    if not args or args[0] not in ("train", "infer"):
        print("usage: python -m modeling.cli_entry train|infer ARGS", file=sys.stderr)
        return 2
    return (train_main if args[0] == "train" else infer_main)(args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
