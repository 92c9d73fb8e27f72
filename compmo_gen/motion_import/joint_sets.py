"""Which source joint becomes each of the 22 HumanML3D joints: named skeleton presets for BVH
files, index sets for joint arrays (SMPL-24, SMPL-H, SMPL-X), and user-given mapping files.

A mapping is a tuple of 22 source joints (BVH joint names or array indices) in HumanML3D order
(:data:`compmo_gen.composition.skeleton.JOINT_NAMES`). BVH names are compared after :func:`norm_name`
(lower case, namespace prefix such as ``mixamorig:`` dropped, ``_``/``-``/spaces removed).
"""

from __future__ import annotations

from pathlib import Path

from compmo_gen.composition.skeleton import JOINT_NAMES
from compmo_gen.core.constants import NUM_JOINTS
from compmo_gen.core.errors import CompmoError


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


#: HumanML3D joints a skeleton may lack: derived from their neighbours
#: (:func:`compmo_gen.motion_import.derive.derive_joints`) and reported. Spine joints and the neck
#: are interpolated between the pelvis and the head, collars between the spine and the shoulder,
#: toes placed from the ankle along the foot's forward direction.
DERIVABLE: frozenset[int] = frozenset(
    JOINT_NAMES.index(n)
    for n in (
        "spine1",
        "spine2",
        "spine3",
        "neck",
        "left_collar",
        "right_collar",
        "left_foot",
        "right_foot",
    )  # fmt: skip
)
#: Other names of a derivable joint, tried when a preset's own name is absent.
ALIASES: dict[int, tuple[str, ...]] = {
    JOINT_NAMES.index("neck"): ("neck", "neck1", "lowerneck", "upperneck", "neck2"),
    JOINT_NAMES.index("left_foot"): ("lefttoebase", "lefttoe", "ltoe", "lefttoes", "ltoebase"),
    JOINT_NAMES.index("right_foot"): ("righttoebase", "righttoe", "rtoe", "righttoes", "rtoebase"),
}

#: One source joint per HumanML3D joint; None: absent, to be derived (only for DERIVABLE joints).
Picks = list[int | None]


def missing_names(picks: Picks) -> tuple[str, ...]:
    """The HumanML3D names of the joints a mapping lacks (to be derived)."""
    return tuple(JOINT_NAMES[k] for k, p in enumerate(picks) if p is None)


def _preset_picks(wanted: tuple[str, ...], index: dict[str, int]) -> tuple[Picks, list[str]]:
    """(picks, names of required joints the BVH lacks) of one preset."""
    picks: Picks = []
    lacking = []
    used = {index[w] for w in wanted if w in index}
    for k, w in enumerate(wanted):
        if w in index:
            picks.append(index[w])
            continue
        alias = next((a for a in ALIASES.get(k, ()) if a in index and index[a] not in used), None)
        if alias is not None:
            used.add(index[alias])
        elif k not in DERIVABLE:
            lacking.append(w)
        picks.append(None if alias is None else index[alias])
    return picks, lacking


def bvh_mapping(
    names: list[str], skeleton: str, joint_map: dict[str, str | int | None] | None, file: str
) -> tuple[str, Picks]:
    """(preset name, source index of each of the 22 joints, None where it is to be derived) for a
    BVH's joint ``names``. ``auto`` picks the preset that finds every required joint and the most
    of the others."""
    index = {}
    for i, n in enumerate(names):
        index.setdefault(norm_name(n), i)
    if joint_map is not None:
        picks: Picks = []
        for target in JOINT_NAMES:
            src = joint_map.get(target)
            if src is None:
                picks.append(None)  # read_joint_map allowed it: derivable
                continue
            if not isinstance(src, str) or norm_name(src) not in index:
                raise MotionImportError(
                    f"{file}: joint map: {target!r} -> {str(src)[:40]!r}: no such joint in the BVH "
                    f"(joints: {', '.join(names[:40])})"
                )
            picks.append(index[norm_name(src)])
        return "joint-map", picks
    if skeleton in ARRAY_PRESETS:
        raise MotionImportError(f"{file}: --skeleton {skeleton} is for joint arrays, not BVH")
    presets = BVH_PRESETS if skeleton == "auto" else {skeleton: BVH_PRESETS[skeleton]}
    found: list[tuple[int, str, Picks]] = []
    best: tuple[int, str, list[str]] | None = None
    for name, wanted in presets.items():
        picks, lacking = _preset_picks(wanted, index)
        if not lacking:
            found.append((picks.count(None), name, picks))
        elif best is None or len(lacking) < best[0]:
            best = (len(lacking), name, lacking)
    if found:
        _, name, picks = min(found, key=lambda f: f[0])  # stable: the first preset on ties
        return name, picks
    assert best is not None
    raise MotionImportError(
        f"{file}: unknown skeleton: closest preset {best[1]!r} lacks joint(s) "
        f"{', '.join(best[2][:6])} (only spine, neck, collar and toe joints can be derived); "
        f"pass --joint-map FILE (JSON: HumanML3D joint name -> BVH joint name, see "
        f"`compmo-gen import-motion --help`)"
    )


def array_mapping(
    n_joints: int, skeleton: str, joint_map: dict[str, str | int | None] | None, file: str
) -> tuple[str, Picks]:
    """(skeleton name, source indices of the 22 joints) for a (T, J, 3) joint array."""
    if joint_map is not None:
        picks: Picks = []
        for target in JOINT_NAMES:
            src = joint_map.get(target)
            if src is None:
                picks.append(None)  # read_joint_map allowed it: derivable
                continue
            if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < n_joints:
                raise MotionImportError(
                    f"{file}: joint map: {target!r} -> {str(src)[:40]!r}: not a joint index "
                    f"below {n_joints}"
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


def read_joint_map(path: Path) -> dict[str, str | int | None]:
    """A JSON object naming the source joint (BVH name or array index) of each HumanML3D joint;
    derivable joints (spine, neck, collars, toes) may be left out or null."""
    from compmo_gen.core.errors import AnnotationError
    from compmo_gen.core.io import load_json

    try:
        obj = load_json(path)  # regular files only; depth, huge numbers and sizes bounded
    except AnnotationError as exc:
        raise MotionImportError(f"joint map: {exc}") from None
    if not isinstance(obj, dict):
        raise MotionImportError(f"{path}: joint map: expected an object {{joint name: source}}")
    unknown = sorted(set(obj) - set(JOINT_NAMES))
    if unknown:
        raise MotionImportError(
            f"{path}: joint map: {unknown[0][:40]!r} is not a HumanML3D joint (names: "
            f"{', '.join(JOINT_NAMES)})"
        )
    for name, src in obj.items():
        if not (src is None or isinstance(src, str) or (isinstance(src, int) and not isinstance(src, bool))):  # fmt: skip
            raise MotionImportError(
                f"{path}: joint map: {name!r}: expected a joint name or index, got "
                f"{type(src).__name__}"
            )
        if isinstance(src, int) and not 0 <= src < 10**6:
            raise MotionImportError(f"{path}: joint map: {name!r}: index {str(src)[:20]} out of range")  # fmt: skip
    missing = [n for k, n in enumerate(JOINT_NAMES) if obj.get(n) is None and k not in DERIVABLE]
    if missing:
        raise MotionImportError(
            f"{path}: joint map: no source for {', '.join(missing[:5])} (only spine, neck, "
            f"collar and toe joints may be left out: they are derived)"
        )
    return obj
