"""Motion import: real CMU BVH walks (fixtures with their origin in data/bvh/README.md), joint
arrays of other skeletons in other units and axes, synthetic SMPL parameters, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import (
    JOINT_NAMES,
    PARENTS,
    REST_POSE,
    bone_error,
    heading_angles,
)
from compmo_gen.motion_import import ImportOptions, MotionImportError, import_motion

pytest.importorskip("pybvh")
BVH = Path(__file__).parents[1] / "data" / "bvh"
WALK = BVH / "cmu_12_01_walk_30fps.bvh"
SCALED = BVH / "cmu_scaled_131_01_first60.bvh"


def assert_canonical(j: np.ndarray) -> None:
    assert j.dtype == np.float32 and j.ndim == 3 and j.shape[1:] == (22, 3)
    assert abs(float(j[..., 1].min())) < 1e-5  # floor at 0
    assert np.allclose(j[0, 0, [0, 2]], 0, atol=1e-5)  # root at the origin at frame 0
    assert abs(heading_angles(j[:1].astype(np.float64), sigma=0)[0]) < 1e-4  # facing +z
    assert bone_error(j.astype(np.float64)) < 1e-4  # HumanML3D bone lengths


def test_real_cmu_walk_is_a_forward_walk() -> None:
    j, rep = import_motion(WALK)
    assert (rep.skeleton, rep.units, rep.up, rep.mirrored) == ("cmu", "cmu", "+y", False)
    assert (rep.source_frames, rep.source_fps, rep.frames) == (131, pytest.approx(30.0, abs=1e-3), 87)  # fmt: skip
    assert_canonical(j)
    travel = j[-1, 0] - j[0, 0]
    speed = float(np.linalg.norm(travel[[0, 2]])) / (len(j) / 20)
    assert 0.8 < speed < 1.8  # a walking pace, m/s
    assert travel[2] > 3 * abs(travel[0])  # forward, where the body faced at frame 0
    step = np.sign(j[:, 7, 2] - j[:, 8, 2])  # left ankle ahead of the right one, or behind
    assert np.count_nonzero(np.diff(step[step != 0])) >= 4  # the feet alternate: steps
    assert 0.85 < float(j[:, 0, 1].mean()) < 1.05  # pelvis height of a standing adult


def test_real_humanml3d_clips_are_a_fixed_point(humanml3d_sample) -> None:
    for f in sorted((humanml3d_sample / "new_joints").glob("*.npy")):
        j, rep = import_motion(f, ImportOptions(fps=20.0))
        assert (rep.skeleton, rep.units, rep.up, rep.mirrored) == ("humanml3d", "m", "+y", False)
        np.testing.assert_allclose(j, np.load(f), atol=1e-5)


def test_metres_bvh_and_other_preset() -> None:
    j, rep = import_motion(SCALED)
    assert (rep.skeleton, rep.units, rep.metres_per_unit) == ("cmu-cgspeed", "m", 1.0)
    assert rep.frames == 10  # 60 frames at 120 fps
    assert_canonical(j)


def _as_source(j: np.ndarray, unit: float, up: str) -> np.ndarray:
    """HumanML3D joints -> an SMPL-24 array (hands copied from wrists) in other units and axes."""
    a = np.concatenate([j, j[:, 20:22]], 1).astype(np.float64) / unit
    if up == "+z":  # y up -> z up, a proper rotation
        a = np.stack([a[..., 0], -a[..., 2], a[..., 1]], -1)
    return a


@pytest.mark.parametrize(("unit", "name", "up"), [(0.01, "cm", "+z"), (0.001, "mm", "+y"), (1.0, "m", "+z")])  # fmt: skip
def test_joint_arrays_units_and_up_axis_are_detected(tmp_path, unit, name, up) -> None:
    ref, _ = import_motion(WALK)
    src = tmp_path / "walk.npy"
    np.save(src, _as_source(ref, unit, up))
    j, rep = import_motion(src, ImportOptions(fps=20.0))
    assert (rep.skeleton, rep.units, rep.up, rep.mirrored) == ("smpl24", name, up, False)
    np.testing.assert_allclose(j, ref, atol=1e-4)


def test_npz_joints_with_their_frame_rate(tmp_path) -> None:
    ref, _ = import_motion(WALK)
    a = _as_source(ref, 0.01, "+z")
    a = np.concatenate([a, np.zeros((len(a), 21, 3))], 1)  # smplx's SMPL output: 45 joints
    np.savez(tmp_path / "walk.npz", joints=a, fps=np.array(20.0))
    j, rep = import_motion(tmp_path / "walk.npz")
    assert (rep.format, rep.skeleton, rep.units, rep.up) == ("joint array", "smpl45", "cm", "+z")
    np.testing.assert_allclose(j, ref, atol=1e-4)


def test_left_handed_source_is_detected_and_fixed(tmp_path) -> None:
    ref, _ = import_motion(WALK)
    src = tmp_path / "mirror.npy"
    a = _as_source(ref, 1.0, "+y")
    a[..., 0] *= -1  # a left-handed copy: same labels, x flipped
    np.save(src, a)
    j, rep = import_motion(src, ImportOptions(fps=20.0))
    assert rep.mirrored
    np.testing.assert_allclose(j, ref, atol=1e-4)


def test_joint_map_for_an_unknown_skeleton(tmp_path) -> None:
    ref, _ = import_motion(WALK)
    rng = np.random.default_rng(0)
    order = rng.permutation(31)  # a 31-joint skeleton: the 22 joints at shuffled places
    arr = rng.normal(size=(len(ref), 31, 3))
    arr[:, order[:22]] = ref
    np.save(tmp_path / "wham.npy", arr)
    mapping = {name: int(order[i]) for i, name in enumerate(JOINT_NAMES)}
    (tmp_path / "map.json").write_text(json.dumps(mapping))
    out = tmp_path / "out"
    args = [str(tmp_path / "wham.npy"), "--out", str(out), "--fps", "20", "-q"]
    assert main(["import-motion", *args, "--joint-map", str(tmp_path / "map.json")]) == 0
    np.testing.assert_allclose(np.load(out / "new_joints" / "wham.npy"), ref, atol=1e-4)
    report = json.loads((out / "import_report.json").read_text())
    assert report["wham"]["skeleton"] == "joint-map"
    assert (out / "index.csv").read_text().splitlines()[1].endswith(f",0,{len(ref)},wham.npy")


def test_cli_writes_humanml3d_layout(tmp_path) -> None:
    out = tmp_path / "hml"
    assert main(["import-motion", str(WALK), str(SCALED), "--out", str(out), "-q"]) == 0
    assert (out / "all.txt").read_text().split() == [WALK.stem, SCALED.stem]
    assert np.load(out / "new_joints" / f"{WALK.stem}.npy").shape == (87, 22, 3)


# --- synthetic SMPL parameters (a tiny SMPL-shaped model: joint i sits on vertex i) -------------
SMPL_PARENTS = list(PARENTS) + [20, 21]
#: SMPL-H: the 22 body joints, then 15 joints per hand (3 per finger).
SMPLH_PARENTS = list(PARENTS) + [p for w in (20, 21) for k in range(5) for p in (w, 22 + 15 * (w - 20) + 3 * k, 23 + 15 * (w - 20) + 3 * k)]  # fmt: skip


def write_smpl_model(path: Path, seed: int = 0, parents: list[int] = SMPL_PARENTS) -> None:
    rng = np.random.default_rng(seed)
    n = len(parents)
    v = rng.normal(0, 0.3, (n + 16, 3)) + [0, 0.9, 0]
    v[:22] = REST_POSE - REST_POSE[0]
    v[22:n] = v[[20 + (k >= (n - 22) // 2) for k in range(n - 22)]] + 0.08
    kintree = np.array([parents, list(range(n))], dtype=np.int64)
    kintree[0, 0] = 4294967295
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, v_template=v, shapedirs=rng.normal(0, 0.01, (n + 16, 3, 16)), J_regressor=np.eye(n, n + 16), kintree_table=kintree)  # fmt: skip


def smpl_walk(n: int = 90, fps: float = 30.0) -> dict[str, np.ndarray]:
    """Split layout: upright in a z-up world (+90 deg about x), walking 1 m/s along -y (facing)."""
    rng = np.random.default_rng(1)
    t = np.arange(n) / fps
    return {
        "global_orient": np.tile([np.pi / 2, 0, 0], (n, 1)),
        "body_pose": rng.normal(0, 0.05, (n, 69)),
        "transl": np.stack([0 * t, -t, 0.95 + 0 * t], -1),
        "betas": np.zeros(10),  # the template body: HumanML3D leg lengths, no root rescaling
        "fps": np.array(fps),
    }


def test_smpl_parameters_with_a_user_body_model(tmp_path) -> None:
    pytest.importorskip("smplx")
    write_smpl_model(tmp_path / "SMPL_NEUTRAL.npz")
    np.savez(tmp_path / "walk.npz", **smpl_walk())
    j, rep = import_motion(tmp_path / "walk.npz", smpl_dir=tmp_path)
    assert (rep.format, rep.skeleton, rep.up, rep.units) == ("smpl parameters", "smpl", "+z", "m")
    assert rep.frames == 60
    assert_canonical(j)
    travel = j[-1, 0] - j[0, 0]
    dist = float(np.hypot(travel[0], travel[2]))
    assert dist == pytest.approx(2.95, abs=0.15) and travel[2] > 0.9 * dist  # 1 m/s, forward


def test_amass_smplh_matches_smpl2joints(tmp_path) -> None:
    """AMASS layout (poses 156, z up, 60 fps): the same joints as the smpl2joints converter."""
    pytest.importorskip("smplx")
    from compmo_gen.sources import smpl

    model = tmp_path / "smplh" / "male" / "model.npz"
    write_smpl_model(model, parents=SMPLH_PARENTS)
    rng = np.random.default_rng(2)
    n, t = 120, np.arange(120) / 60
    poses = rng.normal(0, 0.1, (n, 156))
    poses[:, :3] = [np.pi / 2, 0, 0]
    motion = {"poses": poses, "trans": np.stack([0.3 + 0 * t, 2.0 - t, 0.95 + 0 * t], -1), "betas": rng.normal(0, 1, 16), "mocap_framerate": np.array(60.0), "gender": np.array("male")}  # fmt: skip
    np.savez(tmp_path / "amass.npz", **motion)
    j, rep = import_motion(tmp_path / "amass.npz", smpl_dir=tmp_path)
    assert (rep.skeleton, rep.up, rep.frames) == ("smplh", "+z", 40)
    ref = smpl.amass_to_humanml3d(smpl.load_body_model(model), poses, motion["trans"], motion["betas"], 60.0)  # fmt: skip
    np.testing.assert_allclose(j, ref, atol=1e-4)


def _fails(tmp_path: Path, capsys, args: list[str], expect: str) -> None:
    out = tmp_path / "never"
    assert main(["import-motion", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expect in err, err
    assert not out.exists()  # nothing half-written


def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys) -> None:
    text = WALK.read_text()
    (tmp_path / "noroot.bvh").write_text(text.replace("ROOT Hips", "JOINT Hips", 1))
    (tmp_path / "renamed.bvh").write_text(text.replace("LeftUpLeg", "Thigh_L"))
    np.save(tmp_path / "nan.npy", np.full((5, 24, 3), np.nan))
    np.save(tmp_path / "empty.npy", np.zeros((0, 24, 3)))
    np.save(tmp_path / "j31.npy", np.zeros((5, 31, 3)))
    good = str(WALK)
    _fails(tmp_path, capsys, [good, str(tmp_path / "noroot.bvh")], "without a ROOT")
    _fails(tmp_path, capsys, [str(tmp_path / "renamed.bvh")], "unknown skeleton")
    _fails(tmp_path, capsys, [str(tmp_path / "renamed.bvh"), "--skeleton", "mixamo"], "lacks joint")
    _fails(tmp_path, capsys, [str(tmp_path / "nan.npy"), "--fps", "30"], "frame 0: NaN")
    _fails(tmp_path, capsys, [str(tmp_path / "empty.npy"), "--fps", "30"], "zero frames")
    _fails(
        tmp_path, capsys, [str(tmp_path / "j31.npy"), "--fps", "30"], "31 joints: unknown skeleton"
    )
    _fails(tmp_path, capsys, [str(tmp_path / "j31.npy")], "31 joints")
    _fails(tmp_path, capsys, [str(tmp_path / "nope.bvh")], "no such file")


def test_wrong_or_missing_body_model(tmp_path, capsys) -> None:
    write_smpl_model(tmp_path / "SMPLX_NEUTRAL.npz")  # a 24-joint model under an SMPL-X name
    walk = smpl_walk()
    poses = np.concatenate([walk["global_orient"], walk["body_pose"][:, :63], np.zeros((90, 99))], 1)  # fmt: skip
    np.savez(tmp_path / "x.npz", poses=poses, trans=walk["transl"], betas=walk["betas"], mocap_frame_rate=np.array(30.0), surface_model_type=np.array("smplx"))  # fmt: skip
    _fails(tmp_path, capsys, [str(tmp_path / "x.npz")], "need a body model: pass --smpl-dir")
    _fails(tmp_path, capsys, [str(tmp_path / "x.npz"), "--smpl-dir", str(tmp_path)], "wrong body model")  # fmt: skip
    with pytest.raises(MotionImportError, match="wrong or missing body model"):
        import_motion(tmp_path / "x.npz", smpl_dir=tmp_path / "empty")
