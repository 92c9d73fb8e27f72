"""Leaderboard tables from synthetic result files (the compmo-eval --out / --per-video schema)."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from evaluation.bootstrap import confidence_intervals
from evaluation.cli import main
from evaluation.resultfiles import COLUMNS, load_result, read_per_video, value_matrix

SIG = {"compmo": "0.1.0", "protocol": "strict", "tious": [0.3, 0.5, 0.7, 0.9],
       "garbage": "random", "videos": 20}  # fmt: skip
TIOUS = ("0.3", "0.5", "0.7", "0.9")


def write_result(folder: Path, name: str, level: float, seed: int = 0, n: int = 20, **sig) -> Path:
    """A results file and its per-video file whose means reproduce the summary exactly."""
    rng = np.random.default_rng(seed)
    recs = []
    for v in range(n):
        x = lambda: float(np.clip(level + rng.normal(0, 0.05), 0, 1))  # noqa: E731
        recs.append({
            "id": f"v{v}", "status": "ok", "evaluated": True,
            "per_tiou": {t: {"Bleu_1": x(), "Bleu_2": x(), "Bleu_3": x(), "Bleu_4": x(),
                             "METEOR": x(), "ROUGE_L": x(), "CIDEr": 2 * x(), "Precision": x(),
                             "Recall": x()} for t in TIOUS},
            "SODA_c": {"P": x(), "R": x(), "F": x()}, "mean_tiou": x(), "overlap_f1": x(),
        })  # fmt: skip
    (folder / f"{name}.per_video.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    doc = {"signature": {**SIG, "videos": n, **sig}, "counts": {"gt_videos": n, "missing": 0}}
    res = load_result_stub(folder / f"{name}.per_video.jsonl")
    doc["metrics"] = res
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def load_result_stub(pv: Path) -> dict:
    keys = [k for _, k in COLUMNS if k != "SODA_B"]
    _, vals = value_matrix(read_per_video(pv), keys)
    return {k: float(100 * np.nanmean(vals[:, c])) for c, k in enumerate(keys)}


class Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.best = 0
        self.rows = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        if tag == "strong" and ("class", "best") in attrs:
            self.best += 1
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._in = tag

    def handle_data(self, data):
        if self._in and self.rows:
            self.rows[-1].append(data)
            self._in = None


@pytest.fixture
def two(tmp_path):
    return write_result(tmp_path, "good", 0.6, seed=1), write_result(tmp_path, "weak", 0.3, seed=2)


def test_markdown_columns_and_best(two, capsys):
    assert main(["leaderboard", *map(str, two)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == ("| Method | SODA | SODA(B) | CIDEr | METEOR | ROUGE_L | BLEU@1 | BLEU@4 | "
                        "tIoU % | F1 % |")  # fmt: skip
    good = next(line for line in lines if line.startswith("| good"))
    weak = next(line for line in lines if line.startswith("| weak"))
    assert good.count("**") == 2 * 8 and "**" not in weak  # every present column; SODA(B) '-'
    soda = load_result(two[0]).metrics["SODA_c"]
    assert f"**{soda:.2f}**" in good
    assert "| - |" in good


def test_ties_are_all_marked(tmp_path, capsys):
    a = write_result(tmp_path, "a", 0.5, seed=3)
    b = tmp_path / "b.json"
    b.write_text(a.read_text())
    assert main(["leaderboard", str(a), str(b), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][0] == "method" and rows[0][-1] == "best"
    assert rows[1][-1] == rows[2][-1] != ""  # both rows best in every column


def test_latex_html_csv(two, tmp_path, capsys):
    assert main(["leaderboard", *map(str, two), "--format", "latex", "--names", "m_1,m&2"]) == 0
    tex = capsys.readouterr().out
    assert r"\begin{tabular}{lrrrrrrrrr}" in tex and r"\textbf{" in tex
    assert r"m\_1" in tex and r"m\&2" in tex and tex.count(r"\\") == 3
    out = tmp_path / "t.html"
    assert main(["leaderboard", *map(str, two), "--format", "html", "--out", str(out)]) == 0
    parser = Cells()
    parser.feed(out.read_text())
    assert parser.best == 8
    assert [r[0] for r in parser.rows] == ["Method", "good", "weak"]
    capsys.readouterr()
    assert main(["leaderboard", *map(str, reversed(two)), "--format", "csv", "--sort", "SODA"]) == 0
    assert [r[0] for r in csv.reader(io.StringIO(capsys.readouterr().out))][1:3] == ["good", "weak"]
    assert main(["leaderboard", *map(str, two), "--sort", "colour"]) == 2
    assert "no such column" in capsys.readouterr().err


def test_refuses_mixed_protocols_and_gt(tmp_path, capsys):
    a = write_result(tmp_path, "a", 0.5)
    b = write_result(tmp_path, "b", 0.4, protocol="demo")
    c = write_result(tmp_path, "c", 0.4, n=21)
    assert main(["leaderboard", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "protocol" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert main(["leaderboard", str(a), str(c)]) == 2
    assert "ground truth differs in signature.videos" in capsys.readouterr().err
    d = write_result(tmp_path, "d", 0.4, gt="other_name.json", gt_sha256="ab")
    e = write_result(tmp_path, "e", 0.4, gt="gt.json", gt_sha256="cd")
    f = write_result(tmp_path, "f", 0.4, gt="gt.json", gt_sha256="ab")
    assert main(["leaderboard", str(d), str(f)]) == 0  # same GT under another file name
    assert main(["leaderboard", str(d), str(e)]) == 2
    assert "ground truth differs in signature.gt_sha256" in capsys.readouterr().err
    assert main(["leaderboard", str(a), str(b), "--force"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("> **Warning:** not comparable: protocol differs in signature.protocol")


def test_bad_result_files_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    for text, needle in [
        ("{", "not valid JSON"),
        ('{"x": 1}', "field 'metrics'"),
        ('{"metrics": {"SODA_c": NaN}}', "field 'metrics.SODA_c'"),
        ('{"metrics": {"x": 1}}', "field 'metrics': none of SODA_c, SODA_B"),
    ]:
        bad.write_text(text)
        assert main(["leaderboard", str(bad)]) == 2
        err = capsys.readouterr().err
        assert str(bad) in err and needle in err and len(err.strip().splitlines()) == 1
    assert main(["leaderboard", str(tmp_path / "nope.json")]) == 2
    assert "file not found" in capsys.readouterr().err
    good = write_result(tmp_path, "ok", 0.5)
    pv = tmp_path / "ok.per_video.jsonl"
    lines = pv.read_text().splitlines()
    for broken, field in [
        (lines[0].replace('"F": ', '"F": "x", "G": '), "'SODA_c.F'"),
        (lines[0].replace('"METEOR": ', '"METEOR": null, "M": '), "'per_tiou.0.3.METEOR'"),
        ("[1, 2]", "field 'id'"),
        ("{", "not valid JSON"),
    ]:
        pv.write_text("\n".join([broken, *lines[1:]]) + "\n")
        assert main(["leaderboard", str(good), "--ci"]) == 2
        err = capsys.readouterr().err
        assert "ok.per_video.jsonl: line 1" in err and field in err, err
        assert len(err.strip().splitlines()) == 1


def test_ci_cells_are_the_bootstrap(two, capsys):
    assert main(["leaderboard", str(two[0]), "--ci", "--n-boot", "200", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    keys = [k for _, k in COLUMNS]
    _, vals = value_matrix(read_per_video(two[0].with_suffix(".per_video.jsonl")), keys)
    ci = confidence_intervals(vals, keys, n_boot=200, seed=5, scale=100)
    assert f"({ci['SODA_c'].low:.2f}, {ci['SODA_c'].high:.2f})" in out
    assert "bootstrap 95 % interval" in out
    two[1].with_suffix(".per_video.jsonl").unlink()
    assert main(["leaderboard", str(two[1]), "--ci"]) == 2
    assert "no per-video file" in capsys.readouterr().err


def test_pipeline_on_real_scores(tmp_path, capsys):
    """compmo-eval score -> leaderboard --ci / compare / report, on a tiny real-scored set."""
    import shutil

    from compmo_gen.core.formats import dump_annotations
    from compmo_gen.core.segments import DenseAnnotation, Segment

    caps = ["a person walks forward", "jumps up and down", "waves the right hand", "sits down"]
    gt, pred = [], []
    for i in range(6):
        k = 2 + i % 3
        segs = tuple(Segment(4.0 * j, 4.0 * (j + 1), caps[(i + j) % 4]) for j in range(k))
        gt.append(DenseAnnotation(f"m{i}", 4.0 * k, segs))
        pred.append(DenseAnnotation(f"m{i}", 4.0 * k, tuple(
            Segment(s.start + 0.5 * (j % 2), s.end, caps[(i + 2 * j) % 4])
            for j, s in enumerate(segs))))  # fmt: skip
    pred[5] = DenseAnnotation("m5", pred[5].duration, ())  # an empty prediction scores 0
    dump_annotations(gt, tmp_path / "gt.json", fmt="anet-gt")
    dump_annotations(pred, tmp_path / "pred.json", fmt="anet-pred", role="pred")
    argv = [str(tmp_path / "pred.json"), "--gt", str(tmp_path / "gt.json"), "-q", "--jobs", "1",
            "--out", str(tmp_path / "sys.json"), "--per-video", str(tmp_path / "sys.per_video.jsonl")]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    res = load_result(tmp_path / "sys.json")
    keys = [k for _, k in COLUMNS if k in res.metrics]
    _, vals = value_matrix(read_per_video(tmp_path / "sys.per_video.jsonl"), keys)
    for c, k in enumerate(keys):  # the per-video means reproduce every summary column
        assert 100 * np.nanmean(vals[:, c]) == pytest.approx(res.metrics[k], abs=1e-9), k
    assert 0 < res.metrics["SODA_c"] < 100 and vals[5, 0] == 0.0
    shutil.copy(tmp_path / "sys.json", tmp_path / "copy.json")
    shutil.copy(tmp_path / "sys.per_video.jsonl", tmp_path / "copy.per_video.jsonl")
    files = [str(tmp_path / "sys.json"), str(tmp_path / "copy.json")]
    assert main(["leaderboard", *files, "--ci", "--n-boot", "100"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| sys"))
    assert f"**{res.metrics['SODA_c']:.2f}** (" in row and f"**{res.metrics['F1']:.2f}** (" in row
    assert main(["compare", *files, "--n-boot", "100"]) == 0
    out = capsys.readouterr().out
    assert "over 6 videos" in out and "+0.000" in out
    report = tmp_path / "report.html"
    argv = ["report", files[0], "--gt", str(tmp_path / "gt.json"), "--out", str(report),
            "--predictions", str(tmp_path / "pred.json")]  # fmt: skip
    assert main(argv) == 0
    assert report.read_text().count("<svg") == 6


def test_published_h3d_babel_rows_beside_own_results(tmp_path, capsys):
    own = write_result(tmp_path, "mine", 0.3)
    assert main(["leaderboard", str(own), "--published", "h3d-babel", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"mine", "UniMotion (published)", "DEMO (published)"}
    header = rows[0]
    demo = by_name["DEMO (published)"]
    assert demo[header.index("SODA")] == "7.92" and demo[header.index("F1 %")] == "16.40"
    assert by_name["UniMotion (published)"][header.index("F1 %")] == "22.23"
    assert main(["leaderboard", "--published", "h3d-babel"]) == 0
    md = capsys.readouterr().out
    assert "not recomputed" in md and "7,056 train / 1,325 test" in md
    assert main(["leaderboard"]) == 2


@pytest.mark.parametrize(
    ("lines", "match"),
    [
        (['{"id": "v1", "per_tiou": {"0.3": {"CIDEr": Infinity}}}'], "per_tiou.0.3.CIDEr"),
        (['{"id": "v1", "mean_tiou": NaN}'], "mean_tiou"),
        (['{"id": "v1", "mean_tiou": 0.5}', '{"id": "v1", "mean_tiou": 0.4}'], "repeated"),
        ([], "no per-video records"),
    ],
)
def test_per_video_files_hold_each_video_once_with_finite_scores(tmp_path, lines, match) -> None:
    """Non-finite scores (an edited file) or a repeated or empty file would have been bootstrapped
    into infinite, NaN or silently narrower intervals."""
    from compmo_gen.core.errors import AnnotationError

    pv = tmp_path / "r.per_video.jsonl"
    pv.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(AnnotationError, match=match):
        read_per_video(pv)
