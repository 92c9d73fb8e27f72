"""Which source joint becomes each of the 22 HumanML3D joints: named skeleton presets for BVH
files, index sets for joint arrays (SMPL-24, SMPL-H, SMPL-X), and user-given mapping files.

A mapping is a tuple of 22 source joints (BVH joint names or array indices) in HumanML3D order
(:data:`compmo_gen.skeleton.JOINT_NAMES`). BVH names are compared after :func:`norm_name`
(lower case, namespace prefix such as ``mixamorig:`` dropped, ``_``/``-``/spaces removed).
"""

from __future__ import annotations

from pathlib import Path

from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.errors import CompmoError
from compmo_gen.skeleton import JOINT_NAMES


class MotionImportError(CompmoError, ValueError):
    """A motion file that cannot be imported; the message names the file and what is wrong."""


def _split(names: str) -> tuple[str, ...]:
    out = tuple(names.split())
    assert len(out) == NUM_JOINTS, names
    return out


#: BVH skeletons by name, tried in this order by ``--skeleton auto``.
BVH_PRESETS: dict[str, tuple[str, ...]] = {
    # CMU mocap, cgspeed's "3dsMax-friendly" conversion (LHipJoint, LeftHip = thigh, lowerback).
    "cmu-cgspeed": _split(
        "hips lefthip righthip lowerback leftknee rightknee chest leftankle rightankle chest2 "
        "lefttoe righttoe lowerneck leftcollar rightcollar head leftshoulder rightshoulder "
        "leftelbow rightelbow leftwrist rightwrist"
    ),
    # CMU mocap, the Daz/MotionBuilder-friendly conversion (LeftUpLeg, LowerBack, Spine1).
    "cmu": _split(
        "hips leftupleg rightupleg lowerback leftleg rightleg spine leftfoot rightfoot spine1 "
        "lefttoebase righttoebase neck1 leftshoulder rightshoulder head leftarm rightarm "
        "leftforearm rightforearm lefthand righthand"
    ),
    # Mixamo / Unity-humanoid style (Spine, Spine1, Spine2, LeftToeBase).
    "mixamo": _split(
        "hips leftupleg rightupleg spine leftleg rightleg spine1 leftfoot rightfoot spine2 "
        "lefttoebase righttoebase neck leftshoulder rightshoulder head leftarm rightarm "
        "leftforearm rightforearm lefthand righthand"
    ),
    # Ubisoft LAFAN1 (as Mixamo, toes named LeftToe).
    "lafan1": _split(
        "hips leftupleg rightupleg spine leftleg rightleg spine1 leftfoot rightfoot spine2 "
        "lefttoe righttoe neck leftshoulder rightshoulder head leftarm rightarm "
        "leftforearm rightforearm lefthand righthand"
    ),
    # SMPL joint names (pelvis, left_hip, ...), as SMPL-to-BVH exporters write them.
    "smpl": tuple(n.replace("_", "") for n in JOINT_NAMES),
    # SMPL short names (Pelvis, L_Hip, R_Hip, ...).
    "smpl-short": _split(
        "pelvis lhip rhip spine1 lknee rknee spine2 lankle rankle spine3 lfoot rfoot neck "
        "lcollar rcollar head lshoulder rshoulder lelbow relbow lwrist rwrist"
    ),
}

_FIRST_22 = tuple(range(NUM_JOINTS))
#: Joint arrays by name: (joint count, the 22 indices). SMPL, SMPL-H and SMPL-X share the first 22
#: body joints with HumanML3D (same order, same tree).
ARRAY_PRESETS: dict[str, tuple[int, tuple[int, ...]]] = {
    "humanml3d": (22, _FIRST_22),
    "smpl24": (24, _FIRST_22),
    "smplh52": (52, _FIRST_22),
    "smplx55": (55, _FIRST_22),
    # smplx's forward outputs: the model's joints, then extra vertex joints (and face landmarks).
    "smpl45": (45, _FIRST_22),
    "smplh73": (73, _FIRST_22),
    "smplx127": (127, _FIRST_22),
}
SKELETONS = ("auto", *BVH_PRESETS, *ARRAY_PRESETS)


