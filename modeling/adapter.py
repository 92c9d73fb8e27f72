"""The DEMO motion adapter: sliding windows of poses -> one LLM token per window.

A motion of N poses (22 joints x 3) is cut into windows of ``WINDOW`` frames with stride
``STRIDE`` (``floor((N - W) / S) + 1`` windows), each flattened to ``W * 22 * 3`` values and
mapped by ``Linear(1056, 1024) - ReLU - Linear(1024, 1024)`` then ``Linear(1024, d_model)``.
The paper adds positional embeddings over the window index; the released code does not, so it is
the ``pos_embedding`` flag here (learned, over at most ``max_windows`` windows).
"""

from __future__ import annotations

import numpy as np

from compmo_gen.core.constants import NUM_JOINTS

#: Motion adapter window (frames) and stride (DEMO's released code).
WINDOW: int = 16
STRIDE: int = 8


def num_windows(frames: int, window: int = WINDOW, stride: int = STRIDE) -> int:
    """Number of motion tokens for ``frames`` poses (0 when shorter than one window)."""
    if frames < window:
        return 0
    return (frames - window) // stride + 1


def motion_windows(
    motion: np.ndarray,
    window: int = WINDOW,
    stride: int = STRIDE,
    *,
    center: bool = False,
) -> np.ndarray:
    """Cut a (T, 22, 3) motion into (num_windows, window * 22 * 3) float32 rows.

    Motions shorter than one window are padded by repeating their last pose (one window).
    With ``center`` the root's horizontal (x, z) position at each window's first frame is
    subtracted from the window (translation invariance; off in the paper).
    """
    motion = np.asarray(motion, dtype=np.float32)
    if motion.ndim != 3 or motion.shape[1:] != (NUM_JOINTS, 3) or motion.shape[0] == 0:
        raise ValueError(f"motion must have shape (T, {NUM_JOINTS}, 3), got {motion.shape}")
    if motion.shape[0] < window:
        pad = np.repeat(motion[-1:], window - motion.shape[0], axis=0)
        motion = np.concatenate([motion, pad], axis=0)
    count = num_windows(motion.shape[0], window, stride)
    starts = np.arange(count) * stride
    idx = starts[:, None] + np.arange(window)[None, :]
    win = motion[idx]  # (count, window, 22, 3)
    if center:
        offset = np.zeros((count, 1, 1, 3), dtype=np.float32)
        offset[:, 0, 0, 0] = win[:, 0, 0, 0]
        offset[:, 0, 0, 2] = win[:, 0, 0, 2]
        win = win - offset
    return np.ascontiguousarray(win.reshape(count, -1))


def select_windows(count: int, keep: int) -> np.ndarray:
    """Indices of ``keep`` evenly spaced windows out of ``count`` (the over-long policy)."""
    if keep >= count:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, num=max(keep, 1)).round().astype(np.int64))


def build_adapter(
    d_model: int,
    *,
    in_dim: int = WINDOW * NUM_JOINTS * 3,
    hidden: int = 1024,
    out_hidden: int = 1024,
    pos_embedding: bool = False,
    max_windows: int = 1024,
):
    """Build the adapter module (torch imported lazily)."""
    import torch
    from torch import nn

    class MotionAdapter(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mlp = nn.Sequential(
                nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_hidden)
            )
            self.proj = nn.Linear(out_hidden, d_model)
            self.pos = nn.Embedding(max_windows, d_model) if pos_embedding else None
            if self.pos is not None:
                nn.init.normal_(self.pos.weight, std=0.02)

        def forward(self, windows: torch.Tensor) -> torch.Tensor:
            """(B, L, in_dim) windows -> (B, L, d_model) embeddings."""
            x = self.proj(self.mlp(windows))
            if self.pos is not None:
                index = torch.arange(windows.shape[1], device=windows.device)
                x = x + self.pos(index.clamp(max=self.pos.num_embeddings - 1))[None]
            return x

    return MotionAdapter()
