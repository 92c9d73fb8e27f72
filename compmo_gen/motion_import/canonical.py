"""Any 22-joint motion (source units, up axis and frame rate) to the HumanML3D layout: metres,
y up, 20 fps, floor at 0, root at the origin and facing +z at frame 0, HumanML3D bone lengths.

Units and up axis are detected from the body itself and reported:

* units: the mean leg length (hip-knee-ankle, both legs) against HumanML3D's 0.82 m picks the
  nearest of metres, centimetres, millimetres, inches and CMU units (cgspeed's BVH export,
  0.056444 m); a body that fits none is refused unless ``--units`` names one;
* up axis: the mean pelvis-to-head direction; the dominant signed axis is up; a motion whose
  body is not clearly along one axis (lying down all along) is refused unless ``--up`` is given;
* joints a skeleton puts on top of their parent (CMU's LowerBack on Hips, LeftShoulder on Spine1)
  are moved half-way to their child (reported as interpolated): every bone needs a direction;
* handedness: the toes point forward; when the hips' cross product says otherwise the source is
  left-handed (or its left/right labels are swapped) and x is negated (reported as mirrored).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from compmo_gen.composition.skeleton import BONE_LENGTHS, JOINT_NAMES, PARENTS
from compmo_gen.core.constants import FPS, NUM_JOINTS
from compmo_gen.motion_import.joint_sets import MotionImportError

#: Metres per unit.
UNITS: dict[str, float] = {
    "m": 1.0,
    "cm": 0.01,
    "mm": 0.001,
    "inch": 0.0254,
    "cmu": 0.056444,  # (1 / 0.45) * 2.54 / 100, mocap.cs.cmu.edu FAQ
    "dm": 0.1,
}
UP_AXES = ("+x", "-x", "+y", "-y", "+z", "-z")
#: Proper rotations taking each up axis to +y.
_TO_Y_UP = {
    "+y": np.eye(3),
    "-y": np.diag([-1.0, -1.0, 1.0]),
    "+z": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
    "-z": np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
    "+x": np.array([[0, -1.0, 0], [1, 0, 0], [0, 0, 1]]),
    "-x": np.array([[0, 1.0, 0], [-1, 0, 0], [0, 0, 1]]),
}
_LEG = float(BONE_LENGTHS[[4, 7, 5, 8]].sum() / 2)  # hip-knee + knee-ankle, mean of both legs
#: A unit is accepted when the leg length is within this factor of HumanML3D's.
UNIT_TOLERANCE = 1.7
#: The up axis must carry at least this share of the mean pelvis-to-head direction.
UP_CONFIDENCE = 0.7
#: Source frame rates accepted (``--fps`` and the files' own): a BVH ``Frame Time`` of 1e300 or
#: ``--fps 0.01`` (116 frames as a 3.2-hour motion) is refused, not resampled.
MIN_FPS, MAX_FPS = 1.0, 1000.0
#: Longest motion imported (seconds): HumanML3D clips last at most 10 s, mocap takes minutes.
MAX_SECONDS = 3600.0


def check_fps(fps: float, where: str, what: str = "frame rate") -> float:
    """``fps`` if it is a finite frame rate in [MIN_FPS, MAX_FPS], else MotionImportError."""
    if not (isinstance(fps, (int, float)) and np.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        raise MotionImportError(
            f"{where}: {what} {fps!r} is outside [{MIN_FPS:g}, {MAX_FPS:g}] frames per second; "
            f"pass --fps with the real rate"
        )
    return float(fps)


@dataclass(frozen=True)
class ImportOptions:
    skeleton: str = "auto"
    joint_map: dict | None = None
    fps: float | None = None  # the source frame rate when the file has none (or to override)
    up: str = "auto"
    units: str = "auto"
    retarget: bool = True


@dataclass(frozen=True)
class ImportReport:
    source: str
    format: str
    skeleton: str
    units: str
    metres_per_unit: float
    up: str
    mirrored: bool
    source_fps: float
    source_frames: int
    frames: int
    interpolated: tuple[str, ...] = ()
    #: Joints the source skeleton lacks, derived from their neighbours (motion_import.derive).
    derived: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        mirrored = ", mirrored (left-handed source)" if self.mirrored else ""
        if self.interpolated:
            mirrored += f", interpolated {'/'.join(self.interpolated)}"
        if self.derived:
            mirrored += f", derived {'/'.join(self.derived)} (absent in the source)"
        return (
            f"{self.source}: {self.format}, skeleton {self.skeleton}, units {self.units}, up "
            f"{self.up}{mirrored}, {self.source_frames} frames at {self.source_fps:g} fps -> "
            f"{self.frames} frames at {FPS:g} fps"
        )


def check_joints(joints: np.ndarray, file: str, missing: tuple[int, ...] = ()) -> np.ndarray:
    """A finite (T > 0, 22, 3) float64 array (the ``missing`` joints aside), or
    MotionImportError naming the first bad frame."""
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[1:] != (NUM_JOINTS, 3):
        raise MotionImportError(f"{file}: expected (T, {NUM_JOINTS}, 3) joints, got {j.shape}")
    if len(j) == 0:
        raise MotionImportError(f"{file}: zero frames")
    have = [k for k in range(NUM_JOINTS) if k not in missing]
    bad = ~np.isfinite(j[:, have]).all(axis=(1, 2))
    if bad.any():
        raise MotionImportError(
            f"{file}: frame {int(np.argmax(bad))}: NaN or infinite joint positions "
            f"({int(bad.sum())} of {len(j)} frames)"
        )
    return j


#: The child a degenerate joint is moved towards (spine to spine, spine3 to neck, collar to shoulder).
_CHILD = {3: 6, 6: 9, 9: 12, 12: 15, 13: 16, 14: 17, 1: 4, 2: 5, 4: 7, 5: 8, 16: 18, 17: 19, 18: 20, 19: 21}  # fmt: skip


def fill_degenerate(
    j: np.ndarray, file: str, skip: frozenset[int] = frozenset()
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Move joints that sit on their parent half-way to their child; refuse end joints that do
    (``skip``: joints not there yet, derived later)."""
    scale = float(np.nanmax(np.abs(j - j[:, :1]))) or 1.0
    moved = []
    j = j.copy()
    for k in range(1, NUM_JOINTS):
        if k in skip:
            continue
        if np.linalg.norm(j[:, k] - j[:, PARENTS[k]], axis=-1).mean() > 1e-4 * scale:
            continue
        if k not in _CHILD:
            raise MotionImportError(
                f"{file}: joint {JOINT_NAMES[k]!r} sits on its parent {JOINT_NAMES[PARENTS[k]]!r} "
                f"in every frame: cannot be mapped (check the skeleton or pass --joint-map)"
            )
        j[:, k] = (j[:, PARENTS[k]] + j[:, _CHILD[k]]) / 2
        moved.append(JOINT_NAMES[k])
    return j, tuple(moved)


