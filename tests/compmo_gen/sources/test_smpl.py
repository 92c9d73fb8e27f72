"""SMPL-H (AMASS npz) -> HumanML3D joints, on a synthetic body model built here (no real files)."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import PARENTS, REST_POSE, bone_error, heading_angles

torch = pytest.importorskip("torch")
smplx = pytest.importorskip("smplx")
from compmo_gen.sources import smpl  # noqa: E402

#: SMPL-H kinematic tree: the 22 body joints, then 15 left-hand and 15 right-hand joints.
SMPLH_PARENTS = list(PARENTS) + [p for w in (20, 21) for k in range(5) for p in (w, 22 + 15 * (w - 20) + 3 * k, 23 + 15 * (w - 20) + 3 * k)]  # fmt: skip
N_V = 80


def synthetic_smplh(seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny SMPL-H-shaped model: joint i sits on vertex i (rest pose = HumanML3D's, in SMPL's
    own y-up frame), random shape directions, valid skinning arrays for the full smplx forward."""
    rng = np.random.default_rng(seed)
    v = rng.normal(0, 0.3, (N_V, 3)) + [0, 0.9, 0]
    v[:22] = REST_POSE - REST_POSE[0]
    v[22:52] = v[[20] * 15 + [21] * 15] + rng.normal(0, 0.03, (30, 3))
    j_reg = np.zeros((52, N_V))
    j_reg[np.arange(52), np.arange(52)] = 1.0
    w = rng.random((N_V, 52))
    kintree = np.array([SMPLH_PARENTS, list(range(52))], dtype=np.int64)
    kintree[0, 0] = 4294967295  # as in the released files
    return {
        "v_template": v,
        "shapedirs": rng.normal(0, 0.01, (N_V, 3, 16)),
        "J_regressor": j_reg,
        "kintree_table": kintree,
        "weights": w / w.sum(1, keepdims=True),
        "posedirs": rng.normal(0, 0.001, (N_V, 3, 51 * 9)),
        "f": rng.integers(0, N_V, (40, 3)),
        "hands_componentsl": np.eye(45),
        "hands_componentsr": np.eye(45),
        "hands_meanl": np.zeros(45),
        "hands_meanr": np.zeros(45),
    }


def amass_walk(n: int = 120, fps: float = 60.0, seed: int = 1) -> dict[str, np.ndarray]:
    """Upright (root_orient = +90 deg about x, AMASS's z-up), walking 1 m/s along AMASS -y,
    which is where the body faces; random small body pose."""
    rng = np.random.default_rng(seed)
    poses = rng.normal(0, 0.1, (n, 156))
    poses[:, :3] = [np.pi / 2, 0, 0]
    t = np.arange(n) / fps
    trans = np.stack([0.3 + 0 * t, 2.0 - t, 0.95 + 0 * t], -1)
    return {"poses": poses, "trans": trans, "betas": rng.normal(0, 1, 16), "mocap_framerate": np.array(fps), "gender": np.array("male")}  # fmt: skip


def test_joints_match_full_smplx_forward() -> None:
    arrays, motion = synthetic_smplh(), amass_walk(6)
    model = smpl.BodyModel(
        None,
        arrays["v_template"],
        arrays["shapedirs"],
        arrays["J_regressor"],
        np.array(SMPLH_PARENTS),
    )
    ours = smpl.body_joints(model, motion["poses"], motion["trans"], motion["betas"][:10])
    ref_model = smplx.SMPLH(
        "unused", data_struct=smplx.utils.Struct(**arrays), use_pca=False, flat_hand_mean=True,
        num_betas=10, batch_size=6, vertex_ids=defaultdict(int), dtype=torch.float64,
    )  # fmt: skip
    p = torch.from_numpy(motion["poses"])
    out = ref_model(
        betas=torch.from_numpy(motion["betas"][None, :10]).expand(6, -1),
        global_orient=p[:, :3], body_pose=p[:, 3:66], left_hand_pose=p[:, 66:111],
        right_hand_pose=p[:, 111:], transl=torch.from_numpy(motion["trans"]),
    )  # fmt: skip
    np.testing.assert_allclose(
        ours, out.joints[:, :22].detach().numpy(), atol=1e-6
    )  # smplx keeps float32 buffers


def test_resample_integer_and_fractional() -> None:
    x = np.arange(13, dtype=float)
    np.testing.assert_array_equal(smpl.resample(x, 60.0), x[::3])
    np.testing.assert_allclose(smpl.resample(x, 30.0), np.arange(0, 12.01, 1.5))
    assert len(smpl.resample(np.zeros((120, 2)), 50.0)) == 48


def write_case(tmp_path, motion=None, model=True):  # noqa: ANN001, ANN201
    src, models = tmp_path / "amass" / "subject1", tmp_path / "models"
    src.mkdir(parents=True)
    np.savez(src / "walk_poses.npz", **(motion or amass_walk()))
    (src / "walk_poses.txt").write_text("a person walks forward\n")
    if model:
        (models / "smplh" / "male").mkdir(parents=True)
        np.savez(models / "smplh" / "male" / "model.npz", **synthetic_smplh())
    return tmp_path / "amass", models