def norm_name(name: str) -> str:
    """``mixamorig:LeftUpLeg`` -> ``leftupleg``; ``L_Hip`` -> ``lhip``."""
    base = name.rsplit(":", 1)[-1]
    return "".join(c for c in base.lower() if c not in "_- .")


def bvh_mapping(
    names: list[str], skeleton: str, joint_map: dict[str, str | int] | None, file: str
) -> tuple[str, list[int]]:
    """(preset name, source indices of the 22 joints) for a BVH's joint ``names``."""
    index = {}
    for i, n in enumerate(names):
        index.setdefault(norm_name(n), i)
    if joint_map is not None:
        picks = []
        for target in JOINT_NAMES:
            src = joint_map[target]
            if not isinstance(src, str) or norm_name(src) not in index:
                raise MotionImportError(
                    f"{file}: joint map: {target!r} -> {src!r}: no such joint in the BVH "
                    f"(joints: {', '.join(names[:40])})"
                )
            picks.append(index[norm_name(src)])
        return "joint-map", picks
    if skeleton in ARRAY_PRESETS:
        raise MotionImportError(f"{file}: --skeleton {skeleton} is for joint arrays, not BVH")
    presets = BVH_PRESETS if skeleton == "auto" else {skeleton: BVH_PRESETS[skeleton]}
    best: tuple[int, str, list[str]] | None = None
    for name, wanted in presets.items():
        missing = [w for w in wanted if w not in index]
        if not missing:
            return name, [index[w] for w in wanted]
        if best is None or len(missing) < best[0]:
            best = (len(missing), name, missing)
    assert best is not None
    raise MotionImportError(
        f"{file}: unknown skeleton: closest preset {best[1]!r} lacks joint(s) "
        f"{', '.join(best[2][:6])}; pass --joint-map FILE (JSON: HumanML3D joint name -> BVH "
        f"joint name, see `compmo-gen import-motion --help`)"
    )


def array_mapping(
    n_joints: int, skeleton: str, joint_map: dict[str, str | int] | None, file: str
) -> tuple[str, list[int]]:
    """(skeleton name, source indices of the 22 joints) for a (T, J, 3) joint array."""
    if joint_map is not None:
        picks = []
        for target in JOINT_NAMES:
            src = joint_map[target]
            if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < n_joints:
                raise MotionImportError(
                    f"{file}: joint map: {target!r} -> {src!r}: not a joint index below {n_joints}"
                )
            picks.append(src)
        return "joint-map", picks
    if skeleton in BVH_PRESETS:
        raise MotionImportError(f"{file}: --skeleton {skeleton} is a BVH skeleton, not an array")
    if skeleton == "auto":
        found = [k for k, (n, _) in ARRAY_PRESETS.items() if n == n_joints]
        if not found:
            known = ", ".join(f"{k} ({n})" for k, (n, _) in ARRAY_PRESETS.items())
            raise MotionImportError(
                f"{file}: {n_joints} joints: unknown skeleton (known: {known}); pass --joint-map FILE"
            )
        skeleton = found[0]
    n, picks = ARRAY_PRESETS[skeleton]
    if n_joints != n:
        raise MotionImportError(
            f"{file}: --skeleton {skeleton} has {n} joints, the array has {n_joints}"
        )
    return skeleton, list(picks)


def read_joint_map(path: Path) -> dict[str, str | int]:
    """A JSON object naming the source joint (BVH name or array index) of all 22 joints."""
    from compmo_gen.core.io import load_json

    obj = load_json(path)  # not a regular file, bad JSON, limits: one line
    if not isinstance(obj, dict):
        raise MotionImportError(f"{path}: joint map: expected an object {{joint name: source}}")
    unknown = sorted(set(obj) - set(JOINT_NAMES))
    if unknown:
        raise MotionImportError(
            f"{path}: joint map: {unknown[0]!r} is not a HumanML3D joint (names: "
            f"{', '.join(JOINT_NAMES)})"
        )
    missing = [n for n in JOINT_NAMES if n not in obj]
    if missing:
        raise MotionImportError(
            f"{path}: joint map: no source for {', '.join(missing[:5])} (all 22 are needed)"
        )
    return obj
