from collections import Counter

import numpy as np
import pytest

from compmo_gen.composition.quality import foot_skate
from compmo_gen.composition.skeleton import bone_error, heading_angles
from compmo_gen.procedural import all_kinds, build_library


def _by_kind(lib, kind):
    return [c for c in lib if c.kind == kind]


def test_catalogue_size_and_templates():
    kinds = all_kinds()
    assert len(kinds) >= 25
    assert len({k.name for k in kinds}) == len(kinds)
    for k in kinds:
        assert len(k.templates) >= 3, k.name


def test_every_varied_parameter_is_in_every_caption(small_library):
    kinds = {k.name: k for k in all_kinds()}
    for clip in small_library:
        kind = kinds[clip.kind]
        values = dict(clip.params)
        assert len(clip.captions) >= 2
        for cap in clip.captions:
            assert cap == cap.lower() and "#" not in cap and 3 <= len(cap.split()) <= 16, cap
            for name, key in values.items():
                forms = next(f for f in kind.params[name] if f["k"] == key)
                assert any(v in cap for v in forms.values()), (name, key, cap)


def test_exact_bones_canonical_frame_floor_and_lengths(small_library):
    for c in small_library:
        p = c.joints.astype(np.float64)
        assert bone_error(p) < 1e-5, c.id
        assert np.abs(p[0, 0, [0, 2]]).max() < 1e-6, c.id
        assert p[..., 1].min() == pytest.approx(0.0, abs=1e-6), c.id
        assert abs(heading_angles(p[:1], sigma=0)[0]) < 1e-4, c.id
        assert 30 <= len(p) <= 160, (c.id, len(p))  # 1.5 to 8 s


def test_contact_foot_skate_below_3cm_per_s(small_library):
    skates = {c.id: foot_skate(c.joints.astype(np.float64)) for c in small_library}
    worst = max(skates, key=skates.get)
    assert skates[worst] < 0.03, (worst, skates[worst])


def test_left_right_balanced_and_mirrored(small_library):
    sides = Counter(v for c in small_library for _, v in c.params if v in ("left", "right"))
    assert sides["left"] == sides["right"] > 0
    groups = Counter(
        c.group for c in small_library if any(v in ("left", "right") for _, v in c.params)
    )
    assert set(groups.values()) == {2}  # every sided clip has its mirror partner


def test_deterministic_from_seed():
    kinds = all_kinds()[:3]
    a, b = build_library(5, 2, kinds), build_library(5, 2, kinds)
    assert [c.id for c in a] == [c.id for c in b]
    assert all(
        np.array_equal(x.joints, y.joints) and x.captions == y.captions
        for x, y in zip(a, b, strict=True)
    )
    c = build_library(6, 2, kinds)
    assert any(not np.array_equal(x.joints, y.joints) for x, y in zip(a, c, strict=False))


# --- caption-parameter consistency measured on the motion itself --------------------------------


def _p(c):
    return dict(c.params)


def test_walk_direction_matches_root_displacement(small_library):
    for c in _by_kind(small_library, "walk") + _by_kind(small_library, "jog"):
        dz = c.joints[-1, 0, 2] - c.joints[0, 0, 2]
        assert (dz < -0.5) if _p(c).get("direction") == "backward" else (dz > 0.5), c.id


def test_sidestep_and_jump_sides_match_displacement(small_library):
    for c in _by_kind(small_library, "sidestep"):
        dx = c.joints[-1, 0, 0] - c.joints[0, 0, 0]
        assert np.sign(dx) == (1 if _p(c)["side"] == "left" else -1), c.id  # +x is the left
    for c in _by_kind(small_library, "jump"):
        d = c.joints[-1, 0, [0, 2]] - c.joints[0, 0, [0, 2]]
        want = {
            "in_place": (0, 0),
            "forward": (0, 1),
            "backward": (0, -1),
            "left": (1, 0),
            "right": (-1, 0),
        }[_p(c)["direction"]]
        if want == (0, 0):
            assert np.linalg.norm(d) < 0.1, c.id
        else:
            assert float(np.dot(d, want)) > 0.15, c.id


def test_turn_angle_within_15_degrees(small_library):
    for c in _by_kind(small_library, "turn"):
        psi = heading_angles(c.joints.astype(np.float64), sigma=0)
        turned = np.degrees(psi[-1] - psi[0])
        want = float(_p(c)["angle"]) * (1 if _p(c)["side"] == "left" else -1)
        assert abs(turned - want) < 15, (c.id, turned)


def test_one_sided_arm_actions_move_the_named_side(small_library):
    for kind in ("wave", "raise_arm", "point", "punch", "drink", "phone"):
        for c in _by_kind(small_library, kind):
            side = _p(c)["side"]
            if side == "both":
                continue
            rel = c.joints[:, [20, 21]] - c.joints[:, [16, 17]]
            travel = np.ptp(rel, axis=0).max(axis=-1)  # left, right wrist range of motion
            named, other = (0, 1) if side == "left" else (1, 0)
            assert travel[named] > travel[other], (c.id, travel)


def _count_minima(x, below):
    low = x < below
    return int(np.sum(low[1:] & ~low[:-1]) + low[0])


def test_counts_are_exact(small_library):
    for c in _by_kind(small_library, "clap"):
        gap = np.linalg.norm(c.joints[:, 20] - c.joints[:, 21], axis=-1)
        assert _count_minima(gap, 0.12) == int(_p(c)["count"]), c.id
    for c in _by_kind(small_library, "jump"):
        lowest = c.joints[..., 1].min(axis=1)
        assert _count_minima(-lowest, -0.03) == int(_p(c)["count"]), c.id  # airborne phases
    for c in _by_kind(small_library, "squat"):
        h = c.joints[:, 0, 1]
        assert _count_minima(h, h.max() - 0.12) == int(_p(c)["count"]), c.id
