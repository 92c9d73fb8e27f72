"""Convert DEMO's released string files to ActivityNet JSON exactly as DEMO's ``eval/prepare.py``.

A re-statement of ``prepare.py`` (same regex, same time conversion, same "skip predictions with no
timestamp" rule) that reads durations from a ``{id: seconds}`` JSON file instead of the unreleased
motion files. Used only to feed DEMO's reference scripts in ``scripts/bench_eval.py``.

    python -m scripts.reference_eval.prepare_demo_release TEST.json RESULT.json DURATIONS.json OUTDIR
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

PATTERN = r"(\d{2}:\d{2}:\d{1,3})\s*-\s*([^,]+(?:,[^,\d{2}]+)*)"


def _seconds(time_str: str) -> float:
    mm, ss, hs = map(int, time_str.split(":"))
    return mm * 60 + ss + hs / 1000.0


def _parse(caps: str, dur: float) -> tuple[list[list[float]], list[str]]:
    times, sentences = [], []
    for t, s in re.findall(PATTERN, caps):
        t, s = t.strip(), s.strip()
        if s[-1] == ",":
            s = s[:-1]
        times.append(_seconds(t))
        sentences.append(s)
    stamps = [[times[i], times[i + 1]] for i in range(len(times) - 1)]
    if times:
        stamps.append([times[-1], dur])
    return stamps, sentences


def convert(test: Path, result: Path, durations: Path, out: Path) -> tuple[Path, Path]:
    durs = json.loads(durations.read_text())
    gt = {}
    for rec in json.loads(test.read_text()):
        stamps, sents = _parse(rec["gt"], durs[rec["id"]])
        gt[rec["id"]] = {"timestamps": stamps, "sentences": sents}
    res = {}
    for rec in json.loads(result.read_text()):
        stamps, sents = _parse(rec["generated"], durs[rec["id"]])
        if not stamps:
            continue
        res[rec["id"]] = [{"timestamp": t, "sentence": s} for t, s in zip(stamps, sents)]
    out.mkdir(parents=True, exist_ok=True)
    gt_path, pred_path = out / "gt.json", out / "pred.json"
    gt_path.write_text(json.dumps(gt, indent=4))
    pred_path.write_text(json.dumps({"results": res}, indent=4))
    return gt_path, pred_path


if __name__ == "__main__":
    a = [Path(x) for x in sys.argv[1:5]]
    print(*convert(*a))
