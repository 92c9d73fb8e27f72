"""Leaderboard tables from `compmo-eval` results: Markdown, LaTeX, CSV and HTML.

One row per result, DEMO's Table 2 columns (:data:`evaluation.resultfiles.COLUMNS`, x100), the
best value of each column marked (every row that ties at the printed precision). Optional
bootstrap 95 % intervals per cell. Results whose signatures differ in protocol or ground truth are
refused unless forced, and then the table carries the warning.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evaluation.bootstrap import Interval
from evaluation.resultfiles import COLUMNS, Result

FORMATS = ("md", "latex", "csv", "html")


@dataclass
class Table:
    """What every renderer needs: rows, values, intervals, best cells and warnings."""

    names: list[str]
    columns: list[tuple[str, str]]
    values: list[list[float | None]]
    intervals: list[list[Interval | None]] | None = None
    decimals: int = 2
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def cell(self, r: int, c: int) -> str:
        v = self.values[r][c]
        return "-" if v is None else f"{v:.{self.decimals}f}"

    def ci(self, r: int, c: int) -> str:
        iv = self.intervals[r][c] if self.intervals else None
        if iv is None or math.isnan(iv.low):
            return ""
        return f"{iv.low:.{self.decimals}f}, {iv.high:.{self.decimals}f}"

    def best(self, r: int, c: int) -> bool:
        col = [self.cell(k, c) for k in range(len(self.names)) if self.values[k][c] is not None]
        if self.values[r][c] is None or len(col) < 2:
            return False
        return float(self.cell(r, c)) == max(float(x) for x in col)


def build_table(
    results: Sequence[Result],
    *,
    decimals: int = 2,
    intervals: Mapping[str, Mapping[str, Interval]] | None = None,
    warnings: Sequence[str] = (),
    columns: Sequence[tuple[str, str]] = COLUMNS,
) -> Table:
    """Rows in the given order; ``intervals`` maps result name -> metric key -> Interval."""
    cols = list(columns)
    values = [[r.metrics.get(key) for _, key in cols] for r in results]
    ivs = None
    if intervals:
        ivs = [[(intervals.get(r.name) or {}).get(key) for _, key in cols] for r in results]
    notes = [
        f"{r.name}: {r.counts.get('missing', 0)} missing, {r.counts.get('empty', 0)} empty, "
        f"{r.counts.get('unparseable', 0)} unparseable of {r.counts.get('gt_videos', '?')} videos"
        for r in results
        if any(r.counts.get(k) for k in ("missing", "empty", "unparseable"))
    ]
    return Table([r.name for r in results], cols, values, ivs, decimals, list(warnings), notes)


def _text_cell(t: Table, r: int, c: int, bold: tuple[str, str], ci: tuple[str, str]) -> str:
    s = t.cell(r, c)
    if t.best(r, c):
        s = f"{bold[0]}{s}{bold[1]}"
    interval = t.ci(r, c)
    return f"{s}{ci[0]}{interval}{ci[1]}" if interval else s


def to_markdown(t: Table) -> str:
    lines = [f"> **Warning:** {w}" for w in t.warnings]
    if lines:
        lines.append("")
    header = ["Method", *(h for h, _ in t.columns)]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * len(t.columns)) + "|")
    for r, name in enumerate(t.names):
        cells = [_text_cell(t, r, c, ("**", "**"), (" (", ")")) for c in range(len(t.columns))]
        lines.append("| " + " | ".join([name.replace("|", "\\|"), *cells]) + " |")
    foot = ["", "Values x100; best per column in bold."]
    if t.intervals:
        foot[-1] += " Parentheses: bootstrap 95 % interval over videos."
    return "\n".join(lines + foot + [f"- {n}" for n in t.notes]) + "\n"


_LATEX_ESCAPES = {c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "\\": r"\textbackslash{}",
}


def _latex(s: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in s)


def to_latex(t: Table) -> str:
    lines = [f"% WARNING: {w}" for w in t.warnings]
    lines += [r"\begin{tabular}{l" + "r" * len(t.columns) + "}", r"\toprule"]
    lines.append(" & ".join(["Method", *(_latex(h) for h, _ in t.columns)]) + r" \\")
    lines.append(r"\midrule")
    for r, name in enumerate(t.names):
        cells = [
            _text_cell(t, r, c, (r"\textbf{", "}"), (r" {\scriptsize[", "]}"))
            for c in range(len(t.columns))
        ]
        lines.append(" & ".join([_latex(name), *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if t.warnings:
        lines.append(r"\par\noindent\textbf{Warning:} " + _latex("; ".join(t.warnings)))
    return "\n".join(lines) + "\n"


def to_csv(t: Table) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["method"]
    for h, _ in t.columns:
        header.append(h)
        if t.intervals:
            header += [f"{h} low", f"{h} high"]
    w.writerow(header + ["best"])
    for r, name in enumerate(t.names):
        row = [name]
        for c in range(len(t.columns)):
            row.append("" if t.values[r][c] is None else t.cell(r, c))
            if t.intervals:
                iv = t.intervals[r][c]
                ok = iv is not None and not math.isnan(iv.low)
                row += [f"{iv.low:.{t.decimals}f}", f"{iv.high:.{t.decimals}f}"] if ok else ["", ""]
        best = [h for c, (h, _) in enumerate(t.columns) if t.best(r, c)]
        w.writerow(row + [";".join(best)])
    for warning in t.warnings:
        w.writerow([f"# WARNING: {warning}"])
    return buf.getvalue()


def to_html(t: Table, *, fragment: bool = False) -> str:
    """An HTML table (``fragment``) or a small standalone page."""
    e = html.escape
    out = [f'<p class="warning"><strong>Warning:</strong> {e(w)}</p>' for w in t.warnings]
    out.append('<table class="leaderboard">')
    out.append("<thead><tr><th>Method</th>" + "".join(f"<th>{e(h)}</th>" for h, _ in t.columns))
    out.append("</tr></thead><tbody>")
    for r, name in enumerate(t.names):
        cells = []
        for c in range(len(t.columns)):
            s = e(t.cell(r, c))
            if t.best(r, c):
                s = f'<strong class="best">{s}</strong>'
            if t.ci(r, c):
                s += f' <span class="ci">[{e(t.ci(r, c))}]</span>'
            cells.append(f"<td>{s}</td>")
        out.append(f"<tr><th>{e(name)}</th>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    out += [f'<p class="note">{e(n)}</p>' for n in t.notes]
    body = "\n".join(out)
    if fragment:
        return body + "\n"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Leaderboard</title>'
        "<style>table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right}"
        "th:first-child{text-align:left}.best{color:#0a0}.warning{color:#b00}</style>"
        f"</head><body>\n{body}\n</body></html>\n"
    )


def render(t: Table, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    return {"md": to_markdown, "latex": to_latex, "csv": to_csv, "html": to_html}[fmt](t)
