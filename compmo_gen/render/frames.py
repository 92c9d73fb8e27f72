"""Fast skeleton rendering: HumanML3D joints + dense captions -> frames -> GIF, MP4 or PNG sheet.

No per-frame matplotlib: a fixed orthographic camera projects all joints at once in numpy
(:mod:`compmo_gen.render.camera`), the static parts (background, timelines, labels) are drawn once
with Pillow, and each frame only copies them and draws the floor grid, the bones, the cursor and
a cached caption panel.

Bones take the colour of the active ground-truth segment (right-side limbs darker, left-side lighter);
prediction timelines reuse the colour of the GT segment they overlap most (grey when none), so
matches read at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from compmo_gen.composition.skeleton import CHAINS, PARENTS
from compmo_gen.core.constants import FPS, NUM_JOINTS
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.render.camera import RenderStyle, project

if TYPE_CHECKING:
    from PIL import Image as PILImage

Color = tuple[int, int, int]
#: Segment colours (a colour-blind-friendly qualitative set); segment i uses PALETTE[i % len].
PALETTE: tuple[Color, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (23, 190, 207), (188, 189, 34), (127, 127, 127),
)  # fmt: skip
NEUTRAL: Color = (110, 110, 110)
BACKGROUND: Color = (250, 250, 248)
GRID: Color = (214, 214, 208)
TRACE: Color = (170, 170, 160)
TEXT: Color = (25, 25, 25)
CURSOR: Color = (220, 20, 60)
#: Joints on the person's right / left (drawn darker / lighter).
RIGHT_CHAINS, LEFT_CHAINS = (CHAINS[0], CHAINS[3]), (CHAINS[1], CHAINS[4])
JOINT_SIDES = np.zeros(NUM_JOINTS, dtype=np.int8)  # 0 centre, 1 right, 2 left
JOINT_SIDES[[j for c in RIGHT_CHAINS for j in c[1:] if j != 0]] = 1
JOINT_SIDES[[j for c in LEFT_CHAINS for j in c[1:] if j != 0]] = 2
_CHILD = np.arange(1, NUM_JOINTS)
_PARENT = np.array(PARENTS[1:])


def shade(color: Color, side: int) -> Color:
    """Right side (1) darker, left side (2) lighter, centre (0) as is."""
    if side == 1:
        return tuple(int(c * 0.62) for c in color)  # type: ignore[return-value]
    if side == 2:
        return tuple(int(c + (255 - c) * 0.35) for c in color)  # type: ignore[return-value]
    return color


def active_index(segments: Sequence[Segment], t: float, duration: float) -> int | None:
    """Index of the segment active at time ``t`` (latest start wins), None in a gap."""
    best = None
    for i, s in enumerate(segments):
        if s.start <= t and (t < s.end or (t >= duration - 1e-9 and s.end >= duration - 1e-6)):
            if best is None or s.start >= segments[best].start:
                best = i
    return best


def segment_colors(gt: Sequence[Segment]) -> list[Color]:
    return [PALETTE[i % len(PALETTE)] for i in range(len(gt))]


def match_colors(pred: Sequence[Segment], gt: Sequence[Segment]) -> list[Color]:
    """Colour of each predicted segment: that of the GT segment it overlaps most (tIoU), else grey."""
    from compmo_gen.core.tiou import tiou_matrix

    colors = segment_colors(gt)
    if not pred or not gt:
        return [NEUTRAL] * len(pred)
    m = tiou_matrix([(p.start, p.end) for p in pred], [(g.start, g.end) for g in gt])
    return [colors[int(row.argmax())] if row.max() > 0 else NEUTRAL for row in m]


@lru_cache(maxsize=8)
def font(size: int):  # noqa: ANN201 - PIL font type
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def wrap(text: str, fnt, width: float, max_lines: int = 2) -> list[str]:  # noqa: ANN001
    """Greedy word wrap to ``width`` pixels; an overflowing last line ends with an ellipsis."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if fnt.getlength(trial) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and fnt.getlength(last + " ...") > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + " ..."]
    return lines


def assign_lanes(segments: Sequence[Segment]) -> list[int]:
    """Greedy interval partitioning so overlapping segments sit on separate lanes."""
    order = sorted(range(len(segments)), key=lambda i: (segments[i].start, segments[i].end))
    ends: list[float] = []
    lanes = [0] * len(segments)
    for i in order:
        s = segments[i]
        for k, e in enumerate(ends):
            if e <= s.start + 1e-9:
                ends[k], lanes[i] = s.end, k
                break
        else:
            ends.append(s.end)
            lanes[i] = len(ends) - 1
    return lanes


@dataclass(frozen=True)
class Track:
    """One timeline row (and caption line): its label, segments and their colours."""

    label: str
    segments: tuple[Segment, ...]
    colors: tuple[Color, ...]


