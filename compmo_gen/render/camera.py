"""The renderer's frame layout (``RenderStyle``) and camera: one orthographic projection of a
whole clip, in numpy.

``project`` frames the motion with a constant scale and a target that is either the centre of the
trajectory (``camera='fixed'``) or the Gaussian-smoothed root (``'follow'``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from compmo_gen.core.constants import FPS


@dataclass(frozen=True)
class RenderStyle:
    """Frame layout and camera. ``camera='follow'`` tracks the smoothed root; ``'fixed'`` frames
    the whole trajectory once."""

    width: int = 480
    view_height: int = 300
    azimuth_deg: float = 35.0
    elevation_deg: float = 20.0
    camera: str = "follow"
    font_size: int = 13
    grid_step: float = 0.5

    @property
    def scale(self) -> float:
        return self.width / 480.0


def camera_basis(
    azimuth_deg: float, elevation_deg: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen right, screen up and towards-camera unit vectors (world, y up)."""
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    towards = np.array([math.sin(a) * math.cos(e), math.sin(e), math.cos(a) * math.cos(e)])
    right = np.cross(-towards, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, -towards)
    return right, up, towards


@dataclass(frozen=True)
class Projection:
    """Pixel coordinates (T, 22, 2), depth (T, 22), per-frame camera targets (T, 3) and px/m."""

    xy: np.ndarray
    depth: np.ndarray
    target: np.ndarray
    px_per_m: float
    origin: tuple[float, float]
    basis: tuple[np.ndarray, np.ndarray, np.ndarray]

    def to_pixels(self, points: np.ndarray, frame: int) -> np.ndarray:
        right, up, _ = self.basis
        rel = points - self.target[frame]
        return np.stack(
            [
                self.origin[0] + self.px_per_m * rel @ right,
                self.origin[1] - self.px_per_m * rel @ up,
            ],
            -1,
        )


def smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 with edge padding (scipy's ``gaussian_filter1d``,
    ``mode='nearest'``, in numpy: importing scipy.ndimage would cost 0.3 s per command)."""
    radius = int(4.0 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    pad = np.concatenate([np.repeat(x[:1], radius, 0), x, np.repeat(x[-1:], radius, 0)])
    windows = np.lib.stride_tricks.sliding_window_view(pad, 2 * radius + 1, axis=0)
    return windows @ k


def project(joints: np.ndarray, style: RenderStyle) -> Projection:
    """Project a motion with one camera for the whole clip (constant scale, smooth target)."""
    p = np.asarray(joints, dtype=np.float64)
    root = p[:, 0, :] * np.array([1.0, 0.0, 1.0])
    if style.camera == "fixed":
        lo, hi = root.min(0), root.max(0)
        target = np.broadcast_to((lo + hi) / 2, root.shape).copy()
    elif style.camera == "follow":
        target = smooth(root, sigma=FPS)
    else:
        raise ValueError(f"unknown camera {style.camera!r} (follow or fixed)")
    basis = camera_basis(style.azimuth_deg, style.elevation_deg)
    right, up, towards = basis
    rel = p - target[:, None, :]
    u, v = rel @ right, rel @ up
    floor_v = -(np.abs(rel[..., [0, 2]]).max() + 0.3) * math.sin(math.radians(style.elevation_deg))
    u_half = max(float(np.abs(u).max()) + 0.2, 0.9)  # margins hold the head disc (0.09 m)
    v_lo, v_hi = min(float(v.min()), floor_v) - 0.1, max(float(v.max()), 1.8) + 0.2
    px = min(style.width / (2 * u_half), style.view_height / (v_hi - v_lo))
    origin = (style.width / 2, style.view_height / 2 + px * (v_lo + v_hi) / 2)
    xy = np.stack([origin[0] + px * u, origin[1] - px * v], -1)
    return Projection(xy, rel @ towards, target, px, origin, basis)
