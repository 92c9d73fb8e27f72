"""The H3D+BABEL pieces: BABEL reader, placement on HumanML3D clips, policies, UniMotion files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from compmo_gen.babel.config import BabelConfig, make_config
from compmo_gen.babel.export import (
    local_gt_entries,
    read_local_gt,
    read_unimotion_csv,
    to_unimotion_csv,
)
from compmo_gen.babel.placement import cut_seconds, place_labels, read_index, swap_left_right
from compmo_gen.babel.policies import segments_for_clip
from compmo_gen.babel.reader import BabelLabel, read_babel_dir
from compmo_gen.core.errors import AnnotationError, ConfigError
from compmo_gen.core.segments import DenseAnnotation, Segment

FIX = Path(__file__).parents[1] / "fixtures" / "babel"


def test_reader_dense_extra_null_frame_ann_and_lists():
    idx = read_babel_dir(FIX / "babel")
    assert sorted(idx.by_path) == [
        "ACCAD/Female1Walking_c3d/B3_-_walk1_poses",
        "CMU/05/05_10_poses",
        "KIT/3/kick_high_left02_poses",
        "MPI_HDM05/bk/HDM_bk_03-05_01_120_poses",
        "Transitions_mocap/mazen_c3d/jumpingjacks_turntwist180_poses",
    ]
    kick = idx.by_path["KIT/3/kick_high_left02_poses"]
    assert kick.sid == "7001" and kick.split == "train" and kick.dense.frame
    assert [lab.is_transition for lab in kick.dense.labels] == [False, True, False, False, False]
    # frame_ann null: the sequence labels span the whole sequence
    dance = idx.by_path["CMU/05/05_10_poses"]
    assert not dance.dense.frame and dance.dense.labels[0].end == 3.5
    assert len(dance.extra) == 1  # an extra annotator (frame_anns list)
    tennis = idx.by_path["MPI_HDM05/bk/HDM_bk_03-05_01_120_poses"]
    assert len(tennis.extra) == 2 and all(a.frame for a in tennis.extra)
    only_extra = idx.by_path["Transitions_mocap/mazen_c3d/jumpingjacks_turntwist180_poses"]
    assert only_extra.dense is None and only_extra.split == "val"
    assert idx.lookup("KIT/3/kick_high_left02_poses") == (kick, False)
    assert idx.lookup("kit/3/Kick_High_Left02_poses") == (kick, True)  # case/space-normalised
    assert idx.lookup("KIT/3/kick_high_left03_poses") == (None, False)
    c = idx.counts
    assert c["null_frame_ann"] == 1 and c["sequences_only_in_extra"] == 1
    assert c["labels_without_act_cat"] == 1 and c["extra_annotations"] == 4


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.update(dur="5.8"), "dur"),
        (lambda e: e.update(feat_p=None), "feat_p"),
        (lambda e: e["frame_ann"].update(labels={}), "frame_ann.labels"),
        (lambda e: e["frame_ann"]["labels"][0].pop("start_t"), "frame_ann.labels[0].start_t"),
        (
            lambda e: e["frame_ann"]["labels"][2].update(act_cat="kick"),
            "frame_ann.labels[2].act_cat",
        ),
        (lambda e: e["frame_ann"]["labels"][1].update(end_t=0.5), "frame_ann.labels[1]"),
    ],
)
def test_reader_errors_name_file_sequence_field(tmp_path, mutate, field):
    data = json.loads((FIX / "babel" / "train.json").read_text())
    mutate(data["7001"])
    (tmp_path / "train.json").write_text(json.dumps(data))
    with pytest.raises(AnnotationError) as err:
        read_babel_dir(tmp_path)
    assert err.value.file.endswith("train.json") and err.value.record == "7001"
    assert err.value.field == field


def test_index_cuts_and_humanact12():
    placements, humanact12, counts = read_index(FIX / "humanml3d" / "index.csv")
    assert humanact12 == {"000004"} and counts["index_rows_humanact12_skipped"] == 1
    hdm = placements["012314"]  # frames 40..210 at 20 fps, 3 s cut before indexing
    assert (hdm.source, hdm.start, hdm.end, hdm.cut) == (
        "MPI_HDM05/bk/HDM_bk_03-05_01_120_poses",
        5.0,
        13.5,
        3.0,
    )
    assert placements["000003"].start == 0.5 and placements["000000"].start == 0.0
    assert [cut_seconds(s) for s in ("Eyes_Japan_Dataset/x", "TotalCapture/y", "MPI_Limits/z")] == [
        3.0,
        1.0,
        1.0,
    ]


def test_index_errors_name_row_and_field(tmp_path):
    p = tmp_path / "index.csv"
    p.write_text(
        "source_path,start_frame,end_frame,new_name\n./pose_data/A/b.npy,x,10,000001.npy\n"
    )
    with pytest.raises(AnnotationError, match=r"row 2.*start_frame"):
        read_index(p)
    p.write_text("source_path,start,end_frame,new_name\n")
    with pytest.raises(AnnotationError, match="start_frame"):
        read_index(p)


def _lab(text: str, a: float, b: float, cat: str = "x") -> BabelLabel:
    return BabelLabel(text, text, "", (cat,), a, b)


def test_place_labels_clip_local_and_counted():
    counts: Counter = Counter()
    labs = [_lab("walk", 0, 4.5), _lab("walk", 4.5, 6), _lab("serve", 6, 11), _lab("t", 11.5, 16)]
    local = place_labels(labs, 5.0, 8.5, counts)
    assert [(x.start, x.end, x.clipped) for x in local] == [
        (0.0, 1.0, True),
        (1.0, 6.0, False),
        (6.5, 8.5, True),
    ]
    assert counts == Counter(labels_outside_clip=1, labels_clipped=2, labels_placed=3)


def test_mirror_swaps_left_right():
    assert swap_left_right("Kick with left leg, then turn right clockwise") == (
        "Kick with right leg, then turn left counterclockwise"
    )
    assert swap_left_right("leftover bright") == "leftover bright"


def _segs(labels, cfg, n=100, mirrored=False):
    counts: Counter = Counter()
    local = place_labels(labels, 0.0, n / 20, counts)
    return [
        (s.start, s.end, s.caption) for s in segments_for_clip(local, n, cfg, mirrored, counts)
    ], counts


OVERLAP = [
    _lab("walk", 0, 3),
    _lab("wave", 1, 2),
    _lab("transition", 3, 3.5, "transition"),
    _lab("sit", 3.5, 4.5),
]


def test_policy_overlap_choices():
    keep_gaps = {"gaps": "keep"}
    longest, c = _segs(OVERLAP, make_config(**keep_gaps))
    assert longest == [(0.0, 3.0, "walk"), (3.0, 3.5, "transition"), (3.5, 4.5, "sit")]
    assert c["labels_hidden_by_overlap"] == 1
    first, _ = _segs(
        [_lab("wave", 1, 2), _lab("walk", 1.5, 3)], make_config(overlap="first", **keep_gaps)
    )
    assert first == [(1.0, 2.0, "wave"), (2.0, 3.0, "walk")]
    joined, _ = _segs(OVERLAP, make_config(overlap="join", **keep_gaps))
    assert joined[:3] == [(0.0, 1.0, "walk"), (1.0, 2.0, "walk and wave"), (2.0, 3.0, "walk")]
    multi, c = _segs(OVERLAP, make_config("multi-track"))
    assert (1.0, 2.0, "wave") in multi and (0.0, 3.0, "walk") in multi
    assert c["overlapping_pairs_kept"] == 1


def test_policy_transitions_and_gaps():
    labs = [_lab("walk", 0, 3), _lab("transition", 3, 3.5, "transition"), _lab("sit", 3.5, 4.5)]
    drop, _ = _segs(labs, make_config(transitions="drop", gaps="keep"))
    assert drop == [(0.0, 3.0, "walk"), (3.5, 4.5, "sit")]
    ren, _ = _segs(labs, make_config(transitions="rename"))
    assert ren[1] == (3.0, 3.5, "transition from walk to sit")
    split, _ = _segs(labs, make_config(transitions="split", gaps="keep"))
    assert split == [(0.0, 3.25, "walk"), (3.25, 4.5, "sit")]
    filled, c = _segs(labs, make_config(transitions="drop", gaps="fill"))  # walk takes the gap
    assert filled == [(0.0, 3.5, "walk"), (3.5, 5.0, "sit")] and c["gaps_filled"] == 2


def test_policy_label_text_and_mirror():
    lab = BabelLabel("Turning  LEFT.", "turn left", "", ("turn",), 0, 2)
    for choice, want in (("raw", "turning right"), ("proc", "turn right"), ("act_cat", "turn")):
        got, _ = _segs([lab], make_config(label_text=choice), n=40, mirrored=True)
        assert got == [(0.0, 2.0, want)]


def test_config_rejects_bad_combinations():
    with pytest.raises(ConfigError, match="overlap"):
        make_config(overlap="sideways")
    with pytest.raises(ConfigError, match="multi-track"):
        make_config(annotators="all")
    with pytest.raises(ConfigError, match="gaps=fill"):
        make_config("multi-track", gaps="fill")
    assert make_config() == BabelConfig()


def test_unimotion_csv_round_trip_and_published_example(tmp_path):
    ann = DenseAnnotation(
        "x",
        7.5,
        (Segment(0, 4, "walk"), Segment(4, 5.5, "transition"), Segment(6, 7.5, "sitting down")),
    )
    text = to_unimotion_csv(ann)
    assert text == "text,length\nwalk,80\ntransition,30\n,10\nsitting down,30\n"
    (tmp_path / "x.csv").write_text(text)
    assert read_unimotion_csv(tmp_path / "x.csv") == ann
    # UniMotion's assets/walk_sit.csv, as published (no final newline)
    (tmp_path / "walk_sit.csv").write_text("text,length\nwalk,80\ntransition,30\nsitting down,40")
    got = read_unimotion_csv(tmp_path / "walk_sit.csv")
    assert [(s.start, s.end, s.caption) for s in got.segments] == [
        (0.0, 4.0, "walk"),
        (4.0, 5.5, "transition"),
        (5.5, 7.5, "sitting down"),
    ]
    overlapping = DenseAnnotation("y", 3, (Segment(0, 2, "a"), Segment(1, 3, "b")))
    assert to_unimotion_csv(overlapping) is None
    entries, skipped = local_gt_entries([ann, overlapping])
    assert skipped == 1 and entries == [
        {
            "original_id": "x",
            "text": ["walk", "transition", "sitting down"],
            "lengths": [80, 30, 30],
        }
    ]
    (tmp_path / "local.json").write_text(json.dumps(entries))
    assert read_local_gt(tmp_path / "local.json")["x"].segments[2] == Segment(
        5.5, 7.0, "sitting down"
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("label,length\nwalk,3\n", "header"),
        ("text,length\nwalk,three\n", "row 2.*length"),
        ("text,length\nwalk,0\n", "row 2.*length"),
        ("text,length\nwalk,3,4\n", "row 2"),
        ("text,length\n,20\n", "no labeled piece"),
    ],
)
def test_unimotion_csv_errors_name_row_and_field(tmp_path, text, match):
    (tmp_path / "a.csv").write_text(text)
    with pytest.raises(AnnotationError, match=match):
        read_unimotion_csv(tmp_path / "a.csv")
