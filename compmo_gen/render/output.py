"""Writers of rendered frames: animated GIF (no ffmpeg), MP4 (imageio-ffmpeg's binary), PNG sheet.

:func:`render_motion` is the one entry point: joints + dense captions -> a file, by suffix.
The drawing itself lives in :mod:`compmo_gen.render.frames`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compmo_gen.core.constants import FPS
from compmo_gen.core.segments import DenseAnnotation
from compmo_gen.render.frames import (
    BACKGROUND,
    CURSOR,
    GRID,
    NEUTRAL,
    PALETTE,
    TEXT,
    TRACE,
    FrameRenderer,
    RenderStyle,
    shade,
)

if TYPE_CHECKING:
    from PIL import Image as PILImage


def gif_palette() -> PILImage.Image:
    """A fixed palette holding every colour the renderer draws (plus a grey ramp for text)."""
    from PIL import Image

    colors = [BACKGROUND, GRID, TRACE, TEXT, CURSOR, (235, 235, 230), (255, 255, 255)]
    for base in (*PALETTE, NEUTRAL):
        colors += [shade(base, side) for side in (0, 1, 2)]
    colors += [(g, g, g) for g in range(0, 256, 8)]
    colors += [tuple((a + b) // 2 for a, b in zip(c, BACKGROUND)) for c in (*PALETTE, CURSOR)]
    flat = [v for c in colors for v in c] + [0] * (768 - 3 * len(colors))
    pal = Image.new("P", (1, 1))
    pal.putpalette(flat)
    return pal


def save_gif(frames: Iterator[PILImage.Image], path: str | Path, fps: float = FPS) -> int:
    """Animated GIF (no ffmpeg), fixed palette, no dithering, delta frames; returns frame count."""
    from PIL import Image

    pal = gif_palette()
    quantized = [f.quantize(palette=pal, dither=Image.Dither.NONE) for f in frames]
    if not quantized:
        raise ValueError("no frames to write")
    quantized[0].save(
        path,
        save_all=True,
        append_images=quantized[1:],
        duration=round(1000 / fps),
        loop=0,
        optimize=True,  # unchanged pixels become transparent: about 4x smaller files
    )
    return len(quantized)


def save_mp4(frames: Iterator[PILImage.Image], path: str | Path, fps: float = FPS) -> int:
    """H.264 MP4 through the ffmpeg binary shipped with imageio-ffmpeg; returns the frame count."""
    import imageio_ffmpeg

    writer = None
    n = 0
    try:
        for f in frames:
            if writer is None:
                writer = imageio_ffmpeg.write_frames(
                    str(path), f.size, fps=fps, codec="libx264", macro_block_size=2, quality=7,
                    ffmpeg_log_level="error",
                    output_params=["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"],
                )  # fmt: skip
                writer.send(None)
            writer.send(np.asarray(f, dtype=np.uint8).tobytes())
            n += 1
    finally:
        if writer is not None:
            writer.close()
    return n


def sheet_indices(renderer: FrameRenderer, n: int | None = None) -> list[int]:
    """Frames of a contact sheet: each GT segment's midpoint, or ``n`` evenly spaced frames."""
    last = renderer.n_frames - 1
    gt = renderer.tracks[0].segments if renderer.tracks and renderer.tracks[0].label == "GT" else ()
    if n is None and gt:
        mids = [round((s.start + s.end) / 2 * renderer.fps) for s in gt[:24]]
        return [min(max(m, 0), last) for m in mids]
    n = n or 8
    return sorted({round(k * last / max(n - 1, 1)) for k in range(n)})


def save_sheet(
    renderer: FrameRenderer, path: str | Path, n: int | None = None, columns: int = 4
) -> int:
    """PNG contact sheet of full-size frames; returns the number of tiles."""
    from PIL import Image

    idx = sheet_indices(renderer, n)
    w, h = renderer.style.width, renderer.height
    cols = min(columns, len(idx))
    rows = math.ceil(len(idx) / cols)
    sheet = Image.new("RGB", (cols * w, rows * h), (255, 255, 255))
    for k, img in enumerate(renderer.frames(idx)):
        sheet.paste(img, ((k % cols) * w, (k // cols) * h))
    sheet.save(path, optimize=False)
    return len(idx)


OUTPUT_KINDS = {".gif": "gif", ".mp4": "mp4", ".png": "png"}


def render_motion(
    joints: np.ndarray,
    out: str | Path,
    gt: DenseAnnotation | None = None,
    pred: DenseAnnotation | None = None,
    style: RenderStyle | None = None,
    fps: float = FPS,
    sheet_frames: int | None = None,
    stride: int = 1,
) -> int:
    """Render to ``out`` (.gif, .mp4 or .png contact sheet); returns frames (or tiles) written.

    ``stride`` keeps every k-th frame of an animation (played at ``fps / stride``: same speed)."""
    style = style or RenderStyle()
    kind = OUTPUT_KINDS.get(Path(out).suffix.lower())
    if kind is None:
        raise ValueError(f"{out}: unknown output type (use .gif, .mp4 or .png)")
    renderer = FrameRenderer(joints, gt, pred, style, fps)
    if kind == "png":
        return save_sheet(renderer, out, sheet_frames)
    frames = renderer.frames(range(0, renderer.n_frames, max(1, stride)))
    return (save_gif if kind == "gif" else save_mp4)(frames, out, fps / max(1, stride))
