import numpy as np
import pytest

from compmo_gen.composition.kinematics import concat, decompose, integrate, recompose, resample
from compmo_gen.composition.skeleton import (
    BONE_LENGTHS,
    PARENTS,
    REST_POSE,
    bone_directions,
    bone_error,
    forward_kinematics,
    heading_angles,
)


def test_rest_pose_is_canonical_on_exact_bones():
    assert bone_error(REST_POSE) < 1e-12
    assert REST_POSE[0, [0, 2]] == pytest.approx([0, 0], abs=1e-9)
    assert REST_POSE[:, 1].min() == pytest.approx(0.0, abs=1e-12)
    assert abs(heading_angles(REST_POSE[None], sigma=0)[0]) < 0.05  # faces +z
    assert REST_POSE[16, 0] > 0 > REST_POSE[17, 0]  # left shoulder on +x


def test_fk_inverts_bone_directions_for_any_pose():
    rng = np.random.default_rng(0)
    dirs = rng.standard_normal((5, 22, 3))
    root = rng.standard_normal((5, 3))
    p = forward_kinematics(root, dirs)
    assert bone_error(p) < 1e-12
    np.testing.assert_allclose(forward_kinematics(p[:, 0], bone_directions(p)), p, atol=1e-12)
    assert len(PARENTS) == len(BONE_LENGTHS) == 22


def test_bone_lengths_match_real_humanml3d(humanml3d_sample):
    for f in sorted((humanml3d_sample / "new_joints").glob("*.npy")):
        assert bone_error(np.load(f).astype(np.float64)) < 2e-6


def test_decompose_recompose_round_trip(small_library):
    clip = small_library[5].joints.astype(np.float64)
    f, psi0, xz0 = decompose(clip)
    np.testing.assert_allclose(recompose(f, psi0, xz0), clip, atol=1e-5)


def test_real_clip_round_trip(humanml3d_sample):
    p = np.load(humanml3d_sample / "new_joints" / "012314.npy").astype(np.float64)
    f, psi0, xz0 = decompose(p)
    np.testing.assert_allclose(recompose(f, psi0, xz0), p, atol=1e-5)


def test_resample_keeps_bones_and_path_length(small_library):
    clip = next(c for c in small_library if c.kind == "walk").joints.astype(np.float64)
    f, _, _ = decompose(clip)
    for n in (len(f) // 2, len(f) * 2):
        g = resample(f, n)
        assert len(g) == n
        p = recompose(g)
        assert bone_error(p) < 1e-9
        _, xz_f = integrate(f)
        _, xz_g = integrate(g)
        np.testing.assert_allclose(xz_g[-1], xz_f[-1], atol=1e-6)  # same displacement
    assert resample(f, len(f)) is f


def test_concatenation_chains_position_and_heading(small_library):
    lib = small_library
    a, b = (decompose(c.joints.astype(np.float64))[0] for c in (lib[0], lib[40]))
    p = recompose(concat([a, b]))
    step = np.linalg.norm(np.diff(p[:, 0, [0, 2]], axis=0), axis=1)
    assert step[len(a) - 1] <= max(step.max(), 0.2)  # no teleport at the seam
    assert bone_error(p) < 1e-9