def test_smpl2joints_produces_canonical_humanml3d(tmp_path) -> None:
    src, models = write_case(tmp_path)
    out = tmp_path / "h3d"
    assert main(["smpl2joints", str(src), "--smpl-dir", str(models), "--out", str(out), "-q"]) == 0
    j = np.load(out / "new_joints" / "000000.npy")
    assert j.dtype == np.float32 and j.shape == (40, 22, 3)  # 120 frames at 60 fps -> 20 fps
    assert abs(float(j[..., 1].min())) < 1e-6  # floor 0
    np.testing.assert_allclose(j[0, 0, [0, 2]], 0, atol=1e-6)  # root xz at the origin
    assert abs(heading_angles(j[:1].astype(float), sigma=0)[0]) < 1e-5  # facing +z
    assert bone_error(j.astype(float)) < 1e-5  # retargeted onto the HumanML3D bone lengths
    assert (j[:, 15, 1] > j[:, 0, 1] + 0.3).all()  # upright: y is up
    dz = j[-1, 0, 2] - j[0, 0, 2]
    assert 1.3 < dz < 2.6  # walked ~1.95 s forward at 1 m/s (scaled by the leg ratio)
    assert j[0, 1, 0] > j[0, 2, 0]  # the left hip is on +x
    assert (out / "texts" / "000000.txt").read_text() == "a person walks forward##0.0#0.0\n"
    assert (out / "all.txt").read_text() == "000000\n" == (out / "train.txt").read_text()
    assert "subject1/walk_poses.npz,0,40,000000.npy" in (out / "index.csv").read_text()
    assert json.loads((out / "smpl2joints_report.json").read_text())["converted"] == 1


def test_missing_body_model_is_one_clear_line(tmp_path, capsys) -> None:
    src, models = write_case(tmp_path, model=False)
    for extra in ([], ["--smpl-dir", str(models)]):
        assert main(["smpl2joints", str(src), "--out", str(tmp_path / "o"), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "smplh/male/model.npz" in err and "mano.is.tue.mpg.de" in err


def test_bad_motion_files_are_skipped_and_counted(tmp_path, capsys) -> None:
    bad = amass_walk()
    bad["trans"] = bad["trans"][:-1]
    src, models = write_case(tmp_path, motion=bad)
    nan = amass_walk()
    nan["poses"][5, 7] = np.nan
    np.savez(src / "subject1" / "nan_poses.npz", **nan)
    good = amass_walk(30, fps=120.0)
    good["gender"] = np.array(b"male")  # some AMASS files store bytes
    np.savez(src / "subject1" / "good_poses.npz", **good)
    np.savez(src / "subject1" / "shape.npz", betas=np.zeros(16), gender=np.array("male"))
    out = tmp_path / "h3d"
    assert main(["smpl2joints", str(src), "--smpl-dir", str(models), "--out", str(out), "-q"]) == 0
    report = json.loads((out / "smpl2joints_report.json").read_text())
    assert report["converted"] == 1 and report["skipped"] == 2 and report["without_captions"] == 1
    assert report["not_motion"] == 1 and report["input_files"] == 4
    assert any("field 'trans'" in s for s in report["skipped_files"])
    assert any("field 'poses': NaN" in s for s in report["skipped_files"])
    assert np.load(out / "new_joints" / "000000.npy").shape == (5, 22, 3)  # 30 frames at 120 fps
    assert (
        main(["smpl2joints", str(src), "--smpl-dir", str(models), "--out", str(out), "--strict"])
        == 2
    )
    assert "nan_poses.npz: field 'poses': NaN" in capsys.readouterr().err  # first bad file, sorted


def test_pickle_models_are_refused(tmp_path, capsys) -> None:
    src, models = write_case(tmp_path, model=False)
    (models / "smplh" / "male").mkdir(parents=True)
    obj = np.empty(1, dtype=object)
    np.savez(
        models / "smplh" / "male" / "model.npz",
        v_template=obj,
        shapedirs=obj,
        J_regressor=obj,
        kintree_table=obj,
    )
    assert (
        main(["smpl2joints", str(src), "--smpl-dir", str(models), "--out", str(tmp_path / "o")])
        == 2
    )
    assert "cannot read body model" in capsys.readouterr().err


def test_output_feeds_the_humanml3d_loader(tmp_path) -> None:
    humanml3d = pytest.importorskip("compmo_gen.sources.humanml3d")
    src, models = write_case(tmp_path)
    out = tmp_path / "h3d"
    assert main(["smpl2joints", str(src), "--smpl-dir", str(models), "--out", str(out), "-q"]) == 0
    ids = humanml3d.list_ids(out)
    clips, report = humanml3d.load_clips(out, ids)
    assert ids == ["000000"] and len(clips) == 1, report.as_dict()
    assert clips[0].captions == ("a person walks forward",) and clips[0].joints.shape == (40, 22, 3)
