"""Per-sequence error analysis of predicted boundaries: does the model read times from the motion?

For every ground-truth sequence (a missing prediction counts as no segment):

- **first boundary**: the start of the second segment, predicted and ground truth; the histogram and
  the share of the most common predicted value (a model that writes a prior puts many sequences on
  one value; ``top_first_share`` is that share, ``gt_top_first_share`` the ground truth's own);
- **boundary error**: for each ground-truth boundary (every segment start after the first), the
  distance to the nearest predicted boundary; median, mean, 90th percentile (sequences with no
  predicted boundary are counted in ``no_predicted_boundary`` and left out);
- **segment count**: the share of sequences with exactly the ground truth's number of segments, and
  the distribution of predicted minus true counts;
- with the right count, the median absolute error of the i-th start against the i-th true start.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from compmo_gen.core.segments import DenseAnnotation

#: Values are grouped to this many seconds in the first-boundary histogram.
FIRST_BIN_S = 0.01


def _starts(ann: DenseAnnotation | None) -> list[float]:
    if ann is None:
        return []
    return sorted(float(s.start) for s in ann.segments)


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "median": None, "mean": None, "p90": None}
    arr = np.asarray(values, dtype=np.float64)
    return {
        "n": len(values),
        "median": round(float(np.median(arr)), 4),
        "mean": round(float(arr.mean()), 4),
        "p90": round(float(np.percentile(arr, 90)), 4),
    }


def _binned(value: float) -> float:
    return round(round(value / FIRST_BIN_S) * FIRST_BIN_S, 4)


def analyse(
    pred: Mapping[str, DenseAnnotation],
    gt: Mapping[str, DenseAnnotation],
    *,
    top: int = 10,
    grid: float | None = None,
) -> dict[str, Any]:
    """The analysis of ``pred`` against ``gt`` (both keyed by id); see the module docstring.

    ``grid`` (seconds): also the share of the most common true first boundary once the true
    boundaries are rounded to that grid (``gt_top_first_share_grid``), the fair reference for a
    model whose times are on a grid (a 0.4 s grid gathers the spread true values into few bins)."""
    first_pred: Counter[float] = Counter()
    first_gt: Counter[float] = Counter()
    first_gt_grid: Counter[float] = Counter()
    errors: list[float] = []
    aligned: list[float] = []
    count_diff: Counter[int] = Counter()
    no_boundary = missing = right = 0
    for vid, g in gt.items():
        p = pred.get(vid)
        missing += p is None
        gs, ps = _starts(g), _starts(p)
        right += len(gs) == len(ps)
        count_diff[len(ps) - len(gs)] += 1
        if len(gs) > 1:
            first_gt[_binned(gs[1])] += 1
            if grid:
                first_gt_grid[_binned(math.floor(gs[1] / grid + 0.5) * grid)] += 1
        if len(ps) > 1:
            first_pred[_binned(ps[1])] += 1
        if len(gs) == len(ps):
            aligned += [abs(a - b) for a, b in zip(gs[1:], ps[1:])]
        if len(gs) > 1:
            if len(ps) < 2:
                no_boundary += 1
                continue
            pb = np.asarray(ps[1:])
            errors += [float(np.abs(pb - t).min()) for t in gs[1:]]
    n = len(gt)

    def top_share(c: Counter[float]) -> float:
        return round(max(c.values()) / n, 4) if c and n else 0.0

    return {
        "sequences": n,
        "missing_predictions": missing,
        "count_right": right,
        "count_accuracy": round(right / n, 4) if n else None,
        "count_difference": {str(k): v for k, v in sorted(count_diff.items())},
        "boundary_error_s": _stats(errors),
        "no_predicted_boundary": no_boundary,
        "aligned_start_error_s": _stats(aligned),
        "top_first_share": top_share(first_pred),
        "gt_top_first_share": top_share(first_gt),
        **({"grid_s": grid, "gt_top_first_share_grid": top_share(first_gt_grid)} if grid else {}),
        "first_boundary_pred_top": [[v, c] for v, c in first_pred.most_common(top)],
        "first_boundary_gt_top": [[v, c] for v, c in first_gt.most_common(top)],
        "first_boundary_pred": {str(k): v for k, v in sorted(first_pred.items())},
        "first_boundary_gt": {str(k): v for k, v in sorted(first_gt.items())},
    }


def _fmt(x: float | None, unit: str = "") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}{unit}"


def markdown(result: dict[str, Any], name: str = "predictions") -> str:
    """A short markdown summary of :func:`analyse`'s result."""
    b, a = result["boundary_error_s"], result["aligned_start_error_s"]
    n = result["sequences"]
    lines = [
        f"### Error analysis: {name} ({n} sequences)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| segment count right | {result['count_right']} / {n} ({100 * (result['count_accuracy'] or 0):.1f} %) |",
        f"| boundary error, median / mean / p90 | {_fmt(b['median'], ' s')} / {_fmt(b['mean'], ' s')} / {_fmt(b['p90'], ' s')} (n {b['n']}) |",
        f"| start error with the right count, median / mean / p90 | {_fmt(a['median'], ' s')} / {_fmt(a['mean'], ' s')} / {_fmt(a['p90'], ' s')} |",
        f"| most common first boundary, share (GT's own) | {100 * result['top_first_share']:.1f} % ({100 * result['gt_top_first_share']:.1f} %) |",
        *(
            [
                f"| GT's most common first boundary on the {result['grid_s']} s grid, share | {100 * result['gt_top_first_share_grid']:.1f} % |"
            ]
            if "grid_s" in result
            else []
        ),
        f"| sequences with no predicted boundary | {result['no_predicted_boundary']} |",
        f"| missing predictions | {result['missing_predictions']} |",
        "",
        "predicted - true segment count: "
        + ", ".join(f"{k}: {v}" for k, v in result["count_difference"].items()),
        "",
        "most common first boundaries (s: sequences), predicted: "
        + ", ".join(f"{v}: {c}" for v, c in result["first_boundary_pred_top"][:5])
        + "; ground truth: "
        + ", ".join(f"{v}: {c}" for v, c in result["first_boundary_gt_top"][:5]),
    ]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: str, title: str = "") -> None:
    """First-boundary histograms (predicted vs ground truth) as a PNG (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    for key, label in (("first_boundary_gt", "ground truth"), ("first_boundary_pred", "predicted")):
        vals = [float(k) for k, c in result[key].items() for _ in range(c)]
        if vals:
            ax.hist(vals, bins=np.arange(0, max(vals) + 0.2, 0.1), alpha=0.6, label=label)
    ax.set_xlabel("first boundary (s)")
    ax.set_ylabel("sequences")
    ax.set_title(title or "first predicted vs true boundary")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
