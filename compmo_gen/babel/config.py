"""The options of ``compmo-gen babel``: one frozen dataclass on the core configuration mechanism
(:mod:`compmo_gen.core.config`: ``--config FILE``, ``--set key=value``, one generated ``--flag`` per
field documented by its ``#:`` comment), named presets, validation.

Each option is a choice seen in published code (docs/babel.md). The default preset, ``demo-like``,
takes one label per frame (the longest wins where labels overlap), merges runs of identical
per-frame labels into segments and gives unlabeled spans to the neighbouring segment (DEMO's
``mm:ss:ms - text`` strings keep start times only, so its ground truth has no gaps). DEMO's exact
rule is not published; this is the likely one.
"""

from __future__ import annotations

import hashlib
import json
import os
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from compmo_gen.core import config as core_config
from compmo_gen.core.config import setting
from compmo_gen.core.errors import ConfigError

LabelText = Literal["raw", "proc", "act_cat"]
Transitions = Literal["keep", "drop", "rename", "split"]
Overlap = Literal["longest", "first", "join", "multi-track"]
Gaps = Literal["keep", "fill"]
Annotators = Literal["dense", "dense-then-extra", "all"]
SplitBy = Literal["humanml3d", "unimotion", "source"]
LABEL_TEXTS = typing.get_args(LabelText)
TRANSITIONS = typing.get_args(Transitions)
OVERLAPS = typing.get_args(Overlap)
GAPS = typing.get_args(Gaps)
ANNOTATORS = typing.get_args(Annotators)
SPLIT_BY = typing.get_args(SplitBy)
#: Largest split share accepted (shares are relative: 80,10,10 is 0.8,0.1,0.1).
MAX_RATIO = 1e6


@dataclass(frozen=True)
class BabelConfig:
    """How BABEL labels become dense captions of HumanML3D clips (``compmo-gen babel`` options,
    a YAML ``--config`` file or ``--set key=value``; saved in the manifest)."""

    #: Caption text: raw_label (sanitised), proc_label or act_cat.
    label_text: LabelText = "raw"
    #: BABEL 'transition' labels: keep (UniMotion), drop (MLP), rename, split (TEACH).
    transitions: Transitions = "keep"
    #: Overlapping labels: one per frame (longest or first wins), joined with " and ", or kept.
    overlap: Overlap = "longest"
    #: Unlabeled spans: fill from the neighbour (DEMO strings have no gaps) or keep them.
    gaps: Gaps = "fill"
    #: Which annotators: dense only, extra when not in dense, all (needs overlap multi-track).
    annotators: Annotators = "dense-then-extra"
    #: Also the M-prefixed (left-right mirrored) clips (--no-mirrors skips them).
    mirrors: bool = True
    #: Length filter: keep clips of at least this many frames (UniMotion: 40).
    min_frames: int = setting(40, ge=1)
    #: Length filter: keep clips shorter than this many frames (UniMotion: 200); 0 = no limit.
    max_frames: int = setting(200, ge=0)
    #: Splits: humanml3d's lists, unimotion's *_ft.txt lists, or by source AMASS sequence.
    split_by: SplitBy = "humanml3d"
    #: Train, val and test shares for split_by source (relative, not all 0).
    ratios: tuple[float, float, float] = setting(default=(0.8, 0.1, 0.1), ge=0, le=MAX_RATIO)
    #: Seed of split_by source.
    seed: int = setting(0, ge=0, lt=2**63)

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready data (saved in the manifest)."""
        return {"babel": core_config.to_dict(self)}

    def sha256(self) -> str:
        """Hash of the options (identifies the setting in the manifest)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def validate(self) -> None:
        """Cross-field rules (each field's type and limits were checked when it was read)."""
        validate(self)


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
    if len(cfg.ratios) != 3 or not all(0 <= r <= MAX_RATIO for r in cfg.ratios):
        raise ConfigError(f"babel option ratios: three finite values in [0, {MAX_RATIO:g}]")
    if sum(cfg.ratios) <= 0:
        raise ConfigError("babel option ratios: not all 0")
    return cfg


def make_config(preset: str = "demo-like", **overrides: Any) -> BabelConfig:
    """A preset with some options replaced (``None`` values are ignored), checked like a file."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return load_config(preset, values=values)


def load_config(
    preset: str = "demo-like",
    path: str | os.PathLike[str] | None = None,
    *,
    sets: Iterable[str] = (),
    values: Mapping[str, Any] | None = None,
) -> BabelConfig:
    """The named ``preset``, then the YAML file ``path``, then ``--set`` items (``"key=value"``),
    then ``values`` (the command line's flags); typed, limited and validated by the core loader."""
    if preset not in PRESETS:
        raise ConfigError(f"babel preset {preset!r}: one of {', '.join(PRESETS)}")
    cfg = core_config.apply(BabelConfig(), PRESETS[preset], f"preset {preset}")
    if path is not None:
        cfg = core_config.apply(cfg, core_config.read_yaml(path), str(path))
    if sets:
        cfg = core_config.apply(cfg, core_config.parse_sets(sets), "--set")
    if values:
        cfg = core_config.apply(cfg, values, "babel option")
    return validate(cfg)
