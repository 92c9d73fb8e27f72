"""The dense-annotation model: round trips of every format, strict GT, counted predictions."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import (
    dump_annotations,
    format_demo_string,
    format_demo_time,
    load_annotations,
    parse_demo_string,
    parse_demo_time,
    read_durations,
)
from compmo_gen.core.segments import DenseAnnotation, Segment

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
# Captions with the awkward characters: commas, " - ", digits, a trailing comma.
CAPTION = st.lists(
    st.one_of(WORDS, st.sampled_from([",", "-", "2", "3,", "a,b", "x's"])), min_size=1, max_size=8
).map(" ".join)
MS = st.integers(min_value=0, max_value=20 * 60 * 1000)


@st.composite
def contiguous_annotation(draw: st.DrawFn, vid: str = "v") -> DenseAnnotation:
    """Contiguous segments on millisecond times (what DEMO strings can hold exactly)."""
    cuts = sorted(set(draw(st.lists(MS, min_size=2, max_size=11))))
    if len(cuts) < 2:
        cuts = [cuts[0], cuts[0] + 1000]
    parts = st.lists(st.sampled_from(["legs", "left arm", "spine", "head"]), max_size=2).map(tuple)
    segs = tuple(
        Segment(a / 1000, b / 1000, draw(CAPTION), draw(parts)) for a, b in zip(cuts[:-1], cuts[1:])
    )
    return DenseAnnotation(vid, cuts[-1] / 1000, segs)


ANNS = st.lists(contiguous_annotation(), min_size=1, max_size=4).map(
    lambda xs: [DenseAnnotation(str(i), a.duration, a.segments) for i, a in enumerate(xs)]
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _durations(anns: list[DenseAnnotation]) -> dict[str, float]:
    return {a.id: a.duration for a in anns}


def _strip_parts(anns: list[DenseAnnotation]) -> list[DenseAnnotation]:
    return [
        DenseAnnotation(
            a.id, a.duration, tuple(Segment(s.start, s.end, s.caption) for s in a.segments)
        )
        for a in anns
    ]


@SETTINGS
@given(anns=ANNS)
def test_anet_gt_round_trip(tmp_path: Path, anns: list[DenseAnnotation]) -> None:
    dump_annotations(anns, tmp_path / "gt.json", fmt="anet-gt")
    back = load_annotations(tmp_path / "gt.json", role="gt")
    assert back.fmt == "anet-gt"
    assert list(back.annotations.values()) == _strip_parts(anns)


@SETTINGS
@given(anns=ANNS)
def test_anet_submission_round_trip(tmp_path: Path, anns: list[DenseAnnotation]) -> None:
    dump_annotations(anns, tmp_path / "pred.json", fmt="anet-pred")
    back = load_annotations(tmp_path / "pred.json", role="pred", durations=_durations(anns))
    assert back.fmt == "anet-pred"
    assert list(back.annotations.values()) == _strip_parts(anns)


@SETTINGS
@given(anns=ANNS, role=st.sampled_from(["gt", "pred"]))
def test_demo_round_trip(tmp_path: Path, anns: list[DenseAnnotation], role: str) -> None:
    dump_annotations(anns, tmp_path / "demo.json", fmt="demo", role=role)
    back = load_annotations(tmp_path / "demo.json", role=role, durations=_durations(anns))
    got = list(back.annotations.values())
    assert [a.id for a in got] == [a.id for a in anns]
    for a, b in zip(got, _strip_parts(anns)):
        assert [s.caption for s in a.segments] == [s.caption for s in b.segments]
        for s, t in zip(a.segments, b.segments):
            assert math.isclose(s.start, t.start, abs_tol=1e-9) and math.isclose(
                s.end, t.end, abs_tol=1e-9
            )


@SETTINGS
@given(anns=ANNS)
def test_stmc_round_trip(tmp_path: Path, anns: list[DenseAnnotation]) -> None:
    dump_annotations(anns, tmp_path / "t.txt", fmt="stmc")
    back = load_annotations(tmp_path / "t.txt", role="gt")
    assert back.fmt == "stmc"
    assert list(back.annotations.values()) == anns


@given(ms=MS)
def test_demo_time_round_trip(ms: int) -> None:
    assert parse_demo_time(format_demo_time(ms / 1000)) == pytest.approx(ms / 1000, abs=1e-12)


def test_demo_time_quirks() -> None:
    assert format_demo_time(8.3) == "00:08:300"
    assert format_demo_time(4.099) == "00:04:99"
    assert format_demo_time(10.0) == "00:10:00"
    assert format_demo_time(7.55, legacy=True) == "00:07:549"  # DEMO's float truncation
    assert format_demo_time(75.25) == "01:15:250"
    assert parse_demo_time("00:04:99") == pytest.approx(4.099)
    assert parse_demo_time("00:04:099") == pytest.approx(4.099)
    assert parse_demo_time("00:04.10") == pytest.approx(4.10)


def test_demo_string_commas_and_dashes() -> None:
    segs = (Segment(0, 4.099, "walks, then 2 steps - left"), Segment(4.099, 9.0, "turns,"))
    text = format_demo_string(segs)
    assert text == "00:00:00 - walks, then 2 steps - left, 00:04:99 - turns,"
    assert parse_demo_string(text, 9.0) == segs
    # DEMO's own parser cuts a caption at a digit after a comma, and drops trailing commas.
    ref = parse_demo_string(text, 9.0, dialect="demo")
    assert ref is not None and [s.caption for s in ref] == ["walks, then", "turns"]
    with pytest.raises(ValueError, match="would split"):
        format_demo_string([Segment(0, 1, "a, 00:01:00 - b")])
    with pytest.raises(ValueError):
        format_demo_string([Segment(0, 1, " padded")])


def test_demo_string_unparseable_and_prefix() -> None:
    assert parse_demo_string("I cannot describe this motion.", 5.0) is None
    segs = parse_demo_string("Sure! 00:00:00 - walks, 00:02:50 - sits", 5.0)
    assert segs == (Segment(0.0, 2.05, "walks"), Segment(2.05, 5.0, "sits"))


def _write(path: Path, obj: object) -> Path:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


@pytest.mark.parametrize(
    ("obj", "needle"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"a": {"timestamps": [[0, 1]], "sentences": ["x"]}, "a": {"timestamps": [], "sentences": []}}',
            "duplicate",
        ),
        (
            {"a": {"timestamps": [[0, "x"]], "sentences": ["s"]}},
            "record 'a': field 'timestamps[0]'",
        ),
        ({"a": {"timestamps": [[-1, 2]], "sentences": ["s"]}}, "negative start"),
        ({"a": {"timestamps": [[3, 2]], "sentences": ["s"]}}, "start 3.0 > end 2.0"),
        ({"a": {"timestamps": [[0, 2]], "sentences": [" "]}}, "empty caption"),
        ({"a": {"timestamps": [], "sentences": []}}, "at least one segment"),
        ({"a": {"duration": 1.0, "timestamps": [[0, 2]], "sentences": ["s"]}}, "> duration"),
        ('{"a": {"timestamps": [[0, NaN]], "sentences": ["s"]}}', "not finite"),
    ],
)
def test_bad_ground_truth(tmp_path: Path, obj: object, needle: str) -> None:
    path = _write(tmp_path / "gt.json", obj)
    with pytest.raises(AnnotationError, match=re.escape(needle)) as err:
        load_annotations(path, role="gt", fmt="anet-gt")
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_predictions_kept_and_counted(tmp_path: Path) -> None:
    results = {
        "a": [
            {"sentence": "x", "timestamp": [5, 2]},
            {"sentence": "", "timestamp": [1, 1]},
            {"sentence": "y", "timestamp": [-1, 20]},
        ],
        "b": [],
    }
    path = _write(tmp_path / "p.json", {"results": results})
    aset = load_annotations(path, role="pred", durations={"a": 10.0, "b": 3.0})
    assert len(aset.annotations["a"].segments) == 3 and aset.annotations["b"].segments == ()
    c = aset.report.counts
    assert (c["reversed_segments"], c["zero_length_segments"], c["negative_times"]) == (1, 1, 1)
    assert (c["beyond_duration"], c["empty_captions"], c["empty_predictions"]) == (1, 1, 1)
    bad = _write(
        tmp_path / "q.json", '{"results": {"a": [{"sentence": "x", "timestamp": [0, Infinity]}]}}'
    )
    with pytest.raises(AnnotationError, match="not finite"):
        load_annotations(bad, role="pred")


def test_lenient_skips_are_counted(tmp_path: Path) -> None:
    gt = {
        "a": {"timestamps": [[0, 1]], "sentences": ["ok"]},
        "b": {"timestamps": [[2, 1]], "sentences": ["x"]},
    }
    aset = load_annotations(_write(tmp_path / "gt.json", gt), role="gt", lenient=True)
    assert list(aset.annotations) == ["a"]
    assert aset.report.counts["skipped_records"] == 1 and "record 'b'" in aset.report.skipped[0]


def test_demo_records_unparseable_prediction_is_counted(tmp_path: Path) -> None:
    preds = [{"id": "1", "generated": "00:00:00 - walks"}, {"id": "2", "generated": "no idea"}]
    aset = load_annotations(
        _write(tmp_path / "r.json", preds), role="pred", durations={"1": 4.0, "2": 5.0}
    )
    assert aset.report.unparseable == ["2"] and aset.annotations["2"].segments == ()
    gt = [{"id": "1", "motion": "x.npy", "gt": "garbage"}]
    with pytest.raises(AnnotationError, match="record '1': field 'gt'"):
        load_annotations(_write(tmp_path / "g.json", gt), role="gt", durations={"1": 4.0})


def test_durations_from_motions_and_root_confinement(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    root = tmp_path / "motions"
    root.mkdir()
    np.save(root / "7.npy", np.zeros((90, 22, 3), dtype=np.float32))
    assert read_durations(root) == {"7": 4.5}
    assert read_durations(root, fps=30) == {"7": 3.0}
    recs = [{"id": "7", "motion": "/elsewhere/7.npy", "gt": "00:00:00 - a, 00:02:00 - b"}]
    aset = load_annotations(_write(tmp_path / "t.json", recs), role="gt", motion_root=root)
    assert aset.annotations["7"].duration == 4.5 and aset.annotations["7"].segments[-1].end == 4.5
    escape = [{"id": "7", "motion": "../../etc/passwd", "gt": "00:00:00 - a"}]
    with pytest.raises(AnnotationError, match="escapes its root"):
        load_annotations(_write(tmp_path / "e.json", escape), role="gt", motion_root=root)


def test_release_parses_and_round_trips(demo_release: Path) -> None:
    durations = read_durations(demo_release / "durations_imputed.json")
    gt = load_annotations(demo_release / "test.json", role="gt", durations=durations)
    pred = load_annotations(demo_release / "result.json", role="pred", durations=durations)
    assert (
        len(gt.annotations) == 6000
        and sum(len(a.segments) for a in gt.annotations.values()) == 36014
    )
    assert (
        len(pred.annotations) == 6000
        and sum(len(a.segments) for a in pred.annotations.values()) == 39489
    )
    assert not pred.report.unparseable
    # The writer reproduces every released ground-truth string byte for byte.
    released = json.loads((demo_release / "test.json").read_text())
    for rec in released:
        assert format_demo_string(gt.annotations[rec["id"]].segments) == rec["gt"]


def test_convert_cli_errors_are_one_line(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.json", {"a": {"timestamps": [[0, 1]], "sentences": [3]}})
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "evaluation.cli",
            "convert",
            str(bad),
            str(tmp_path / "o.txt"),
            "--to",
            "stmc",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip().count("\n") == 0 and "record 'a': field 'sentences[0]'" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


@SETTINGS
@given(anns=st.lists(contiguous_annotation(), max_size=4))
def test_streamed_files_equal_whole_json_dumps(tmp_path: Path, anns: list[DenseAnnotation]) -> None:
    """dump_annotations streams record by record; the bytes equal one json.dumps of the file."""
    from compmo_gen.core.formats import to_anet_gt, to_demo_records, to_stmc_text

    anns = [DenseAnnotation(f"v{i}", a.duration, a.segments) for i, a in enumerate(anns)]
    expected = {
        "anet-gt": json.dumps(to_anet_gt(anns), indent=1, ensure_ascii=False) + "\n",
        "demo": json.dumps(to_demo_records(anns, role="gt"), indent=1, ensure_ascii=False) + "\n",
        "stmc": to_stmc_text(anns),
    }
    for fmt, text in expected.items():
        dump_annotations(iter(anns), tmp_path / fmt, fmt=fmt)
        assert (tmp_path / fmt).read_text(encoding="utf-8") == text, fmt


def test_failed_streamed_write_leaves_no_file(tmp_path: Path) -> None:
    bad = [DenseAnnotation("a", 2.0, (Segment(0, 1, "x"), Segment(1.5, 2, "y")))]  # a gap
    with pytest.raises(ValueError, match="not contiguous"):
        dump_annotations(bad, tmp_path / "d.json", fmt="demo")
    assert list(tmp_path.iterdir()) == []
