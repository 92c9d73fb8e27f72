import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compmo_gen.composition.compose import ComposeConfig, build_sequence, compose, duration_bounds
from compmo_gen.composition.quality import Gate, foot_skate, penetration
from compmo_gen.composition.skeleton import bone_error
from compmo_gen.composition.transitions import MODES
from compmo_gen.core.constants import FPS


def test_duration_law_is_paper_eq4():
    assert duration_bounds(5.0) == pytest.approx((4.3, 6.3))  # 0.8*5+0.3, min(1.2*5+0.3, 5+1.8)
    assert duration_bounds(2.0) == pytest.approx((1.9, 2.7))


@pytest.mark.parametrize("mode", MODES)
def test_segments_contiguous_and_bones_exact(prepared_pool, mode):
    cfg = ComposeConfig(transition=mode)
    for i in range(6):
        c = compose(prepared_pool, np.random.default_rng(i), cfg)
        t = len(c.joints)
        starts, ends = list(c.bounds[:-1]), list(c.bounds[1:])
        assert [(s.start, s.end) for s in c.segments] == [
            (a / FPS, b / FPS) for a, b in zip(starts, ends)
        ]
        assert starts[0] == 0 and ends[-1] == t
        assert starts[1:] == ends[:-1]
        assert min(e - s for s, e in zip(starts, ends, strict=True)) >= FPS  # >= 1 s
        assert cfg.min_actions <= len(c.segments) <= cfg.max_actions
        assert bone_error(c.joints) < 1e-9
        assert c.joints[..., 1].min() == pytest.approx(0.0, abs=1e-9)
        assert penetration(c.joints) == 0.0
        assert len(c.meta["seams"]) == len(c.segments) - 1


def test_each_clip_resampled_within_eq4(prepared_pool):
    c = compose(prepared_pool, np.random.default_rng(3), ComposeConfig(transition="concat"))
    for clip in c.meta["clips"]:
        lo, hi = duration_bounds(clip["source_frames"] / FPS)
        assert lo * FPS - 0.5 <= clip["frames"] <= hi * FPS + 0.5
        assert clip["end_frame"] - clip["start_frame"] == clip["frames"]  # concat keeps lengths


def test_crossfade_boundary_is_window_centre(prepared_pool):
    c = compose(
        prepared_pool, np.random.default_rng(1), ComposeConfig(transition="crossfade", window=10)
    )
    for seam in c.meta["seams"]:
        lo, hi = seam["window"]
        assert seam["boundary"] == (lo + hi) / 2


def test_clip_starts_where_previous_ended(prepared_pool):
    c = compose(prepared_pool, np.random.default_rng(2), ComposeConfig(transition="inertial"))
    step = np.linalg.norm(np.diff(c.joints[:, 0, [0, 2]], axis=0), axis=1)
    for seam in c.meta["seams"]:
        b = int(seam["boundary"])
        assert step[b - 1] < 0.25  # no jump of the root at the seam (m/frame)


def test_smooth_modes_beat_hard_cut(prepared_pool):
    def worst_jerk(mode):
        figs = [
            build_sequence(prepared_pool, [0, i], ComposeConfig(transition=mode)).meta["qc"][
                "figures"
            ]
            for i in range(8)
        ]
        return np.median([f["seam_jerk_ratio"] for f in figs])

    assert worst_jerk("inertial") < worst_jerk("concat") / 3


def test_quality_gate_resamples_and_records(prepared_pool):
    strict = ComposeConfig(gate=Gate(seam_jerk_ratio=1e-6), max_attempts=3)
    c = build_sequence(prepared_pool, [0, 1], strict)
    assert c.meta["qc"]["accepted"] is False
    assert len(c.meta["qc"]["rejected"]) == 3 and "seam_jerk_ratio" in c.meta["qc"]["rejected"][0]
    ok = build_sequence(prepared_pool, [0, 1], ComposeConfig())
    assert ok.meta["qc"]["accepted"] and ok.joints.dtype == np.float32
    assert foot_skate(ok.joints.astype(np.float64)) < 0.1


def test_build_sequence_deterministic(prepared_pool):
    a = build_sequence(prepared_pool, [7, 3], ComposeConfig())
    b = build_sequence(prepared_pool, [7, 3], ComposeConfig())
    assert a.joints.tobytes() == b.joints.tobytes() and a.segments == b.segments


@settings(max_examples=25, deadline=None)
@given(
    mode=st.sampled_from(MODES),
    window=st.integers(1, 10).map(lambda k: 2 * k),
    half_life=st.floats(1.0, 8.0),
    seed=st.integers(0, 2**32 - 1),
    actions=st.integers(1, 6),
)
def test_any_transition_setting_keeps_the_invariants(
    prepared_pool, mode, window, half_life, seed, actions
):
    cfg = ComposeConfig(
        transition=mode,
        window=window,
        half_life=half_life,
        min_actions=actions,
        max_actions=actions,
    )
    c = compose(prepared_pool, np.random.default_rng(seed), cfg)
    bounds = list(c.bounds)
    assert bounds[0] == 0 and bounds[-1] == len(c.joints) and all(np.diff(bounds) > 0)
    assert len(c.segments) == actions
    assert bone_error(c.joints) < 1e-9 and c.joints[..., 1].min() >= -1e-12
    assert np.isfinite(c.joints).all()
