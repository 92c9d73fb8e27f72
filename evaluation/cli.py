"""`compmo-eval`: score dense captions, convert formats, build leaderboards."""

from __future__ import annotations

from collections.abc import Sequence

from compmo_gen.core.cli import Command, dispatch

#: Sub-command registry: name -> module with ``configure(parser)`` and ``run(args)``.
COMMANDS: dict[str, Command] = {
    "score": Command(
        "evaluation.score_cli", "score dense-caption predictions against ground truth"
    ),
    "paragraph": Command(
        "evaluation.paragraph_cli", "PDVC's paragraph-level BLEU/METEOR/ROUGE-L/CIDEr"
    ),
    "convert": Command("evaluation.convert_cli", "convert dense annotations between formats"),
    "baselines": Command("evaluation.baselines_cli", "write reference baseline predictions"),
    "sodab": Command("evaluation.sodab_cli", "SODA(B): SODA_c with BERTScore recall"),
    "leaderboard": Command("evaluation.leaderboard_cli", "leaderboard table of result files"),
    "compare": Command("evaluation.compare_cli", "paired bootstrap test of two result files"),
    "report": Command("evaluation.report_cli", "self-contained HTML report of result files"),
}


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("compmo-eval", COMMANDS, argv, default="score")


if __name__ == "__main__":
    raise SystemExit(main())
