"""Any humanoid BVH skeleton imports without a hand-written map: joints of the cmu preset dropped
or renamed away in every combination family (spine, neck, collars, toes), each derived joint named
in the report; a skeleton without toes imports with --joint-map too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import JOINT_NAMES, bone_error, heading_angles
from compmo_gen.motion_import import import_motion

from .bvh_variants import drop_leaf, rename

pytest.importorskip("pybvh")
WALK = Path(__file__).parents[1] / "data" / "bvh" / "cmu_12_01_walk_30fps.bvh"
TOES = ["LeftToeBase", "RightToeBase"]
#: (joints renamed away, joints removed) -> HumanML3D joints derived
VARIANTS = {
    "pymo-walk": (["LowerBack", "Spine1", "Neck1"], [], {"spine1", "spine3"}),  # Neck found as neck
    "no-lowerback": (["LowerBack"], [], {"spine1"}),
    "no-spine": (["Spine"], [], {"spine2"}),
    "no-neck": (["Neck", "Neck1"], [], {"neck"}),
    "no-collars": (["LeftShoulder", "RightShoulder"], [], {"left_collar", "right_collar"}),
    "no-toes": ([], TOES, {"left_foot", "right_foot"}),
    "one-toe": ([], ["LeftToeBase"], {"left_foot"}),
    "bare": (["LowerBack", "Spine", "Spine1", "Neck", "Neck1", "LeftShoulder", "RightShoulder"], TOES,
             {"spine1", "spine2", "spine3", "neck", "left_collar", "right_collar", "left_foot", "right_foot"}),
}  # fmt: skip


def variant(tmp_path: Path, name: str) -> Path:
    renamed, dropped, _ = VARIANTS[name]
    text = rename(WALK.read_text(), renamed)
    for joint in dropped:
        text = drop_leaf(text, joint)
    path = tmp_path / f"{name}.bvh"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return import_motion(WALK)[0]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_missing_joints_are_derived_and_reported(tmp_path, reference, name) -> None:
    j, rep = import_motion(variant(tmp_path, name))
    assert set(rep.derived) == VARIANTS[name][2] and rep.skeleton == "cmu"
    assert "derived" in rep.line() and all(d in rep.line() for d in rep.derived)
    assert j.shape == reference.shape and np.isfinite(j).all()
    assert abs(float(j[..., 1].min())) < 1e-5 and bone_error(j.astype(np.float64)) < 1e-4
    assert abs(heading_angles(j[:1].astype(np.float64), sigma=0)[0]) < 1e-4
    assert float(np.abs(j - reference).max()) < 0.25  # the same walk, give or take derived joints
    travel = j[-1, 0] - j[0, 0]
    assert travel[2] > 3 * abs(travel[0])  # still a forward walk
    derived = [JOINT_NAMES.index(n) for n in rep.derived]
    legs = [k for k in (1, 2, 4, 5, 7, 8) if k not in derived]
    rel = lambda a: a[:, legs] - a[:, :1]  # noqa: E731
    assert float(np.abs(rel(j) - rel(reference)).max()) < 0.05


def test_a_required_joint_cannot_be_derived(tmp_path, capsys) -> None:
    path = tmp_path / "noknee.bvh"
    path.write_text(rename(WALK.read_text(), ["LeftLeg"]))
    assert main(["import-motion", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "leftleg" in err and "can be derived" in err


def test_joint_map_without_toes(tmp_path, capsys) -> None:
    path = variant(tmp_path, "no-toes")
    names = ["Hips", "LeftUpLeg", "RightUpLeg", "LowerBack", "LeftLeg", "RightLeg", "Spine",
             "LeftFoot", "RightFoot", "Spine1", None, None, "Neck1", "LeftShoulder",
             "RightShoulder", "Head", "LeftArm", "RightArm", "LeftForeArm", "RightForeArm",
             "LeftHand", "RightHand"]  # fmt: skip
    mapping = {n: src for n, src in zip(JOINT_NAMES, names, strict=True)}
    mapping.pop("left_foot")  # left out or null: both derived
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    out = tmp_path / "out"
    args = ["import-motion", str(path), "--out", str(out), "--joint-map", str(tmp_path / "map.json")]  # fmt: skip
    assert main(args) == 0
    assert "1 with derived joints" in capsys.readouterr().out
    rep = json.loads((out / "import_report.json").read_text())["no-toes"]
    assert rep["skeleton"] == "joint-map" and set(rep["derived"]) == {"left_foot", "right_foot"}
    mapping["left_knee"] = None  # a required joint cannot be left out
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    assert main([*args[:3], str(tmp_path / "o2"), *args[4:]]) == 2
    assert "no source for left_knee" in capsys.readouterr().err
