"""The dataset build configuration: YAML presets (``datasets/*.yaml``) plus overrides.

Every field has a default; a preset or ``--set section.key=value`` changes some of them. Unknown
keys and wrong types are errors naming the file and the key. The resolved configuration is saved
with the dataset and hashed: a resumed or merged build must use the same one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compmo_gen.compose import ComposeConfig
from compmo_gen.humanml3d import LoadOptions
from compmo_gen.quality import Gate
from compmo_gen.transitions import MODES


class ConfigError(ValueError):
    """A preset or override is invalid (one line, names the file and key)."""


@dataclass(frozen=True)
class LibraryOptions:
    per_kind: int = 40  # parameter draws per kind (mirrors are added for left/right draws)


@dataclass(frozen=True)
class BuildConfig:
    source: str = "procedural"  # or "humanml3d:/path/to/HumanML3D"
    num: int = 2000
    seed: int = 0
    split_by: str = "sequence"  # or "atomic"
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    chunk: int = 200  # sequences per resumable work unit
    library: LibraryOptions = field(default_factory=LibraryOptions)
    humanml3d: LoadOptions = field(default_factory=LoadOptions)
    composition: ComposeConfig = field(default_factory=ComposeConfig)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _coerce(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        if not isinstance(value, (list, tuple)) or len(value) != len(default):
            raise ConfigError(f"{where}: expected {len(default)} values, got {value!r}")
        return tuple(_coerce(v, d, where) for v, d in zip(value, default, strict=True))
    if default is None or isinstance(default, str):
        if value is None or isinstance(value, (str, int)):
            return None if value is None else str(value)
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    raise ConfigError(f"{where}: unsupported value {value!r}")


def _apply(obj: Any, data: Mapping[str, Any], where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping")
    fields = {f.name: f for f in dataclasses.fields(obj)}
    changes = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(fields)})")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            changes[key] = _apply(current, value, f"{where}.{key}")
        elif key == "max_verbs" and (value is None or str(value).lower() in ("null", "none")):
            changes[key] = None
        else:
            changes[key] = _coerce(value, current if current is not None else 0, f"{where}.{key}")
    return dataclasses.replace(obj, **changes)


def validate(cfg: BuildConfig, where: str = "config") -> BuildConfig:
    c = cfg.composition
    if cfg.num < 1:
        raise ConfigError(f"{where}: num must be >= 1")
    if cfg.split_by not in ("sequence", "atomic"):
        raise ConfigError(f"{where}: split_by must be 'sequence' or 'atomic'")
    if not (cfg.source == "procedural" or cfg.source.startswith("humanml3d:")):
        raise ConfigError(f"{where}: source must be 'procedural' or 'humanml3d:PATH'")
    if c.transition not in MODES:
        raise ConfigError(f"{where}: composition.transition must be one of {', '.join(MODES)}")
    if not 1 <= c.min_actions <= c.max_actions:
        raise ConfigError(f"{where}: need 1 <= composition.min_actions <= max_actions")
    if c.window < 2 or c.window % 2 or c.half_life <= 0 or c.max_attempts < 1 or cfg.chunk < 1:
        raise ConfigError(
            f"{where}: window must be even >= 2, half_life > 0, max_attempts/chunk >= 1"
        )
    if min(cfg.ratios) < 0 or sum(cfg.ratios) <= 0 or cfg.library.per_kind < 1:
        raise ConfigError(f"{where}: ratios must be >= 0 and library.per_kind >= 1")
    return cfg


def load_config(
    preset: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> BuildConfig:
    """Defaults, then the YAML preset, then dotted overrides ``{"composition.transition": "concat"}``."""
    import yaml

    cfg = BuildConfig()
    if preset is not None:
        path = Path(preset)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read preset ({str(exc).splitlines()[0]})") from None
        cfg = _apply(cfg, data, str(path))
    for dotted, value in (overrides or {}).items():
        nested: Any = value
        for key in reversed(dotted.split(".")):
            nested = {key: nested}
        cfg = _apply(cfg, nested, "override")
    return validate(cfg, str(preset or "config"))


def from_dict(data: Mapping[str, Any], where: str = "build_config.json") -> BuildConfig:
    return validate(_apply(BuildConfig(), data, where), where)


__all__ = ["BuildConfig", "ConfigError", "Gate", "LibraryOptions", "load_config", "from_dict"]
