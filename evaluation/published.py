"""Published numbers (DEMO's Table 2, x100) as leaderboard rows, marked as not recomputed here.

``compmo-eval leaderboard --published h3d-babel`` adds the paper's H3D n BABEL rows beside one's
own results (``compmo`` adds the CompMo rows). They carry no signature: the protocol check cannot
vouch for them, and the table says so.
"""

from __future__ import annotations

from pathlib import Path

from evaluation.resultfiles import COLUMNS, Result

#: Where the numbers come from (docs/evaluation.md, "Leaderboards, uncertainty and reports").
SOURCE = "DEMO paper, Table 2"
#: Published rows per setting: (method, values in COLUMNS order).
TABLE2: dict[str, tuple[tuple[str, tuple[float, ...]], ...]] = {
    "compmo": (
        ("UniMotion", (0.6099, 12.8090, 1.0082, 0.4266, 0.8479, 0.7793, 0.0000, 36.14, 4.00)),
        ("DEMO", (17.8473, 64.4003, 134.4424, 16.4085, 24.0469, 23.8980, 11.0024, 77.94, 58.21)),
    ),
    "h3d-babel": (
        ("UniMotion", (5.7141, 30.4658, 6.7170, 5.0826, 5.8060, 5.1651, 0.4375, 49.95, 22.23)),
        ("DEMO", (7.9194, 25.9654, 7.8090, 5.7625, 6.2919, 5.6936, 0.1318, 51.56, 16.40)),
    ),
}
SETTINGS = tuple(TABLE2)
#: DEMO's released scripts on DEMO's released test predictions (6,000 videos, the imputed
#: durations), x100 as they print them (F1 in float64): the bit-exact target of compmo-eval
#: ``--protocol demo`` (``tests/evaluation/test_release_parity.py``, ``scripts/bench_eval.py``).
RELEASE_TARGETS = {
    "SODA_c": 17.89958236775056,
    "CIDEr": 134.6804157381805,
    "METEOR": 16.38297877588815,
    "ROUGE_L": 24.19879196373197,
    "Bleu_1": 24.027680507978197,
    "Bleu_4": 10.985057038131576,
    "Precision": 68.35109153577883,
    "Recall": 72.6287996031742,
    "F1": 59.245949072657496,
    "tIoU": 78.42829298912765,
}
#: Test-set sizes of the published settings (for the note under the table).
SIZES = {"compmo": "CompMo test split", "h3d-babel": "H3D n BABEL, 7,056 train / 1,325 test"}


def published_results(setting: str) -> list[Result]:
    """The published rows of ``setting`` as :class:`Result` rows named ``"<method> (published)"``."""
    if setting not in TABLE2:
        raise ValueError(f"unknown published setting {setting!r} (one of {', '.join(SETTINGS)})")
    rows = []
    for method, values in TABLE2[setting]:
        metrics = {key: v for (_, key), v in zip(COLUMNS, values, strict=True)}
        doc = {"published": True, "source": SOURCE, "setting": setting, "metrics": metrics}
        rows.append(Result(Path(f"<{SOURCE}>"), f"{method} (published)", metrics, {}, {}, doc))
    return rows


def published_note(setting: str) -> str:
    """The line printed under a table holding published rows."""
    return (
        f"rows marked (published): {SOURCE}, {SIZES[setting]}; copied, not recomputed "
        "(no signature: protocol and ground truth unchecked)"
    )
