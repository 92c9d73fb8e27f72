"""compmo_gen.core.config: one coerce, one loader, help from ``#:`` comments, every shipped YAML."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from compmo_gen.core import config as cc
from compmo_gen.core.config import ConfigError, coerce, setting
from compmo_gen.core.config_cli import add_options, field_docs, keys_help, options_given
from compmo_gen.core.errors import CompmoError

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Inner:
    #: Window length in frames.
    window: int = setting(default=10, gt=0)
    mode: Literal["a", "b"] = "a"  #: Blend mode.


@dataclass(frozen=True)
class Demo:
    """A configuration with every supported kind of field."""

    #: Learning rate of the demo.
    #: A second line of the same help.
    rate: float = setting(default=0.5, ge=0, lt=1)
    count: int = 3
    flag: bool = False
    name: str | None = None
    limit: int | None = 1
    names: list[str] = field(default_factory=lambda: ["x"])
    ratios: tuple[float, float] = (0.5, 0.5)
    thresholds: tuple[float, ...] = setting(default=(0.3, 0.5), ge=0, le=1)
    raw: float = setting(default=1.0, finite=False)
    #: The nested section.
    inner: Inner = field(default_factory=Inner)

    def validate(self) -> None:
        if self.count == 13:
            raise ConfigError("count: unlucky")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("Yes", True), ("1", True), ("FALSE", False), ("no", False), ("0", False)],
)
def test_bool_spellings(text: str, expected: bool) -> None:
    assert coerce(text, bool, "flag") is expected
    assert coerce(expected, bool, "flag") is expected


@pytest.mark.parametrize("text", ["on", "off", "y", "2", "", "truee"])
def test_other_bool_spellings_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^flag: expected true/false"):
        coerce(text, bool, "flag")


def test_coerce_types() -> None:
    assert (
        coerce("7", int, "k") == 7
        and coerce(7.0, int, "k") == 7
        and coerce("1e3", int, "k") == 1000
    )
    assert coerce("5e-5", float, "k") == 5e-5 and coerce(2, float, "k") == 2.0
    assert coerce("none", int | None, "k") is None and coerce("null", str | None, "k") is None
    assert coerce("4", int | None, "k") == 4 and coerce(None, int | None, "k") is None
    assert coerce("q_proj,v_proj", list[str], "k") == ["q_proj", "v_proj"]
    assert coerce("[q_proj, v_proj]", list[str], "k") == ["q_proj", "v_proj"]
    assert coerce("0.3 0.5", tuple[float, ...], "k") == (0.3, 0.5)
    assert coerce([1, 2], tuple[float, float], "k") == (1.0, 2.0)
    assert coerce("b", Literal["a", "b"], "k") == "b"
    assert coerce(12, str, "k") == "12"
    for value, tp in ((True, int), ("x", int), ("2.5", int), ("abc", float), ([1], str)):
        with pytest.raises(ConfigError, match=r"^k: expected"):
            coerce(value, tp, "k")
    with pytest.raises(ConfigError, match=r"k: must be one of a, b, got 'c'"):
        coerce("c", Literal["a", "b"], "k")
    with pytest.raises(ConfigError, match=r"k: expected 2 values"):
        coerce("1,2,3", tuple[float, float], "k")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^--set: rate: must be a finite number"):
        cc.load(Demo, sets=[f"rate={text}"])
    assert math.isinf(cc.load(Demo, sets=["raw=inf"]).raw)  # this field declares finite=False


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("rate=-0.1", r"rate: must be >= 0, got -0.1"),
        ("rate=1", r"rate: must be < 1, got 1.0"),
        ("inner.window=0", r"inner.window: must be > 0, got 0"),
        ("thresholds=0.3,1.5", r"thresholds: must be <= 1, got 1.5"),
        ("thresholds=0.3,-1", r"thresholds: must be >= 0"),
    ],
)
def test_declared_ranges(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cc.load(Demo, sets=[item])


def test_layers_yaml_then_sets_then_values(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("count: 4\ninner:\n  mode: b\nnames: [p, q]\nratios: [0.2, 0.8]\n")
    cfg = cc.load(Demo, y, sets=["count=5", "inner.window=12"], values={"flag": "yes"})
    assert (cfg.count, cfg.inner, cfg.names, cfg.ratios, cfg.flag) == (
        5,
        Inner(12, "b"),
        ["p", "q"],
        (0.2, 0.8),
        True,
    )
    assert cc.load(Demo, y, sets={"count": 6}, values={"count": 7}).count == 7
    assert cc.load(Demo, sets=["limit=none"]).limit is None


def test_errors_name_the_source_and_the_key(tmp_path: Path) -> None:
    y = tmp_path / "c.yaml"
    y.write_text("inner:\n  windw: 3\n")
    with pytest.raises(
        ConfigError, match=r"c\.yaml: inner\.windw: unknown config key \(did you mean 'window'\?\)"
    ):
        cc.load(Demo, y)
    y.write_text("count: many\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: count: expected int, got 'many'"):
        cc.load(Demo, y)
    y.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: expected a mapping"):
        cc.load(Demo, y)
    y.write_text("count: [unclosed\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: cannot read the config file"):
        cc.load(Demo, y)
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read"):
        cc.load(Demo, tmp_path / "nope.yaml")
    with pytest.raises(
        ConfigError, match=r"--set: inner: expected a mapping of config keys, got '3'"
    ):
        cc.load(Demo, sets=["inner=3"])
    with pytest.raises(ConfigError, match=r"--set 'count': expected key=value"):
        cc.load(Demo, sets=["count"])
    with pytest.raises(ConfigError, match=r"count: unlucky"):
        cc.load(Demo, sets=["count=13"])
    assert issubclass(ConfigError, CompmoError)


def test_to_dict_hash_and_save_round_trip(tmp_path: Path) -> None:
    cfg = cc.load(Demo, sets=["inner.mode=b", "ratios=0.1,0.9"])
    data = cc.to_dict(cfg)
    assert data["ratios"] == [0.1, 0.9] and data["inner"] == {"window": 10, "mode": "b"}
    assert cc.config_hash(cfg) == cc.config_hash(
        cc.from_dict(Demo, json.loads(json.dumps(data)), "x")
    )
    assert cc.config_hash(cfg) != cc.config_hash(Demo())
    cc.save_yaml(cfg, tmp_path / "run" / "config.yaml")
    cc.save_json(cfg, tmp_path / "run" / "config.json")
    assert cc.load(Demo, tmp_path / "run" / "config.yaml") == cfg
    assert (
        cc.from_dict(Demo, json.loads((tmp_path / "run" / "config.json").read_text()), "j") == cfg
    )
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["config.json", "config.yaml"]


def test_help_text_comes_from_the_comments() -> None:
    docs = field_docs(Demo)
    assert docs["rate"] == "Learning rate of the demo. A second line of the same help."
    assert field_docs(Inner) == {"window": "Window length in frames.", "mode": "Blend mode."}
    assert "count" not in docs
    parser = argparse.ArgumentParser(prog="demo")
    add_options(parser, Demo, flags={"inner.mode": "--mode"})
    text = parser.format_help()
    assert "Learning rate of the demo. A second line" in " ".join(text.split())
    assert "--inner-window" in text and "--mode {a,b}" in text and "--flag [true|false]" in text
    assert "inner.window (int, > 0, default 10): Window length in frames." in keys_help(Demo)


def test_generated_flags_parse_and_layer() -> None:
    parser = argparse.ArgumentParser(prog="demo")
    add_options(parser, Demo, flags={"inner.mode": "--mode"})
    args = parser.parse_args(["--flag", "--count", "9", "--mode", "b", "--names", "a,b"])
    given = options_given(args, Demo)
    assert given == {"count": 9, "flag": True, "names": ["a", "b"], "inner.mode": "b"}
    cfg = cc.load(Demo, sets=["count=2"], values=given)
    assert cfg.count == 9 and cfg.inner.mode == "b" and cfg.flag is True
    assert options_given(parser.parse_args(["--flag", "false"]), Demo) == {"flag": False}
    assert options_given(parser.parse_args(["--limit", "none"]), Demo) == {"limit": None}
    assert (
        cc.load(Demo, values=options_given(parser.parse_args(["--limit", "none"]), Demo)).limit
        is None
    )
    for bad in (["--count", "x"], ["--rate", "nan"], ["--mode", "c"], ["--flag", "maybe"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


SHIPPED = sorted((REPO / "datasets").glob("*.yaml")) + sorted(
    (REPO / "modeling" / "configs").glob("*.yaml")
)


def test_every_shipped_yaml_is_found() -> None:
    names = {p.name for p in SHIPPED}
    assert {"default.yaml", "compmo.yaml", "train_stage1.yaml", "train_stage2.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_yaml_loads(path: Path) -> None:
    from compmo_gen.dataset.build_config import BuildConfig
    from modeling.config import TrainConfig

    if path.parent.name == "datasets":
        cfg = cc.load(BuildConfig, path)
        assert cfg.num >= 1 and cfg.sha256() == cc.config_hash(cfg)
    else:
        cfg = cc.load(TrainConfig, path, values={"model": "m"})
        assert cfg.train_file and cfg.stage == "stage1"
    keys = set(cc.read_yaml(path))
    assert keys and keys <= {f.split(".")[0] for f in cc.to_dict(cfg)}
