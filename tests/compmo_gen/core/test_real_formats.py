"""Released dense-captioning files as they are: ends past the duration, YouCook2's and ViTT's
own shapes, LLM prediction files, id normalisation, and repeated single-value options."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats.extra import align_prediction_ids, load_any
from compmo_gen.core.segments import DenseAnnotation, ReadReport, Segment, apply_past_duration
from compmo_gen.core.single_value import clean_namespace, forbid_repeated_options

FIX = Path(__file__).parents[2] / "evaluation" / "fixtures"


def test_activitynet_val_1_as_released_is_accepted_and_counted():
    gt = load_any(FIX / "anet_val" / "val_1.json", role="gt", past_duration="keep")[0]
    assert gt.report.counts["gt_end_past_duration"] == 5
    assert gt.report.max_past_duration == pytest.approx(0.01, abs=1e-9)
    seg = gt.annotations["v_EGLJPCJnG64"].segments[4]
    assert seg.end == 89.72  # the time as given: the references never read `duration`
    with pytest.raises(AnnotationError, match=r"record 'v_EGLJPCJnG64'.*segments\[4\].*89.72"):
        load_any(FIX / "anet_val" / "val_1.json", role="gt", past_duration="error")


def test_clip_policy_clips_and_counts():
    ann = DenseAnnotation("v", 10.0, (Segment(0, 5, "a"), Segment(5, 10.01, "b")))
    report = ReadReport()
    out = apply_past_duration(ann, "clip", report)
    assert [s.end for s in out.segments] == [5, 10.0]
    assert report.counts["gt_end_clipped"] == 1
    assert apply_past_duration(ann, "keep", ReadReport()) is ann


def test_clip_policy_counts_only_what_it_clips():
    """A segment starting after the duration cannot be clipped: kept and counted apart."""
    ann = DenseAnnotation("v", 10.0, (Segment(0, 12, "a"), Segment(11, 12, "b")))
    report = ReadReport()
    out = apply_past_duration(ann, "clip", report)
    assert [(s.start, s.end) for s in out.segments] == [(0, 10.0), (11, 12)]
    assert report.counts["gt_end_clipped"] == 1
    assert report.counts["gt_start_past_duration"] == 1
    only_late = DenseAnnotation("w", 10.0, (Segment(11, 12, "b"),))
    report = ReadReport()
    assert apply_past_duration(only_late, "clip", report) is only_late
    assert report.counts["gt_end_clipped"] == 0 and report.counts["gt_start_past_duration"] == 1


def test_youcook2_native_and_subset(tmp_path):
    native = json.loads(
        (FIX / "yc2_timechat" / "youcookii_annotations_val_excerpt.json").read_text()
    )
    vid = next(iter(native["database"]))
    native["database"][vid]["subset"] = "training"
    path = tmp_path / "yc.json"
    path.write_text(json.dumps(native))
    (val,) = load_any(path, role="gt", subset="validation")
    assert vid not in val.annotations and val.report.counts["other_subset"] == 1
    (every,) = load_any(path, role="gt")
    assert every.fmt == "youcook2" and len(every.annotations) == len(native["database"])
    converted = json.loads((FIX / "yc2_timechat" / "yc2_val.json").read_text())
    rec = converted[f"v_{vid}"]
    got = every.annotations[vid]
    assert [[s.start, s.end] for s in got.segments] == rec["timestamps"]
    assert [s.caption for s in got.segments] == rec["sentences"]


def test_youcook2_bad_record_names_file_record_field(tmp_path):
    path = tmp_path / "yc.json"
    path.write_text(
        json.dumps({"database": {"x": {"annotations": [{"segment": [1], "sentence": "a"}]}}})
    )
    with pytest.raises(AnnotationError, match=r"record 'x'.*annotations\[0\]\.segment"):
        load_any(path, role="gt")


def test_vitt_one_reference_set_per_rater():
    path = FIX / "vitt" / "ViTT-annotations-example.json"
    sets = load_any(path, role="gt", durations={"FmTp": 130.0})
    assert [s.fmt for s in sets] == ["vitt", "vitt"]
    first = sets[0].annotations["FmTp"]
    assert [(s.start, s.end) for s in first.segments][:2] == [(0.26, 16.0), (16.0, 23.99)]
    assert first.segments[-1].end == 130.0 and first.segments[0].caption == "Opening"
    assert len(sets[1].annotations["FmTp"].segments) == 3
    with pytest.raises(AnnotationError, match=r"record 'FmTp'.*field 'duration'"):
        load_any(path, role="gt")


@pytest.mark.parametrize("lines", [False, True])
def test_vitt_whose_first_record_has_no_annotations(tmp_path, lines):
    """Detected as ViTT (not a traceback); the empty record has no sections: lenient skips it."""
    recs = [{"id": "a", "annotations": []},
            {"id": "b", "annotations": [{"timestamp": 0, "tag": "x"}, {"timestamp": 2000, "tag": "y"}]}]  # fmt: skip
    path = tmp_path / "vitt.json"
    path.write_text("\n".join(map(json.dumps, recs)) if lines else json.dumps(recs))
    durs = {"a": 5.0, "b": 5.0}
    with pytest.raises(AnnotationError, match=r"record 'a'.*at least one segment"):
        load_any(path, role="gt", durations=durs)
    (gt,) = load_any(path, role="gt", durations=durs, lenient=True)
    assert gt.fmt == "vitt" and list(gt.annotations) == ["b"]
    assert [(s.start, s.end) for s in gt.annotations["b"].segments] == [(0, 2.0), (2.0, 5.0)]
    (pred,) = load_any(path, role="pred", fmt="vitt", durations=durs)
    assert pred.annotations["a"].segments == ()


def test_caption_predictions_and_id_alignment(tmp_path):
    path = tmp_path / "pred.json"
    path.write_text(json.dumps({
        "a.mp4": [{"timestamp": [3, 1], "caption": "x"}],
        "v_b": [{"timestamp": [0, 1], "sentence": "y"}],
        "c": [],
    }))  # fmt: skip
    (pred,) = load_any(path, role="pred")
    assert pred.fmt == "caption-pred" and pred.report.counts["caption_field"] == 1
    assert pred.report.counts["reversed_segments"] == 1
    align_prediction_ids(pred, {"v_a", "b", "c"})
    assert set(pred.annotations) == {"v_a", "b", "c"}
    c = pred.report.counts
    assert (c["ids_extension_stripped"], c["ids_v_prefix_added"], c["ids_v_prefix_removed"]) == (
        1, 1, 1,
    )  # fmt: skip


def test_two_predictions_for_one_video_is_an_error(tmp_path):
    path = tmp_path / "pred.json"
    path.write_text(json.dumps({"a.mp4": [], "v_a": []}))
    (pred,) = load_any(path, role="pred")
    with pytest.raises(AnnotationError, match="names the same video"):
        align_prediction_ids(pred, {"a"})


def test_repeating_a_single_value_option_is_a_usage_error(capsys):
    parser = argparse.ArgumentParser(prog="p")
    parser.add_argument("--gt", nargs="+")
    parser.add_argument("--out")
    parser.add_argument("--flag", action="store_true")
    forbid_repeated_options(parser)
    args = clean_namespace(parser.parse_args(["--gt", "a", "b", "--flag", "--flag"]))
    assert args.gt == ["a", "b"] and not hasattr(args, "_compmo_options_seen")
    for argv in (["--gt", "a", "--gt", "b"], ["--out", "x", "--out", "y"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(argv)
        assert exc.value.code == 2
        assert "given more than once" in capsys.readouterr().err
