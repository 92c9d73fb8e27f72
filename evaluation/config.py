"""The settings of one evaluation (``compmo-eval score`` / ``sodab`` options, the results'
signature): a configuration class of :mod:`compmo_gen.core.config`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from compmo_gen.core.config import setting
from compmo_gen.core.errors import ConfigError
from evaluation.protocol import MAX_PROPOSALS, OVERLAP_THRESHOLDS, TIOUS

#: The keys ``compmo-eval score`` and ``sodab`` take as options (same spellings as before).
CLI_KEYS = (
    "protocol", "garbage", "seed", "tious", "overlap_thresholds", "max_proposals", "jobs",
    "multi_ref", "tokenizer", "meteor",
)  # fmt: skip


def default_jobs() -> int:
    """METEOR threads on the command line when ``--jobs`` is not given: min(4, cores)."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class EvalConfig:
    """Protocol settings. ``protocol="demo"`` reproduces DEMO's scripts; ``"strict"`` counts every
    GT video everywhere (missing, empty or unparseable predictions score 0)."""

    #: strict: every GT video counts in every metric, missing/empty/unparseable predictions score
    #: 0; demo: DEMO's scripts exactly (SODA and overlap metrics only over videos with
    #: predictions).
    protocol: Literal["strict", "demo"] = "strict"
    #: ActivityNet tIoU thresholds.
    tious: tuple[float, ...] = setting(default=TIOUS, ge=0, le=1)
    #: Thresholds of the localisation P/R/F1 (default: 0.5, 0.55, ..., 0.95 with
    #: np.arange's float artefacts, as the reference).
    overlap_thresholds: tuple[float, ...] = setting(default=OVERLAP_THRESHOLDS, ge=0, le=1)
    #: Predictions kept per video (the first ones), as the reference evaluator.
    max_proposals: int = setting(default=MAX_PROPOSALS, ge=1)
    #: Reference of unmatched predictions: a seeded random word, or the 2018 evaluator's
    #: 'abc123!@#' (changes METEOR only).
    garbage: Literal["random", "2018"] = "random"
    #: Seed of the garbage words.
    seed: int = setting(default=0, ge=0)
    #: METEOR scoring threads and caption worker processes (default: min(4, cores)).
    jobs: int = setting(default_factory=default_jobs, ge=1)
    #: Videos scored per chunk (bounds memory).
    chunk: int = setting(default=1000, ge=1)
    #: Show progress bars.
    progress: bool = False
    #: How several reference sets (--gt a.json b.json) combine: densevid (densevid_eval -r a b;
    #: SODA as soda.py without --multi_reference: the sets merged), soda-mr (soda.py
    #: --multi_reference: SODA's best set per video), pdvc (PDVC: SODA of each set, averaged).
    multi_ref: Literal["densevid", "soda-mr", "pdvc"] = "densevid"
    #: PTB tokenizer: native (Python, the jar's tokens; no Java) or java (CoreNLP's jar).
    tokenizer: Literal["native", "java"] = "native"
    #: METEOR 1.5: native (Python, the jar's scores; no Java) or java (meteor-1.5.jar).
    meteor: Literal["native", "java"] = "native"

    def validate(self) -> None:
        """Rules between keys (each key's type and range is checked when it is read)."""
        for key in ("tious", "overlap_thresholds"):
            if not getattr(self, key):
                raise ConfigError(f"{key}: needs at least one threshold")
