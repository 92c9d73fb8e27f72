"""The options of ``compmo-gen babel``: one frozen dataclass, named presets, validation.

Each option is a choice seen in published code (docs/BABEL.md). The default preset, ``demo-like``,
takes one label per frame (the longest wins where labels overlap), merges runs of identical
per-frame labels into segments and gives unlabeled spans to the neighbouring segment (DEMO's
``mm:ss:ms - text`` strings keep start times only, so its ground truth has no gaps). DEMO's exact
rule is not published; this is the likely one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from compmo_gen.core.errors import ConfigError

LABEL_TEXTS = ("raw", "proc", "act_cat")
TRANSITIONS = ("keep", "drop", "rename", "split")
OVERLAPS = ("longest", "first", "join", "multi-track")
GAPS = ("keep", "fill")
ANNOTATORS = ("dense", "dense-then-extra", "all")
SPLIT_BY = ("humanml3d", "unimotion", "source")


@dataclass(frozen=True)
class BabelConfig:
    """How BABEL labels become dense captions of HumanML3D clips."""

    label_text: str = "raw"  # raw_label (sanitised) | proc_label | act_cat
    transitions: str = "keep"  # keep (UniMotion) | drop (MLP) | rename | split (TEACH)
    overlap: str = "longest"  # longest | first (per frame) | join (" and ") | multi-track
    gaps: str = "fill"  # fill unlabeled spans from the neighbour (DEMO strings) | keep them
    annotators: str = "dense-then-extra"  # dense only | extra when not in dense | all (multi-track)
    mirrors: bool = True  # also the M-prefixed (left-right mirrored) clips
    min_frames: int = 40  # UniMotion's length filter: 40 <= frames < 200
    max_frames: int = 200  # exclusive; 0 disables the upper bound
    split_by: str = "humanml3d"  # humanml3d | unimotion (*_ft.txt lists) | source (AMASS sequence)
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)  # split_by=source only
    seed: int = 0  # split_by=source only

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready data (saved in the manifest)."""
        return json.loads(json.dumps({"babel": dataclasses.asdict(self)}))

    def sha256(self) -> str:
        """Hash of the options (identifies the setting in the manifest)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


#: Named presets: a starting point that single options override.
PRESETS: dict[str, dict[str, Any]] = {
    "demo-like": {},
    "unimotion": {"overlap": "longest", "transitions": "keep", "gaps": "keep"},
    "multi-track": {"overlap": "multi-track", "gaps": "keep"},
    "teach": {"transitions": "split", "overlap": "join", "label_text": "proc"},
    "mlp": {"transitions": "drop", "gaps": "keep"},
}


def validate(cfg: BabelConfig) -> BabelConfig:
    """Raise :class:`ConfigError` on an unknown choice or an impossible combination."""
    for name, allowed in (
        ("label_text", LABEL_TEXTS),
        ("transitions", TRANSITIONS),
        ("overlap", OVERLAPS),
        ("gaps", GAPS),
        ("annotators", ANNOTATORS),
        ("split_by", SPLIT_BY),
    ):
        if getattr(cfg, name) not in allowed:
            raise ConfigError(
                f"babel option {name}={getattr(cfg, name)!r}: one of {', '.join(allowed)}"
            )
    if cfg.annotators == "all" and cfg.overlap != "multi-track":
        raise ConfigError(
            "babel option annotators=all needs overlap=multi-track (annotators overlap)"
        )
    if cfg.gaps == "fill" and cfg.overlap == "multi-track":
        raise ConfigError("babel option gaps=fill is not defined for overlap=multi-track")
    if cfg.min_frames < 1 or (cfg.max_frames and cfg.max_frames <= cfg.min_frames):
        raise ConfigError("babel options: need 1 <= min_frames < max_frames (or max_frames 0)")
    r = cfg.ratios
    if len(r) != 3 or not all(isinstance(x, (int, float)) and math.isfinite(x) and 0 <= x <= 1 for x in r):  # fmt: skip
        raise ConfigError(f"babel option ratios {tuple(r)!r}: three finite shares in [0, 1]")
    if abs(sum(r) - 1) > 1e-6:
        raise ConfigError(f"babel option ratios {tuple(r)!r}: the shares must add up to 1 (they add up to {sum(r):g})")  # fmt: skip
    return cfg


def make_config(preset: str = "demo-like", **overrides: Any) -> BabelConfig:
    """A preset with some options replaced (``None`` values are ignored)."""
    if preset not in PRESETS:
        raise ConfigError(f"babel preset {preset!r}: one of {', '.join(PRESETS)}")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    try:
        cfg = BabelConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"babel options: {exc}") from None
    return validate(cfg)
