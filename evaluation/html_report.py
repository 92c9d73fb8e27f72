"""A self-contained HTML report: summary table, breakdown plots, GT-vs-prediction timelines.

Plots are PNGs embedded as ``data:`` URIs (one file to send around), or written beside the page
and referenced relatively. Timelines are inline SVG: one row per source (GT, then each system),
one coloured box per segment with its caption; the same caption has the same colour everywhere.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compmo_gen.core.segments import DenseAnnotation

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:2px 8px;text-align:right;
border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}
.best{color:#070}.ci{color:#777;font-size:80%}.warning{color:#b00}
img{max-width:100%}
.sig{font-size:80%;color:#555}
"""


@dataclass(frozen=True)
class Figure:
    """A PNG to show: its bytes and the file name used when images are not embedded."""

    name: str
    png: bytes
    caption: str


def colour(caption: str) -> str:
    """A stable pastel colour per caption, as ``#rrggbb``."""
    import colorsys

    h = int.from_bytes(hashlib.sha256(caption.encode()).digest()[:2], "big") / 65536.0
    r, g, b = colorsys.hls_to_rgb(h, 0.78, 0.65)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def sample_ids(ids: Sequence[str], k: int, seed: int) -> list[str]:
    """``k`` ids chosen by a seeded hash of each id (independent of the others), in id order."""
    ranked = sorted(ids, key=lambda v: hashlib.sha256(f"{seed}\0{v}".encode()).hexdigest())
    chosen = set(ranked[:k])
    return [v for v in ids if v in chosen]


def timeline_svg(
    rows: Sequence[tuple[str, DenseAnnotation | None]],
    duration: float,
    *,
    uid: str = "t",
    width: int = 1100,
) -> str:
    """One SVG: a labelled row of coloured, captioned segments per (name, annotation).

    ``uid`` makes the clip-path ids unique when several timelines share a page.
    """
    e = html.escape
    label_w, row_h, gap = 90, 26, 4
    scale = (width - label_w - 10) / max(duration, 1e-9)
    height = len(rows) * (row_h + gap) + 18
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'role="img" aria-label="timeline" font-family="sans-serif" font-size="11">']  # fmt: skip
    for r, (name, ann) in enumerate(rows):
        y = r * (row_h + gap)
        out.append(f'<text x="0" y="{y + row_h / 2 + 4}" font-weight="bold">{e(name)}</text>')
        if ann is None or not ann.segments:
            out.append(
                f'<text x="{label_w}" y="{y + row_h / 2 + 4}" fill="#b00">(no prediction)</text>'
            )
            continue
        for k, s in enumerate(ann.segments):
            x0 = label_w + max(0.0, min(s.start, s.end)) * scale
            w = max(1.0, abs(s.end - s.start) * scale)
            clip = f"clip-{uid}-{r}-{k}"
            out.append(
                f"<g><title>{e(f'{s.start:.2f}-{s.end:.2f} s: {s.caption}')}</title>"
                f'<clipPath id="{clip}"><rect x="{x0:.1f}" y="{y}" width="{w:.1f}" '
                f'height="{row_h}"/></clipPath>'
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" '
                f'fill="{colour(s.caption)}" stroke="#555" stroke-width="0.5"/>'
                f'<text x="{x0 + 3:.1f}" y="{y + row_h / 2 + 4}" clip-path="url(#{clip})">'
                f"{e(s.caption)}</text></g>"
            )
    axis_y = len(rows) * (row_h + gap) + 10
    for t in range(0, int(duration) + 1, max(1, int(duration // 10) or 1)):
        x = label_w + t * scale
        out.append(f'<text x="{x:.1f}" y="{axis_y}" fill="#777">{t}s</text>')
    out.append("</svg>")
    return "".join(out)


def _img(fig: Figure, assets: Path | None, page_dir: Path) -> str:
    if assets is None:
        src = "data:image/png;base64," + base64.b64encode(fig.png).decode()
    else:
        assets.mkdir(parents=True, exist_ok=True)
        (assets / fig.name).write_bytes(fig.png)
        src = (assets / fig.name).relative_to(page_dir).as_posix()
    alt = html.escape(fig.caption)
    return (
        f'<figure><img src="{html.escape(src)}" alt="{alt}"><figcaption>{alt}</figcaption></figure>'
    )


def render_report(
    *,
    title: str,
    summary_html: str,
    tables_html: Mapping[str, str],
    figures: Sequence[Figure],
    timelines: Sequence[tuple[str, str]],
    signatures: Mapping[str, Mapping],
    page: Path,
    assets: Path | None = None,
) -> str:
    """The page as text; PNGs are written under ``assets`` when given (else embedded)."""
    e = html.escape
    parts = [
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        "<h2>Summary</h2>",
        summary_html,
    ]
    for name, table in tables_html.items():  # already escaped HTML tables
        parts.append(f"<h3>{e(name)}</h3>{table}")
    if figures:
        parts.append("<h2>Breakdowns</h2>")
        parts += [_img(f, assets, page.parent) for f in figures]
    if timelines:
        parts.append("<h2>Sample timelines</h2>")
        for vid, svg in timelines:
            parts.append(f"<h3>{e(vid)}</h3>{svg}")
    parts.append("<h2>Signatures</h2>")
    for name, sig in signatures.items():
        parts.append(f'<h3>{e(name)}</h3><pre class="sig">{e(json.dumps(sig, indent=1))}</pre>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
