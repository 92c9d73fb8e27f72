from __future__ import annotations

import numpy as np
import pytest

from modeling.adapter import build_adapter, motion_windows, num_windows, select_windows


@pytest.mark.parametrize(("frames", "expected"), [(15, 0), (16, 1), (23, 1), (24, 2), (200, 24)])
def test_num_windows_formula(frames: int, expected: int) -> None:
    assert num_windows(frames) == expected
    if frames >= 16:
        assert expected == (frames - 16) // 8 + 1


def test_windows_are_flattened_16_frame_slices_with_stride_8() -> None:
    motion = np.arange(40 * 66, dtype=np.float32).reshape(40, 22, 3)
    win = motion_windows(motion)
    assert win.shape == (4, 1056) and win.dtype == np.float32
    for i in range(4):
        np.testing.assert_array_equal(win[i], motion[8 * i : 8 * i + 16].reshape(-1))


def test_short_motion_padded_to_one_window_and_bad_shape_rejected() -> None:
    motion = np.ones((5, 22, 3), dtype=np.float32)
    assert motion_windows(motion).shape == (1, 1056)
    with pytest.raises(ValueError, match="shape"):
        motion_windows(np.ones((20, 24, 3)))


def test_center_removes_root_horizontal_offset() -> None:
    rng = np.random.default_rng(0)
    motion = rng.normal(size=(32, 22, 3)).astype(np.float32)
    shifted = motion.copy()
    shifted[:, :, 0] += 5.0
    shifted[:, :, 2] -= 3.0
    np.testing.assert_allclose(
        motion_windows(motion, center=True), motion_windows(shifted, center=True), atol=1e-5
    )
    assert not np.allclose(motion_windows(motion), motion_windows(shifted))


def test_select_windows_even_and_bounded() -> None:
    idx = select_windows(100, 10)
    assert len(idx) == 10 and idx[0] == 0 and idx[-1] == 99 and np.all(np.diff(idx) > 0)
    assert list(select_windows(5, 10)) == [0, 1, 2, 3, 4]


def test_adapter_architecture_and_position_flag() -> None:
    import torch

    plain = build_adapter(48)
    layers = [m for m in plain.mlp] + [plain.proj]
    assert [tuple(m.weight.shape) for m in layers if hasattr(m, "weight")] == [
        (1024, 1056),
        (1024, 1024),
        (48, 1024),
    ]
    assert isinstance(plain.mlp[1], torch.nn.ReLU) and plain.pos is None
    x = torch.zeros(2, 7, 1056)
    out = plain(x)
    assert out.shape == (2, 7, 48)
    # without positions every window of a constant motion maps to the same token
    assert torch.allclose(out[:, 0], out[:, 6])
    with_pos = build_adapter(48, pos_embedding=True, max_windows=16)
    out = with_pos(x)
    assert not torch.allclose(out[:, 0], out[:, 6])