def tracks_for(gt: DenseAnnotation | None, pred: DenseAnnotation | None) -> list[Track]:
    from compmo_gen.render.tracks import PART_COLORS, PART_LABELS, is_multitrack, part_rows

    gt_segs = gt.segments if gt is not None else ()
    out = [Track("GT", gt_segs, tuple(segment_colors(gt_segs)))] if gt is not None else []
    if is_multitrack(gt):  # simultaneous segments: one row per body part, in part colours
        out = [
            Track(
                PART_LABELS[p],
                tuple(gt_segs[i] for i in idx),
                tuple(shade(PART_COLORS[p], 2 * (k % 2)) for k in range(len(idx))),
            )
            for p, idx in part_rows(gt)
        ]
    if pred is not None:
        out.append(Track("Pred", pred.segments, tuple(match_colors(pred.segments, gt_segs))))
    return out


class FrameRenderer:
    """Renders frame ``i`` of a motion with its timelines; static layers are drawn once."""

    def __init__(
        self,
        joints: np.ndarray,
        gt: DenseAnnotation | None = None,
        pred: DenseAnnotation | None = None,
        style: RenderStyle = RenderStyle(),
        fps: float = FPS,
    ) -> None:
        from PIL import Image, ImageDraw

        self.joints, self.style, self.fps = np.asarray(joints, dtype=np.float64), style, fps
        self.n_frames = len(self.joints)
        given = [a.duration for a in (gt, pred) if a is not None and a.duration]
        self.duration = float(given[0]) if given else self.n_frames / fps
        self.tracks = tracks_for(gt, pred)
        self.part_rows: list[str] = []  # multi-track GT: the body part of each leading row
        if gt is not None and self.tracks and self.tracks[0].label != "GT":
            from compmo_gen.render.tracks import part_rows

            self.part_rows = [p for p, _ in part_rows(gt)]
        s = style.scale
        self.line_h = round((style.font_size + 4) * s)
        self.font = font(max(8, round(style.font_size * s)))
        self.caption_h = len(self.tracks) * 2 * self.line_h + (round(6 * s) if self.tracks else 0)
        self.row_h, self.axis_h = round(16 * s), round(16 * s)
        self.bar_x = (round(50 * s), style.width - round(10 * s))
        tl_h = len(self.tracks) * (self.row_h + round(3 * s)) + self.axis_h if self.tracks else 0
        self.tl_top = style.view_height + self.caption_h
        self.height = (self.tl_top + tl_h + 1) // 2 * 2  # even, for yuv420p video
        self.proj = project(self.joints, style)
        self.active = [
            [active_index(tr.segments, i / fps, self.duration) for i in range(self.n_frames)]
            for tr in self.tracks
        ]
        self.static = Image.new("RGB", (style.width, self.height), BACKGROUND)
        self._draw_timelines(ImageDraw.Draw(self.static))
        self.view_bg = Image.new("RGB", (style.width, style.view_height), BACKGROUND)
        if style.camera == "fixed":
            self._draw_grid(ImageDraw.Draw(self.view_bg), 0)
        self._captions: dict[tuple[int | None, ...], PILImage.Image] = {}

    def time_x(self, t: float) -> float:
        x0, x1 = self.bar_x
        return x0 + (x1 - x0) * min(max(t / max(self.duration, 1e-9), 0.0), 1.0)

    def _draw_timelines(self, draw) -> None:  # noqa: ANN001
        s, top = self.style.scale, self.tl_top
        for tr in self.tracks:
            draw.text(
                (round(4 * s), top + self.row_h / 2),
                tr.label,
                fill=TEXT,
                font=self.font,
                anchor="lm",
            )
            lanes = assign_lanes(tr.segments)
            n_lanes = max(lanes, default=0) + 1
            lane_h = self.row_h / n_lanes
            x0, x1 = self.bar_x
            draw.rectangle([x0, top, x1, top + self.row_h], fill=(235, 235, 230))
            for seg, color, lane in zip(tr.segments, tr.colors, lanes):
                a, b = sorted((self.time_x(seg.start), self.time_x(seg.end)))
                y = top + lane * lane_h
                draw.rectangle([a, y, max(a, b - 1), y + lane_h - 1], fill=color)
            top += self.row_h + round(3 * s)
        step = next(x for x in (1, 2, 5, 10, 20, 30, 60, 120, 300) if self.duration / x <= 12)
        for k in range(int(self.duration // step) + 1):
            x = self.time_x(k * step)
            draw.line([(x, top - round(5 * s)), (x, top - round(2 * s))], fill=TEXT)
            draw.text((x, top), f"{k * step:g}", fill=TEXT, font=self.font, anchor="mt")

    def _draw_grid(self, draw, i: int) -> None:  # noqa: ANN001
        """Floor lines every ``grid_step`` metres around the camera target, projected at once."""
        step = self.style.grid_step
        reach = max(self.style.width, self.style.view_height / 0.3) / self.proj.px_per_m
        tx, _, tz = self.proj.target[i]
        ends = []
        for c, o, axis in ((tx, tz, 0), (tz, tx, 2)):
            ks = np.arange(math.floor((c - reach) / step), math.ceil((c + reach) / step) + 1) * step
            seg = np.zeros((len(ks), 2, 3))
            seg[:, :, axis] = ks[:, None]
            seg[:, :, 2 - axis] = o + np.array([-reach, reach])
            ends.append(seg)
        px = self.proj.to_pixels(np.concatenate(ends).reshape(-1, 3), i).reshape(-1, 4)
        for u0, v0, u1, v1 in px.tolist():
            draw.line([(u0, v0), (u1, v1)], fill=GRID, width=1)

    def _caption_panel(self, key: tuple[int | None, ...]) -> PILImage.Image:
        from PIL import Image, ImageDraw

        panel = self._captions.get(key)
        if panel is not None:
            return panel
        s = self.style.scale
        panel = Image.new("RGB", (self.style.width, max(self.caption_h, 1)), BACKGROUND)
        draw = ImageDraw.Draw(panel)
        x_text = self.bar_x[0]
        for row, (tr, idx) in enumerate(zip(self.tracks, key)):
            y = round(3 * s) + row * 2 * self.line_h
            color = NEUTRAL if idx is None else tr.colors[idx]
            text = "(no segment)" if idx is None else tr.segments[idx].caption or "(empty caption)"
            draw.text((round(4 * s), y), tr.label, fill=TEXT, font=self.font)
            sw = round(8 * s)
            draw.rectangle(
                [x_text - sw - round(4 * s), y + 3, x_text - round(4 * s), y + 3 + sw], fill=color
            )
            for k, line in enumerate(
                wrap(text, self.font, self.style.width - x_text - round(6 * s))
            ):
                draw.text((x_text, y + k * self.line_h), line, fill=TEXT, font=self.font)
        self._captions[key] = panel
        return panel

    def bone_colors(self, i: int) -> list[Color]:
        """Colour of each joint's bone (index = child joint) at frame ``i``."""
        if self.part_rows:  # multi-track: the moving parts in their colours
            from compmo_gen.render.tracks import bone_colors

            active = [a[i] for a in self.active[: len(self.part_rows)]]
            return bone_colors(self.part_rows, active, JOINT_SIDES, shade)
        idx = self.active[0][i] if self.tracks and self.tracks[0].label == "GT" else None
        base = NEUTRAL if idx is None else self.tracks[0].colors[idx]
        return [shade(base, int(side)) for side in JOINT_SIDES]

    def frame(self, i: int) -> PILImage.Image:
        from PIL import ImageDraw

        st, s = self.style, self.style.scale
        view = self.view_bg.copy()
        draw = ImageDraw.Draw(view)
        if st.camera != "fixed":
            self._draw_grid(draw, i)
        floor = self.joints[: i + 1, 0, :] * np.array([1.0, 0.0, 1.0])
        if i > 0:
            draw.line(
                [tuple(q) for q in self.proj.to_pixels(floor, i)],
                fill=TRACE,
                width=max(1, round(2 * s)),
            )
        xy, depth = self.proj.xy[i], self.proj.depth[i]
        colors = self.bone_colors(i)
        width, r = max(2, round(4 * s)), max(1.5, 2.5 * s)
        for k in np.argsort((depth[_CHILD] + depth[_PARENT]) / 2, kind="stable"):
            c, p = _CHILD[k], _PARENT[k]
            draw.line([tuple(xy[p]), tuple(xy[c])], fill=colors[c], width=width)
            draw.ellipse([xy[c, 0] - r, xy[c, 1] - r, xy[c, 0] + r, xy[c, 1] + r], fill=colors[c])
        hr = 0.09 * self.proj.px_per_m
        hx, hy = xy[15]
        draw.ellipse([hx - hr, hy - hr, hx + hr, hy + hr], fill=colors[15])
        t = i / self.fps
        draw.text(
            (st.width - round(6 * s), round(4 * s)),
            f"{t:5.2f} s",
            fill=TEXT,
            font=self.font,
            anchor="ra",
        )
        img = self.static.copy()
        img.paste(view, (0, 0))
        if self.tracks:
            img.paste(self._caption_panel(tuple(a[i] for a in self.active)), (0, st.view_height))
            x = self.time_x(t)
            ImageDraw.Draw(img).line(
                [(x, self.tl_top - 2), (x, self.height - self.axis_h)],
                fill=CURSOR,
                width=max(2, round(2 * s)),
            )
        return img

    def frames(self, indices: Sequence[int] | None = None) -> Iterator[PILImage.Image]:
        for i in range(self.n_frames) if indices is None else indices:
            yield self.frame(int(i))


def check_motion(joints: np.ndarray, where: str) -> np.ndarray:
    """Validate a (T, 22, 3) finite motion; ValueError naming ``where`` otherwise."""
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3) or len(joints) == 0:
        raise ValueError(f"{where}: expected shape (T>0, {NUM_JOINTS}, 3), got {joints.shape}")
    if not np.isfinite(joints).all():
        raise ValueError(f"{where}: motion contains NaN or inf")
    return joints
