"""`compmo-gen babel` options on the core configuration mechanism: presets, ``--config`` YAML,
``--set``, generated flags (old names kept), limits checked with a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compmo_gen.babel.config import BabelConfig, load_config
from compmo_gen.cli import main
from compmo_gen.core.errors import ConfigError

from .test_babel_build import FIX, make_h3d


def test_layers_preset_file_set_flags(tmp_path: Path) -> None:
    yaml = tmp_path / "babel.yaml"
    yaml.write_text("min_frames: 20\nmax_frames: 0\nratios: [2, 1, 1]\n")
    cfg = load_config("teach", yaml, sets=["seed=7", "min_frames=30"], values={"mirrors": False})
    assert cfg == BabelConfig(
        transitions="split", overlap="join", label_text="proc",  # the preset
        min_frames=30, max_frames=0, ratios=(2.0, 1.0, 1.0), seed=7, mirrors=False,
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"min_frame: unknown config key \(did you mean"):
        load_config(sets=["min_frame=3"])
    with pytest.raises(ConfigError, match="overlap"):
        load_config(values={"overlap": "sideways"})


@pytest.mark.parametrize("ratios", ["nan,0.1,0.1", "0.8,inf,0.1", "1e308,0.1,0.1", "0,0,0", "1,2"])
def test_bad_ratios_one_line_exit_2(tmp_path: Path, capsys, ratios: str) -> None:
    out = tmp_path / "out"
    argv = ["babel", "--babel", str(FIX / "babel"), "--humanml3d", str(tmp_path), "--out", str(out)]
    try:
        rc = main([*argv, "--split-by", "source", "--ratios", ratios])
    except SystemExit as exc:  # refused while parsing the flag
        rc = exc.code
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "ratios" in err[-1] and "Traceback" not in "\n".join(err)
    assert not out.exists()


def test_bad_ratios_in_a_config_file(tmp_path: Path, capsys) -> None:
    yaml = tmp_path / "babel.yaml"
    yaml.write_text("ratios: [1.0e+308, 0, 0]\n")
    argv = ["babel", "--babel", str(FIX / "babel"), "--humanml3d", str(tmp_path), "--out", str(tmp_path / "o")]  # fmt: skip
    assert main([*argv, "--config", str(yaml)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(yaml) in err[0] and "ratios" in err[0]


def test_old_flags_and_set_reach_the_manifest(tmp_path: Path) -> None:
    h3d = make_h3d(tmp_path / "h3d")
    out = tmp_path / "out"
    argv = ["babel", "--babel", str(FIX / "babel"), "--humanml3d", str(h3d), "--out", str(out)]
    opts = ["--no-mirrors", "--min-frames", "30", "--set", "gaps=keep", "--label-text", "proc"]
    assert main([*argv, "-q", *opts]) == 0
    saved = json.loads((out / "manifest.json").read_text())["config"]["babel"]
    assert (saved["mirrors"], saved["min_frames"], saved["gaps"], saved["label_text"]) == (
        False, 30, "keep", "proc",
    )  # fmt: skip
    assert load_config(values=saved) == load_config(values={"mirrors": False, "min_frames": 30, "gaps": "keep", "label_text": "proc"})  # fmt: skip
