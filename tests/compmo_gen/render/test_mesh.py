"""Capsule meshes: single frames (.ply/.obj) and the animated .glb, checked against the joints."""

from __future__ import annotations

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.composition.skeleton import PARENTS, REST_POSE, rot_y
from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.formats import dump_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment

trimesh = pytest.importorskip("trimesh")
from compmo_gen.render import mesh  # noqa: E402
from compmo_gen.render.frames import PALETTE, shade  # noqa: E402


def turning(n: int = 30) -> np.ndarray:
    """The rest pose turning in place and drifting along +x (every bone direction changes)."""
    psi = np.linspace(0, 2.5, n)
    out = np.einsum("tij,kj->tki", rot_y(psi), REST_POSE - REST_POSE[0]) + REST_POSE[0]
    out[:, :, 0] += np.linspace(0, 1, n)[:, None]
    return out.astype(np.float32)


def glb_arrays(path) -> tuple[dict, bytes]:  # noqa: ANN001
    data = path.read_bytes()
    gltf = mesh.read_glb_json(path)
    (jlen,) = np.frombuffer(data[12:16], "<u4")
    return gltf, data[20 + int(jlen) + 8 :]


def accessor(gltf: dict, binary: bytes, k: int) -> np.ndarray:
    acc = gltf["accessors"][k]
    view = gltf["bufferViews"][acc["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
    dtype = "<f4" if acc["componentType"] == 5126 else "<u4"
    raw = binary[view["byteOffset"] : view["byteOffset"] + view["byteLength"]]
    return np.frombuffer(raw, dtype).reshape(acc["count"], width)


def test_frame_mesh_covers_the_pose_and_colours(tmp_path) -> None:
    pose = REST_POSE.astype(np.float64)
    colors = [shade(PALETTE[2], 1)] * NUM_JOINTS
    m = mesh.frame_mesh(pose, colors)
    lo, hi = m.bounds
    assert np.all(lo <= pose.min(0)) and np.all(hi >= pose.max(0))
    assert np.all(hi - pose.max(0) < 0.1) and np.all(pose.min(0) - lo < 0.1)
    assert {tuple(c[:3]) for c in m.visual.vertex_colors} == {shade(PALETTE[2], 1)}
    for ext in ("ply", "obj"):
        m.export(tmp_path / f"pose.{ext}")
        back = trimesh.load(tmp_path / f"pose.{ext}", process=False)
        np.testing.assert_allclose(back.bounds, m.bounds, atol=1e-5)


def test_animated_glb_reproduces_every_frame(tmp_path) -> None:
    joints = turning(30)
    out = tmp_path / "motion.glb"
    mesh.write_animated_glb(joints, out)
    gltf, binary = glb_arrays(out)
    nodes, anim = gltf["nodes"], gltf["animations"][0]
    assert len(anim["channels"]) == 3 * (NUM_JOINTS - 1) + NUM_JOINTS
    by_target = {
        (c["target"]["node"], c["target"]["path"]): anim["samplers"][c["sampler"]]
        for c in anim["channels"]
    }
    times = accessor(gltf, binary, anim["samplers"][0]["input"])[:, 0]
    np.testing.assert_allclose(times, np.arange(30) / 20.0, atol=1e-6)
    for n, node in enumerate(nodes):
        name = node.get("name", "")
        if name.startswith("joint_"):
            j = int(name[6:])
            pos = accessor(gltf, binary, by_target[(n, "translation")]["output"])
            np.testing.assert_allclose(pos, joints[:, j], atol=1e-6)
        elif name.startswith("bone_"):
            j = int(name[5:])
            t = accessor(gltf, binary, by_target[(n, "translation")]["output"])
            q = accessor(gltf, binary, by_target[(n, "rotation")]["output"])
            s = accessor(gltf, binary, by_target[(n, "scale")]["output"])
            for k in (0, 13, 29):  # the tip of the unit cylinder (0, 1, 0) lands on the child joint
                rot = trimesh.transformations.quaternion_matrix(np.roll(q[k], 1))[:3, :3]
                np.testing.assert_allclose(t[k] + rot @ (s[k] * [0, 1, 0]), joints[k, j], atol=1e-5)
                np.testing.assert_allclose(t[k], joints[k, PARENTS[j]], atol=1e-6)
            assert (np.sum(q[1:] * q[:-1], -1) > 0).all()  # shortest-path interpolation
    scene = trimesh.load(out)  # a standard reader opens it; static pose = frame 0
    np.testing.assert_allclose(scene.bounds, mesh.frame_mesh(joints[0]).bounds, atol=1e-5)


def test_bone_quaternion_handles_straight_down() -> None:
    q = mesh.bone_quaternions(np.array([[0.0, -1.0, 0.0], [0.0, 1.0, 0.0]]))
    np.testing.assert_allclose(q, [[1, 0, 0, 0], [0, 0, 0, 1]])


def test_cli_export_mesh(tmp_path, capsys) -> None:
    ds = tmp_path / "ds"
    (ds / "motions").mkdir(parents=True)
    np.save(ds / "motions" / "s.npy", turning(20))
    ann = DenseAnnotation(
        "s", 1.0, (Segment(0, 0.5, "turns left"), Segment(0.5, 1.0, "keeps turning"))
    )
    dump_annotations([ann], ds / "annotations" / "val.json", fmt="anet-gt")
    out = tmp_path / "o"
    assert main(["export-mesh", str(ds), "--id", "s", "--out", str(out / "s.glb"), "-q"]) == 0
    assert mesh.read_glb_json(out / "s.glb")["accessors"][6]["count"] == 20
    assert (
        main(
            [
                "export-mesh",
                str(ds),
                "--id",
                "s",
                "--out",
                str(out / "s.ply"),
                "--time",
                "0.7",
                "-q",
            ]
        )
        == 0
    )
    cols = {tuple(c[:3]) for c in trimesh.load(out / "s.ply", process=False).visual.vertex_colors}
    assert shade(PALETTE[1], 1) in cols and shade(PALETTE[0], 1) not in cols  # 2nd segment at 0.7 s
    assert (
        main(["export-mesh", str(ds), "--id", "s", "--out", str(out / "s.obj"), "--frame", "20"])
        == 2
    )
    assert "frame 20 outside" in capsys.readouterr().err
    assert main(["export-mesh", str(ds), "--id", "s", "--out", str(out / "s.fbx")]) == 2
