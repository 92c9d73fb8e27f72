"""Every metric by number of actions (2..10) and by duration bins: tables and plots.

Each group's value is the mean of its videos' per-video values (the same per-video numbers whose
mean over all videos is the reported metric; videos that do not count for a metric are left out,
as in the summary), x100.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compmo_gen.core.segments import DenseAnnotation
from evaluation.resultfiles import COLUMNS, value_matrix

#: Default duration bin edges in seconds (CompMo's mean duration is 39.9 s); the last bin is open.
DURATION_EDGES: tuple[float, ...] = (0.0, 20.0, 30.0, 40.0, 50.0, 60.0)
BY = ("actions", "duration")


@dataclass(frozen=True)
class Breakdown:
    """Groups (in order), videos per group, and per-group metric values (x100, NaN if none)."""

    by: str
    labels: list[str]
    videos: list[int]
    columns: list[tuple[str, str]]
    values: np.ndarray  # (n_groups, n_columns)


def _duration(ann: DenseAnnotation) -> float:
    if ann.duration is not None:
        return ann.duration
    return max((s.end for s in ann.segments), default=0.0)


def duration_label(d: float, edges: Sequence[float]) -> tuple[int, str]:
    """(bin index, label) of duration ``d``; bins are ``[edge_k, edge_k+1)``, the last open."""
    k = max(0, int(np.searchsorted(edges, d, side="right")) - 1)
    if k + 1 < len(edges):
        return k, f"{edges[k]:g}-{edges[k + 1]:g} s"
    return k, f">= {edges[-1]:g} s"


def group_of(
    gt: Mapping[str, DenseAnnotation], by: str, edges: Sequence[float] = DURATION_EDGES
) -> dict[str, tuple[int, str]]:
    """Each GT video's (sort key, label) for ``by`` = ``actions`` or ``duration``."""
    if by == "actions":
        return {v: (len(a.segments), str(len(a.segments))) for v, a in gt.items()}
    if by == "duration":
        return {v: duration_label(_duration(a), edges) for v, a in gt.items()}
    raise ValueError(f"unknown breakdown {by!r} (one of {', '.join(BY)})")


def breakdown(
    records: Sequence[dict],
    gt: Mapping[str, DenseAnnotation],
    by: str,
    *,
    edges: Sequence[float] = DURATION_EDGES,
    columns: Sequence[tuple[str, str]] = COLUMNS,
) -> Breakdown:
    """Per-group means of the per-video ``records`` (ids must be GT ids) for every column."""
    groups = group_of(gt, by, edges)
    ids = [r["id"] for r in records if r["id"] in groups]
    _, values = value_matrix(records, [k for _, k in columns], ids)
    keys = sorted({groups[v] for v in ids})
    rows, counts = [], []
    for key in keys:
        mask = np.array([groups[v] == key for v in ids])
        sub = values[mask]
        counted = ~np.isnan(sub)
        n = counted.sum(axis=0)
        total = np.where(counted, sub, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows.append(np.where(n > 0, 100.0 * total / np.maximum(n, 1), np.nan))
        counts.append(int(mask.sum()))
    arr = np.array(rows).reshape(len(keys), len(columns))
    return Breakdown(by, [label for _, label in keys], counts, list(columns), arr)


def present_columns(b: Breakdown) -> list[int]:
    """Columns with at least one value (SODA(B) is absent unless it was computed)."""
    return [c for c in range(len(b.columns)) if not np.all(np.isnan(b.values[:, c]))]


def table_cells(b: Breakdown, decimals: int = 2) -> tuple[list[str], list[list[str]]]:
    """The breakdown as a header and rows of formatted cells (``-`` where a bin has no value)."""
    cols = present_columns(b)
    title = "actions" if b.by == "actions" else "duration"
    header = [title, "videos", *(b.columns[c][0] for c in cols)]
    rows = []
    for g, label in enumerate(b.labels):
        cells = [
            "-" if math.isnan(b.values[g, c]) else f"{b.values[g, c]:.{decimals}f}" for c in cols
        ]
        rows.append([label, str(b.videos[g]), *cells])
    return header, rows


def to_markdown(b: Breakdown, decimals: int = 2) -> str:
    """The breakdown as a markdown table."""
    header, rows = table_cells(b, decimals)
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_html(b: Breakdown, decimals: int = 2) -> str:
    """The breakdown as an HTML ``<table>`` (escaped)."""
    import html

    header, rows = table_cells(b, decimals)
    out = ['<table class="breakdown"><thead><tr>']
    out += [f"<th>{html.escape(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def plot_png(breakdowns: Mapping[str, Breakdown], *, title: str | None = None) -> bytes:
    """One panel per metric, one line per system, as PNG bytes (Agg backend)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(breakdowns.values()))
    cols = sorted({c for b in breakdowns.values() for c in present_columns(b)})
    ncols = 3
    nrows = max(1, math.ceil(len(cols) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 2.8 * nrows), squeeze=False)
    for ax, c in zip(axes.flat, cols):
        for name, b in breakdowns.items():
            x = np.arange(len(b.labels))
            ax.plot(x, b.values[:, c], marker="o", label=name)
            ax.set_xticks(x, b.labels, rotation=30 if b.by == "duration" else 0, fontsize=7)
        ax.set_title(first.columns[c][0], fontsize=9)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(cols) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    what = "number of actions" if first.by == "actions" else "duration"
    fig.suptitle(title or f"metrics (x100) by {what}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def plot(
    breakdowns: Mapping[str, Breakdown], path: str | Path, *, title: str | None = None
) -> Path:
    """:func:`plot_png` written to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(plot_png(breakdowns, title=title))
    return path
