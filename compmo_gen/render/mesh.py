"""The HumanML3D skeleton as capsule meshes (a cylinder per bone, a sphere per joint).

- :func:`frame_mesh`: one frame as a single coloured :class:`trimesh.Trimesh` (any trimesh format:
  .ply, .obj, .glb, .stl);
- :func:`write_animated_glb`: the whole motion as one animated glTF 2.0 binary. A unit cylinder and
  a unit sphere are stored once; each bone is a node whose translation, rotation and scale are
  sampled per frame (and each joint a node with its translation), so any glTF viewer (Blender,
  three.js, model-viewer) plays it at 20 fps. glTF cannot animate colours without extensions, so
  bones are coloured by kinematic chain there (segment colours are in the single-frame exports).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from compmo_gen.composition.skeleton import CHAINS, PARENTS
from compmo_gen.core.constants import FPS, NUM_JOINTS

BONE_RADIUS = 0.022
JOINT_RADIUS = 0.03
HEAD_RADIUS = 0.09
HEAD_JOINT = 15
#: glTF colours per kinematic chain (right leg, left leg, spine, right arm, left arm).
CHAIN_COLORS: tuple[tuple[int, int, int], ...] = (
    (158, 42, 43), (224, 122, 95), (61, 64, 91), (38, 84, 124), (129, 178, 154),
)  # fmt: skip
_CHAIN_OF = np.zeros(NUM_JOINTS, dtype=int)
for _k, _chain in enumerate(CHAINS):
    _CHAIN_OF[list(_chain[1:])] = _k


def _unit_meshes(sections: int = 12):  # noqa: ANN202
    """A radius-1 cylinder from y=0 to y=1, and a radius-1 sphere."""
    import trimesh

    cyl = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=sections)
    v = cyl.vertices
    cyl = trimesh.Trimesh(
        np.stack([v[:, 0], v[:, 2] + 0.5, -v[:, 1]], -1), cyl.faces, process=False
    )
    sphere = trimesh.creation.icosphere(subdivisions=1, radius=1.0)
    return cyl, sphere


def bone_quaternions(d: np.ndarray) -> np.ndarray:
    """Unit quaternions (x, y, z, w) turning +y onto unit directions ``d`` (..., 3)."""
    q = np.stack([d[..., 2], np.zeros(d.shape[:-1]), -d[..., 0], 1.0 + d[..., 1]], -1)
    flip = q[..., 3] < 1e-8  # d = -y: half turn about x
    q[flip] = [1.0, 0.0, 0.0, 0.0]
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def frame_mesh(
    joints: np.ndarray,
    colors: Sequence[tuple[int, int, int]] | None = None,
    *,
    bone_radius: float = BONE_RADIUS,
    joint_radius: float = JOINT_RADIUS,
):  # noqa: ANN201 - trimesh.Trimesh
    """One pose (22, 3) as a single mesh; ``colors[j]`` colours joint j and the bone ending at it."""
    import trimesh

    cyl, sphere = _unit_meshes()
    colors = colors or [CHAIN_COLORS[c] for c in _CHAIN_OF]
    parts = []
    for j in range(NUM_JOINTS):
        radius = HEAD_RADIUS if j == HEAD_JOINT else joint_radius
        parts.append((sphere.vertices * radius + joints[j], sphere.faces, colors[j]))
        if j == 0:
            continue
        vec = joints[j] - joints[PARENTS[j]]
        length = float(np.linalg.norm(vec))
        if length < 1e-9:
            continue
        x, y, z, w = bone_quaternions(vec / length)
        rot = trimesh.transformations.quaternion_matrix([w, x, y, z])[:3, :3]
        local = cyl.vertices * [bone_radius, length, bone_radius]
        parts.append((local @ rot.T + joints[PARENTS[j]], cyl.faces, colors[j]))
    verts, faces, vcols, offset = [], [], [], 0
    for v, f, c in parts:
        verts.append(v)
        faces.append(f + offset)
        vcols.append(np.tile([*c, 255], (len(v), 1)))
        offset += len(v)
    return trimesh.Trimesh(
        np.concatenate(verts),
        np.concatenate(faces),
        vertex_colors=np.concatenate(vcols).astype(np.uint8),
        process=False,
    )


class _Buffer:
    """Accumulates glTF accessors over one binary buffer."""

    def __init__(self) -> None:
        self.data, self.views, self.accessors = bytearray(), [], []

    def add(
        self, array: np.ndarray, gl_type: str, *, target: int | None = None, minmax: bool = False
    ) -> int:
        comp = 5125 if array.dtype == np.uint32 else 5126
        raw = np.ascontiguousarray(array).tobytes()
        view = {"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        self.data += raw + b"\0" * (-len(raw) % 4)
        self.views.append(view)
        acc = {
            "bufferView": len(self.views) - 1,
            "componentType": comp,
            "count": len(array),
            "type": gl_type,
        }
        if minmax:
            flat = array.reshape(len(array), -1)
            acc["min"], acc["max"] = flat.min(0).tolist(), flat.max(0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1


def animated_gltf(joints: np.ndarray, fps: float = FPS) -> tuple[dict, bytes]:
    """glTF 2.0 JSON and binary buffer of the animated capsule skeleton."""
    p = np.asarray(joints, dtype=np.float64)
    t = len(p)
    buf = _Buffer()
    mesh_acc = []
    for m in _unit_meshes():
        mesh_acc.append(
            (
                buf.add(m.vertices.astype(np.float32), "VEC3", target=34962, minmax=True),
                buf.add(m.vertex_normals.astype(np.float32), "VEC3", target=34962),
                buf.add(m.faces.astype(np.uint32).reshape(-1), "SCALAR", target=34963),
            )
        )
    materials = [
        {"pbrMetallicRoughness": {"baseColorFactor": [c / 255 for c in col] + [1.0], "metallicFactor": 0.0, "roughnessFactor": 0.8}}
        for col in CHAIN_COLORS
    ]  # fmt: skip
    meshes = []  # (shape, chain): cylinder meshes 0..4, sphere meshes 5..9
    for pos, nrm, idx in mesh_acc:
        for k in range(len(CHAIN_COLORS)):
            prim = {"attributes": {"POSITION": pos, "NORMAL": nrm}, "indices": idx, "material": k}
            meshes.append({"primitives": [prim]})
    n_chains = len(CHAIN_COLORS)
    times = buf.add((np.arange(t) / fps).astype(np.float32), "SCALAR", minmax=True)
    nodes, samplers, channels = [], [], []

    def animate(node: int, path: str, values: np.ndarray, gl_type: str) -> None:
        samplers.append(
            {
                "input": times,
                "output": buf.add(values.astype(np.float32), gl_type),
                "interpolation": "LINEAR",
            }
        )
        channels.append({"sampler": len(samplers) - 1, "target": {"node": node, "path": path}})

    for j in range(1, NUM_JOINTS):
        vec = p[:, j] - p[:, PARENTS[j]]
        length = np.maximum(np.linalg.norm(vec, axis=-1), 1e-9)
        q = bone_quaternions(vec / length[:, None])
        sign = np.cumprod(np.where(np.sum(q[1:] * q[:-1], -1) < 0, -1.0, 1.0))
        q[1:] *= sign[:, None]  # shortest path between samples
        scale = np.stack([np.full(t, BONE_RADIUS), length, np.full(t, BONE_RADIUS)], -1)
        rest = {
            "translation": p[0, PARENTS[j]].tolist(),
            "rotation": q[0].tolist(),
            "scale": scale[0].tolist(),
        }
        nodes.append({"name": f"bone_{j}", "mesh": int(_CHAIN_OF[j]), **rest})  # frame 0 if static
        animate(len(nodes) - 1, "translation", p[:, PARENTS[j]], "VEC3")
        animate(len(nodes) - 1, "rotation", q, "VEC4")
        animate(len(nodes) - 1, "scale", scale, "VEC3")
    for j in range(NUM_JOINTS):
        r = HEAD_RADIUS if j == HEAD_JOINT else JOINT_RADIUS
        rest = {"translation": p[0, j].tolist(), "scale": [r, r, r]}
        nodes.append({"name": f"joint_{j}", "mesh": n_chains + int(_CHAIN_OF[j]), **rest})
        animate(len(nodes) - 1, "translation", p[:, j], "VEC3")
    nodes.append({"name": "skeleton", "children": list(range(len(nodes)))})
    gltf = {
        "asset": {"version": "2.0", "generator": "compmo export-mesh"},
        "scene": 0,
        "scenes": [{"nodes": [len(nodes) - 1]}],
        "nodes": nodes,
        "meshes": meshes,
        "materials": materials,
        "animations": [{"name": "motion", "samplers": samplers, "channels": channels}],
        "buffers": [{"byteLength": len(buf.data)}],
        "bufferViews": buf.views,
        "accessors": buf.accessors,
    }
    return gltf, bytes(buf.data)


def write_glb(gltf: dict, binary: bytes, path: str | Path) -> None:
    """Pack glTF JSON and its buffer into a .glb (header, JSON chunk, BIN chunk)."""
    js = json.dumps(gltf, separators=(",", ":"), sort_keys=True).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(js) + 8 + len(binary)
    with open(path, "wb") as f:
        f.write(struct.pack("<4sII", b"glTF", 2, total))
        f.write(struct.pack("<I4s", len(js), b"JSON") + js)
        f.write(struct.pack("<I4s", len(binary), b"BIN\0") + binary)


def read_glb_json(path: str | Path) -> dict:
    """The JSON chunk of a .glb (for checks and tests)."""
    from compmo_gen.core.io import loads_json, read_bytes

    data = read_bytes(path)
    (length,) = struct.unpack_from("<I", data, 12)
    return loads_json(data[20 : 20 + length].decode("utf-8"), path)


def write_animated_glb(joints: np.ndarray, path: str | Path, fps: float = FPS) -> None:
    write_glb(*animated_gltf(joints, fps), path)