def detect_units(joints: np.ndarray, file: str, units: str = "auto") -> tuple[str, float]:
    """(unit name, metres per unit) from the leg length, or the forced ``units``."""
    if units != "auto":
        return units, UNITS[units]
    legs = [
        np.linalg.norm(joints[:, a] - joints[:, b], axis=-1).mean() for a, b in ((1, 4), (4, 7), (2, 5), (5, 8))
    ]  # fmt: skip
    leg = float(sum(legs) / 2)
    if not leg > 0:
        raise MotionImportError(f"{file}: legs of zero length: not a body (check the joint map)")
    name, per = min(UNITS.items(), key=lambda kv: abs(np.log(leg * kv[1] / _LEG)))
    if abs(np.log(leg * per / _LEG)) > np.log(UNIT_TOLERANCE):
        raise MotionImportError(
            f"{file}: leg length {leg:.4g} units fits no known unit ({', '.join(UNITS)}); "
            f"pass --units"
        )
    return name, per


def detect_up(joints: np.ndarray, file: str, up: str = "auto") -> str:
    """The signed axis the body stands along (pelvis to head), or the forced ``up``."""
    if up != "auto":
        return up
    v = (joints[:, 15] - joints[:, 0]).mean(axis=0)
    norm = float(np.linalg.norm(v))
    axis = int(np.argmax(np.abs(v)))
    if norm == 0 or abs(v[axis]) < UP_CONFIDENCE * norm:
        raise MotionImportError(
            f"{file}: cannot tell the up axis (mean pelvis-to-head direction {np.round(v / max(norm, 1e-12), 2).tolist()}); "
            f"pass --up"
        )
    return ("+" if v[axis] > 0 else "-") + "xyz"[axis]


def is_mirrored(p: np.ndarray) -> bool:
    """True when, y up, the toes point against the forward the hips' cross product gives."""
    across = (p[:, 1] - p[:, 2])[:, [0, 2]]  # person's right -> left, horizontal
    fwd = np.stack([-across[:, 1], across[:, 0]], -1)  # left x up: forward in a right-handed frame
    toes = ((p[:, 10] - p[:, 7]) + (p[:, 11] - p[:, 8]))[:, [0, 2]]
    return float((fwd * toes).sum()) < 0


def to_humanml3d(
    joints: np.ndarray,
    fps: float,
    *,
    source: str,
    fmt: str,
    skeleton: str,
    opts: ImportOptions | None = None,
    missing: tuple[int, ...] = (),
) -> tuple[np.ndarray, ImportReport]:
    """(HumanML3D joints (T', 22, 3) float32 at 20 fps, report) from source joints; the
    ``missing`` joints (NaN in ``joints``) are derived from their neighbours and reported."""
    from compmo_gen.motion_import.derive import TOES, derive_inner, derive_toes, names
    from compmo_gen.sources.smpl import canonicalize, resample

    opts = opts or ImportOptions()
    fps = check_fps(fps, source)
    j = check_joints(joints, source, missing)
    if len(j) / fps > MAX_SECONDS:
        raise MotionImportError(
            f"{source}: {len(j)} frames at {fps:g} fps last {len(j) / fps / 3600:.2f} h, over the "
            f"{MAX_SECONDS / 3600:g} h limit (a wrong --fps or Frame Time?); cut the file"
        )
    j = derive_inner(j, missing)
    toes = TOES & set(missing)
    j, moved = fill_degenerate(j, source, skip=frozenset(toes))
    unit, per = detect_units(j, source, opts.units)
    up = detect_up(j, source, opts.up)
    p = (j * per) @ _TO_Y_UP[up].T
    # without toes the handedness cannot be told: a right-handed source is assumed
    mirrored = False if toes else is_mirrored(p)
    if mirrored:
        p[..., 0] *= -1
    p = derive_toes(p, tuple(toes))
    p = resample(p, fps, FPS) if fps != FPS else p
    with np.errstate(over="ignore", invalid="ignore"):
        out = canonicalize(p, retarget=opts.retarget).astype(np.float32)
    if not np.isfinite(out).all():  # finite in the file, beyond float32 once converted (1e300)
        raise MotionImportError(f"{source}: joint positions too large to store (beyond float32)")
    report = ImportReport(
        source, fmt, skeleton, unit, per, up, mirrored, float(fps), len(j), len(out), moved,
        names(missing),
    )  # fmt: skip
    return out, report
