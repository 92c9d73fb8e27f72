"""The dataset build configuration: YAML presets (``datasets/*.yaml``) plus overrides.

Every field has a default; a preset, ``--set section.key=value`` or a ``--flag`` changes some of
them (:mod:`compmo_gen.core.config`). Unknown keys and wrong types are errors naming the file and
the key. The resolved configuration is saved with the dataset and hashed: a resumed or merged
build must use the same one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from compmo_gen.composition.compose import ComposeConfig
from compmo_gen.composition.multitrack import MultitrackOptions
from compmo_gen.composition.quality import Gate
from compmo_gen.composition.transitions import MODES
from compmo_gen.core import config as core_config
from compmo_gen.core.config import setting
from compmo_gen.core.errors import ConfigError
from compmo_gen.sources.humanml3d import LoadOptions

#: Most sequences one build makes (CompMo has 60,000; ten million is about 20 TB of motion).
MAX_SEQUENCES = 10_000_000


@dataclass(frozen=True)
class LibraryOptions:
    """The embedded procedural clip library (``library.*`` keys)."""

    #: Parameter draws per action kind (mirrors are added for left/right draws).
    per_kind: int = setting(40, ge=1, le=10_000)


@dataclass(frozen=True)
class BuildConfig:
    """Everything that decides a built dataset's bytes (saved as ``build_config.json``)."""

    #: "procedural" (the embedded library) or "humanml3d:/path/to/HumanML3D".
    source: str = "procedural"
    #: Number of sequences.
    num: int = setting(2000, ge=1, le=MAX_SEQUENCES)
    #: Random seed (every sequence has its own generator derived from it).
    seed: int = setting(0, ge=0, lt=2**63)
    #: Split by sequence (CompMo) or by atomic clip (no clip or caption shared across splits).
    split_by: Literal["sequence", "atomic"] = "sequence"
    #: Train, val and test shares of the sequences (or of the atomic clips).
    ratios: tuple[float, float, float] = setting(default=(0.8, 0.1, 0.1), ge=0)
    #: Sequences per resumable work unit.
    chunk: int = setting(200, ge=1, le=100_000)
    #: The embedded library.
    library: LibraryOptions = field(default_factory=LibraryOptions)
    #: HumanML3D loading.
    humanml3d: LoadOptions = field(default_factory=LoadOptions)
    #: Composition of sequences.
    composition: ComposeConfig = field(default_factory=ComposeConfig)
    #: Overlaid actions on disjoint body parts (docs/multitrack.md); off by default.
    multitrack: MultitrackOptions = field(default_factory=MultitrackOptions)
    #: Build even when the source has fewer distinct usable motions than the sequence count needs
    #: (see docs/building.md); not saved with the dataset (it does not change its bytes).
    allow_few_clips: bool = setting(False, saved=False)

    def to_dict(self) -> dict[str, Any]:
        data = core_config.to_dict(self)
        if not self.multitrack.enabled:  # sequential builds keep their bytes and their hash
            data.pop("multitrack")
        return data

    def sha256(self) -> str:
        return core_config.config_hash(self)  # of to_dict() above

    def validate(self, where: str = "config") -> None:
        """Cross-field rules (each field's type was checked when it was read)."""
        c = self.composition
        if self.num < 1:
            raise ConfigError(f"{where}: num must be >= 1")
        if self.split_by not in ("sequence", "atomic"):
            raise ConfigError(f"{where}: split_by must be 'sequence' or 'atomic'")
        if not (self.source == "procedural" or self.source.startswith("humanml3d:")):
            raise ConfigError(f"{where}: source must be 'procedural' or 'humanml3d:PATH'")
        if c.transition not in MODES:
            raise ConfigError(f"{where}: composition.transition must be one of {', '.join(MODES)}")
        if not 1 <= c.min_actions <= c.max_actions:
            raise ConfigError(f"{where}: need 1 <= composition.min_actions <= max_actions")
        if c.window < 2 or c.window % 2 or c.half_life <= 0 or c.max_attempts < 1 or self.chunk < 1:
            raise ConfigError(
                f"{where}: window must be even >= 2, half_life > 0, max_attempts/chunk >= 1"
            )
        if min(self.ratios) < 0 or sum(self.ratios) <= 0 or self.library.per_kind < 1:
            raise ConfigError(f"{where}: ratios must be >= 0 and library.per_kind >= 1")
        problems = self.multitrack.validate(where) if self.multitrack.enabled else []
        if problems:
            raise ConfigError(problems[0])


def validate(cfg: BuildConfig, where: str = "config") -> BuildConfig:
    cfg.validate(where)
    return cfg


def load_config(
    preset: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    sets: Iterable[str] = (),
) -> BuildConfig:
    """Defaults, then the YAML preset, then ``--set`` items (``"key=value"``), then dotted
    overrides ``{"composition.transition": "concat"}`` (the command line's flags)."""
    return core_config.load(BuildConfig, preset, sets=sets, values=overrides, where="override")


def from_dict(data: Mapping[str, Any], where: str = "build_config.json") -> BuildConfig:
    return core_config.from_dict(BuildConfig, data, where)


__all__ = ["BuildConfig", "ConfigError", "Gate", "LibraryOptions", "load_config", "from_dict"]
