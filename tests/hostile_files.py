"""Hostile files for the readers and writers: JSON limits, convert round trips, options,
result files (see :mod:`hostile`)."""

from __future__ import annotations

import json

try:  # imported as tests.hostile_* by pytest, as hostile_* by scripts/reliability.py
    from .hostile import (
        GT,
        Case,
        Check,
        converted,
        directory,
        fifo,
        several,
        write,
    )
except ImportError:
    from hostile import (  # type: ignore[no-redef]
        GT,
        Case,
        Check,
        converted,
        directory,
        fifo,
        several,
        write,
    )


def json_cases() -> list[Case]:
    """Hostile JSON and text: number limits, nesting, encodings, non-files; through ``convert``."""
    gt_text = json.dumps(GT)
    bad = {
        "int-400-digits": '{"v1": {"duration": '
        + "9" * 400
        + ', "timestamps": [], "sentences": []}}',
        "int-5000-digits": '{"v1": {"duration": ' + "1" * 5000 + "}}",
        "float-1e400": '{"v1": {"duration": 1e400, "timestamps": [[0, 1]], "sentences": ["a"]}}',
        "nested-100k": "[" * 100_000 + "]" * 100_000,
        "nested-100k-object": '{"a":' * 100_000 + "1" + "}" * 100_000,
        "truncated": gt_text[: len(gt_text) // 2],
        "empty-file": "",
        "nan-time": '{"v1": {"duration": 5, "timestamps": [[0, NaN]], "sentences": ["a"]}}',
        "infinity-duration": '{"v1": {"duration": Infinity, "timestamps": [[0, 1]], "sentences": ["a"]}}',
        "duplicate-key": '{"v1": {"duration": 5, "timestamps": [[0,1]], "sentences": ["a"]}, "v1": {}}',
        "list-of-numbers": "[1, 2, 3]",
        "string-top": '"hello"',
        "timestamps-not-list": '{"v1": {"duration": 5, "timestamps": 3, "sentences": ["a"]}}',
        "sentences-short": '{"v1": {"duration": 5, "timestamps": [[0,1],[1,2]], "sentences": ["a"]}}',
        "negative-duration": '{"v1": {"duration": -5, "timestamps": [[0,1]], "sentences": ["a"]}}',
    }
    cases = [
        Case("json", name, "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", text))
        for name, text in bad.items()
    ]  # fmt: skip
    cases += [
        Case("json", f"{name}-lenient", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--lenient"],
             write("in.json", bad[name]), expect="either")
        for name in ("int-400-digits", "float-1e400", "nested-100k", "timestamps-not-list")
    ]  # fmt: skip
    cases += [
        Case("json", "non-utf8", "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", b'{"v1": {"duration": 5, "timestamps": [[0,1]], "sentences": ["\xff"]}}')),
        Case("json", "directory-as-file", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt"], directory("in.json")),
        Case("json", "fifo-as-file", "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             fifo("in.json"), timeout=20),
        Case("json", "missing-file", "eval", ["convert", "nope.json", "out.json", "--to", "anet-gt"]),
        Case("json", "durations-directory-as-file", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--durations", "d.json"],
             several(write("in.json", GT), directory("d.json/x"))),
        Case("json", "utf8-bom", "eval", ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", "\ufeff" + gt_text), expect="ok",
             check=converted("out.json", lambda o: None if set(o) == {"v1", "v2"} else f"{o}")),
        Case("json", "4k-leading-spaces", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt"],
             write("in.json", " " * 4096 + "\n" + gt_text), expect="ok",
             check=converted("out.json", lambda o: None if set(o) == {"v1", "v2"} else f"{o}")),
        Case("json", "stmc-non-utf8", "eval", ["convert", "in.txt", "out.json", "--to", "anet-gt"],
             write("in.txt", b"## id=a duration=3\nwalks \xff # 0 # 1\n")),
    ]  # fmt: skip
    return cases


def _stmc_rejects(text: str) -> Check:
    return converted("out.txt", lambda o: f"wrote {o!r}")


def convert_cases() -> list[Case]:
    """Wrong numbers without an error: writers that would lose or change data must refuse."""
    cases = [
        Case("convert", "demo-without-durations", "eval",
             ["convert", "in.txt", "out.json", "--to", "demo"],
             write("in.txt", "## id=a\nwalks # 0.0 # 2.0\nsits # 2.0 # 5.0\n")),
    ]  # fmt: skip
    for name, vid in (("id-space", "a b"), ("id-tab", "a\tb"), ("id-duration", "x duration=9")):
        gt = {vid: {"duration": 3.0, "timestamps": [[0, 3]], "sentences": ["walks"]}}
        cases.append(
            Case("convert", name, "eval", ["convert", "in.json", "out.txt", "--to", "stmc"],
                 write("in.json", gt))
        )  # fmt: skip
    for ch in ("\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"):
        gt = {"a": {"duration": 3.0, "timestamps": [[0, 3]], "sentences": [f"walks{ch}fast"]}}
        cases.append(
            Case("convert", f"caption-U+{ord(ch):04X}", "eval",
                 ["convert", "in.json", "out.txt", "--to", "stmc"], write("in.json", gt))
        )  # fmt: skip
    durations = {"a": 100.0}
    for name, text, expect in (
        ("gt-time-60s", "00:00:00 - walks, 00:60:689 - sits", "error"),
        ("gt-time-99", "00:00:00 - walks, 99:99:99 - sits", "error"),
        ("gt-time-ok", "00:00:00 - walks, 00:59:999 - sits", "ok"),
    ):
        cases.append(
            Case("convert", name, "eval",
                 ["convert", "in.json", "out.json", "--to", "anet-gt", "--durations", "d.json"],
                 several(write("in.json", [{"id": "a", "motion": "a.npy", "gt": text}]),
                         write("d.json", durations)), expect=expect)
        )  # fmt: skip
    cases.append(
        Case("convert", "demo-gt-missing-field", "eval",
             ["convert", "in.json", "out.json", "--to", "anet-gt", "--durations", "d.json"],
             several(write("in.json", [{"id": "a", "motion": "a.npy"}]), write("d.json", durations)))
    )  # fmt: skip
    return cases


def option_cases() -> list[Case]:
    """Bad option values."""
    conv = ["convert", "in.json", "out.json", "--to", "anet-gt"]
    gt = write("in.json", GT)
    cases = [
        Case("options", "fps-0", "eval", [*conv, "--durations", "m", "--fps", "0"], gt),
        Case("options", "fps-nan", "eval", [*conv, "--fps", "nan"], gt),
        Case("options", "fps-negative", "eval", [*conv, "--fps", "-20"], gt),
        Case("options", "score-seed-negative", "eval", ["p.json", "--gt", "g.json", "--seed", "-1"]),
        Case("options", "compare-alpha-nan", "eval", ["compare", "a.json", "b.json", "--alpha", "nan"]),
        Case("options", "leaderboard-seed-huge", "eval",
             ["leaderboard", "a.json", "--seed", "1" + "0" * 30]),
    ]  # fmt: skip
    build = ["build", "--out", "o", "--num", "4", "-q"]
    for s in ("ratios=nan,0.1,0.1", "composition.alpha=nan", "composition.half_life=inf",
              "seed=-1", "num=1e999", "composition.window=inf"):  # fmt: skip
        cases.append(Case("options", f"build-set-{s.split('=')[0]}-{s.split('=')[1][:4]}", "gen",
                          [*build, "--set", s]))  # fmt: skip
    cases.append(
        Case("options", "build-preset-non-utf8", "gen", [*build, "--preset", "p.yaml"],
             write("p.yaml", b"\xff\xfenum: 3\n"))
    )  # fmt: skip
    cases.append(Case("options", "build-seed-negative", "gen", [*build, "--seed", "-1"]))
    return cases


def _result(metrics: object = None, **extra: object) -> dict:
    doc = {"metrics": {"SODA_c": 10.0, "METEOR": 5.0} if metrics is None else metrics}
    doc.update(extra)
    return doc


def result_cases() -> list[Case]:
    """Malformed result files in leaderboard / compare / report."""
    bad = {
        "not-json": "{",
        "no-metrics": json.dumps({"counts": {}}),
        "metric-string": json.dumps(_result({"SODA_c": "high"})),
        "metric-nan": '{"metrics": {"SODA_c": NaN}}',
        "metric-huge-int": '{"metrics": {"SODA_c": ' + "9" * 5000 + "}}",
        "nested": '{"metrics": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "counts-string": json.dumps(_result(counts="many")),
        "signature-list": json.dumps(_result(signature=[1])),
        "per-video-escape": json.dumps(_result(per_video="../../../../etc/hostname")),
        "per-video-absolute": json.dumps(_result(per_video="/etc/hostname")),
    }
    commands = (
        ["leaderboard", "r.json", "--ci"],
        ["compare", "r.json", "ok.json"],
        ["report", "r.json", "--out", "rep.html"],
    )
    cases = []
    for k, (name, text) in enumerate(bad.items()):  # every command on the path cases, else one
        for cmd in commands if name.startswith("per-video") else [commands[k % 3]]:
            cases.append(
                Case("results", f"{cmd[0]}-{name}", "eval", cmd,
                     several(write("r.json", text), write("ok.json", _result())))
            )  # fmt: skip
    cases.append(
        Case("results", "per-video-bad-line", "eval", ["leaderboard", "r.json", "--ci"],
             several(write("r.json", _result(per_video="r.jsonl")), write("r.jsonl", "{\n")))
    )  # fmt: skip
    return cases
