"""A static HTML gallery: one card per sequence with its animated GIF and dense captions.

Pure functions: which ids to show, a file name per id, and the page text (deterministic, no
timestamps, every caption HTML-escaped). The CLI shell renders the GIFs and writes the files.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compmo_gen.core.segments import DenseAnnotation, Segment


@dataclass(frozen=True)
class Card:
    """One gallery entry: the GIF path relative to the page and the annotations shown."""

    gif: str
    gt: DenseAnnotation
    pred: DenseAnnotation | None = None
    frames: int = 0


def select_ids(ids: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` ids drawn without replacement by a seeded generator, kept in dataset order."""
    if n >= len(ids):
        return list(ids)
    pick = np.random.default_rng(seed).choice(len(ids), size=n, replace=False)
    return [ids[i] for i in sorted(pick)]


def gif_name(index: int, vid: str) -> str:
    """A safe, unique file name for the GIF of ``vid`` (ids may hold any characters)."""
    return f"{index:04d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', vid)[:80]}.gif"


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _segment_list(segments: Sequence[Segment], colors: Sequence[tuple[int, int, int]]) -> str:
    if not segments:
        return '<p class="none">(no segments)</p>'
    items = [
        f'<li><span class="sw" style="background:{_hex(c)}"></span>'
        f'<span class="t">{s.start:.1f}&ndash;{s.end:.1f} s</span> {html.escape(s.caption)}</li>'
        for s, c in zip(segments, colors)
    ]
    return "<ol>" + "".join(items) + "</ol>"


def card_html(card: Card) -> str:
    from compmo_gen.render.frames import match_colors, segment_colors

    gt = card.gt
    dur = f"{gt.duration:.1f} s" if gt.duration else f"{card.frames} frames"
    parts = [
        '<figure class="card">',
        f'<img src="{html.escape(card.gif)}" alt="motion {html.escape(gt.id)}" loading="lazy">',
        f"<figcaption><h2>{html.escape(gt.id)} <small>{dur}, {len(gt.segments)} segments</small></h2>",
        _segment_list(gt.segments, segment_colors(gt.segments)),
    ]
    if card.pred is not None:
        parts += [
            "<h3>Predicted</h3>",
            _segment_list(card.pred.segments, match_colors(card.pred.segments, gt.segments)),
        ]
    parts.append("</figcaption></figure>")
    return "\n".join(parts)


STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;background:#fafaf8;color:#191919}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1.2em}
.card{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em}
.card img{width:100%;height:auto;display:block}
h2{font-size:1em;margin:.4em 0}h2 small{font-weight:normal;color:#666}h3{font-size:.9em;margin:.4em 0}
ol{padding-left:0;list-style:none;margin:0;font-size:.88em}li{margin:.15em 0}
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.4em;vertical-align:-.05em}
.t{color:#555;font-variant-numeric:tabular-nums;margin-right:.3em}.none{color:#888}"""


def gallery_html(title: str, cards: Sequence[Card], note: str = "") -> str:
    """The whole page. Bone colours in the GIFs match the swatches of the segment lists."""
    head = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(note)}</p>\n<main>\n"
    )
    return head + "\n".join(card_html(c) for c in cards) + "\n</main>\n</body></html>\n"
