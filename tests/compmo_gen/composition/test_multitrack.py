"""Multi-track composition, formats and the issue's done-when checks (a 50-sequence build)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from compmo_gen.composition.overlay import bone_lengths, fade_weights, overlay
from compmo_gen.composition.skeleton import PARENTS
from compmo_gen.core.errors import AnnotationError, ConfigError
from compmo_gen.core.formats import (
    format_demo_answer,
    format_demo_string,
    format_demo_tracks,
    parse_demo_string,
)
from compmo_gen.core.formats.anet import anet_gt_entry, anet_gt_record
from compmo_gen.core.segments import DenseAnnotation, Segment
from compmo_gen.core.tracks import concurrent_pairs, has_overlap, lanes, tracks
from compmo_gen.dataset.build import run_build
from compmo_gen.dataset.build_config import BuildConfig, load_config
from compmo_gen.dataset.files import validate_dataset
from evaluation.cli import main as eval_main

WALK = Segment(0.0, 8.0, "walks forward", ("legs",))
WAVE = Segment(2.0, 5.0, "waves the right hand", ("right arm",))


def _library(kinds=("walk", "wave")):
    from compmo_gen.procedural import all_kinds, build_library

    every = all_kinds()
    out = {}
    for i, k in enumerate(every):
        if k.name in kinds:
            out[k.name] = build_library(0, 1, kinds=[k], first_index=i)[0]
    return out


def test_overlay_keeps_bones_and_legs_and_moves_the_part():
    clips = _library()
    base, src = clips["walk"].joints.astype(np.float64), clips["wave"].joints.astype(np.float64)
    n = min(len(base), len(src))
    base, src = base[:n], src[:n]
    arm = tuple(clips["wave"].parts)
    out = overlay(base, src, arm, fade_weights(n, 8))
    assert np.abs(bone_lengths(out) - bone_lengths(base)).max() < 1e-9
    legs = [0, 1, 2, 4, 5, 7, 8, 10, 11]
    assert np.array_equal(out[:, legs], base[:, legs])  # pelvis, legs and feet untouched
    wrist = 21 if "right arm" in arm else 20
    assert np.abs(out[n // 2, wrist] - base[n // 2, wrist]).max() > 0.05  # the arm did move
    # weight 0 everywhere: the base, exactly (up to FK rounding)
    assert np.abs(overlay(base, src, arm, np.zeros(n)) - base).max() < 1e-9
    assert PARENTS[21] == 19
    with pytest.raises(ValueError):
        overlay(base, src, ("legs",), np.ones(n))


def test_tracks_lanes_and_overlap():
    segs = [WALK, WAVE, Segment(8.0, 10.0, "sits", ("legs",))]
    assert has_overlap(segs) and not has_overlap([WALK, segs[2]])
    assert concurrent_pairs(segs) == [(0, 1)]
    assert lanes(segs) == [0, 1, 0]
    assert tracks(segs) == {"legs": [0, 2], "right arm": [1]}


def test_demo_multitrack_strings_round_trip_and_classic_is_unchanged():
    text = format_demo_tracks([WAVE, WALK])
    assert text == (
        "00:00:00-00:08:00 [legs] - walks forward, 00:02:00-00:05:00 [right arm] - waves the right hand"
    )
    assert parse_demo_string(text, 10.0) == (WALK, WAVE)
    # a model may also write parts with aliases, and leave ends out on a sequential stretch
    got = parse_demo_string("00:00:00-00:04:00 [torso, head] - bows, 00:04:00 - sits down", 9.0)
    assert got == (
        Segment(0.0, 4.0, "bows", ("spine", "head")),
        Segment(4.0, 9.0, "sits down", ()),
    )
    classic = "00:00:00 - walks, with a turn, 00:05:200 - sits 2 times"
    assert parse_demo_string(classic, 9.0) == (
        Segment(0.0, 5.2, "walks, with a turn"),
        Segment(5.2, 9.0, "sits 2 times"),
    )
    seq = [Segment(0.0, 2.0, "a"), Segment(2.0, 4.0, "b")]
    assert format_demo_answer(seq) == format_demo_string(seq) == "00:00:00 - a, 00:02:00 - b"
    assert format_demo_answer([WALK, WAVE]) == text


def test_activitynet_parts_written_only_for_overlaps_and_checked():
    ann = DenseAnnotation("x", 10.0, (WALK, WAVE))
    rec = anet_gt_entry(ann)
    assert rec["parts"] == [["legs"], ["right arm"]]
    assert anet_gt_record("x", rec, "f.json") == ann
    assert "parts" not in anet_gt_entry(DenseAnnotation("y", 8.0, (WALK,)))
    with pytest.raises(AnnotationError, match=r"parts\[1\]\[0\]"):
        anet_gt_record("x", {**rec, "parts": [["legs"], ["tail"]]}, "f.json")


def test_sequential_config_is_unchanged_and_options_are_checked():
    cfg = BuildConfig()
    assert "multitrack" not in cfg.to_dict()  # so build_config.json, hash and bytes are as before
    mt = load_config("datasets/multitrack.yaml", sets=["multitrack.fade=4"])
    assert mt.multitrack.enabled and mt.multitrack.fade == 4 and "multitrack" in mt.to_dict()
    with pytest.raises(ConfigError, match="multitrack.parts"):
        load_config("datasets/multitrack.yaml", sets=["multitrack.parts=[legs]"])


def _scores(tmp_path, gt_path, sub, name):
    pred = tmp_path / f"{name}.json"
    pred.write_text(json.dumps(sub))
    out = tmp_path / f"{name}.results.json"
    assert eval_main([str(pred), "--gt", str(gt_path), "--out", str(out), "-q"]) == 0
    return json.loads(out.read_text())


def test_done_when_50_sequence_build(tmp_path):
    cfg = load_config("datasets/multitrack.yaml", sets=["num=50", "chunk=25", "library.per_kind=6"])
    out = tmp_path / "mt"
    assert run_build(cfg, out, progress=False).finalized
    problems, summary = validate_dataset(out)
    assert problems == []
    gt_path = out / "annotations" / "train.json"
    gt = json.loads(gt_path.read_text())
    with_pairs = 0
    for split in ("train", "val", "test"):
        from compmo_gen.core.formats import load_annotations

        anns = load_annotations(out / "annotations" / f"{split}.json", role="gt").annotations
        with_pairs += sum(bool(concurrent_pairs(a.segments)) for a in anns.values())
    assert with_pairs / 50 >= 0.30
    card = json.loads((out / "stats.json").read_text())
    figs = card["qc"]["figures"]
    assert figs["overlay_bone_error"]["max"] < 1e-4 and figs["overlay_skate_added"]["max"] == 0

    def submission(drop=None, swap=False):
        res = {}
        for vid, rec in gt.items():
            items = [
                {"sentence": s, "timestamp": t, "parts": p}
                for s, t, p in zip(rec["sentences"], rec["timestamps"], rec.get("parts") or [[]] * len(rec["sentences"]), strict=True)
            ]  # fmt: skip
            if vid == target and swap:
                i, j = pair
                items[i], items[j] = items[j], items[i]
            if vid == target and drop is not None:
                del items[drop]
            res[vid] = items
        return {"version": "1", "results": res, "external_data": {}}

    target = next(v for v, r in gt.items() if "parts" in r)
    segs = anet_gt_record(target, gt[target], "gt").segments
    pair = concurrent_pairs(segs)[0]
    same = _scores(tmp_path, gt_path, submission(), "same")["multitrack"]
    assert same["SODA_c"] == pytest.approx(100, abs=1e-4)
    assert same["F1"] == pytest.approx(100, abs=1e-4)
    swapped = _scores(tmp_path, gt_path, submission(swap=True), "swapped")
    assert swapped["multitrack"] == same
    full = _scores(tmp_path, gt_path, submission(), "same")
    for key in ("metrics", "per_tiou", "overlap_per_threshold"):  # the classic metrics too
        assert swapped[key] == full[key]
    dropped = _scores(tmp_path, gt_path, submission(drop=pair[1]), "dropped")["multitrack"]
    assert dropped["concurrency_recall"] < same["concurrency_recall"] == pytest.approx(100)


def test_humanml3d_source_overlays_parts_inferred_from_motion(
    tmp_path, small_library, hml_folder, caption_line
):
    """A HumanML3D-layout folder (library motions, no part labels): overlay candidates come from
    the parts :func:`compmo_gen.sources.humanml3d.infer_parts` finds, and the build validates."""
    kinds = ("walk", "wave", "raise_arm", "nod", "squat", "look", "jog", "clap")
    picked = [next(c for c in small_library if c.kind == k) for k in kinds]
    clips = {
        f"{i:06d}": (c.joints, caption_line(c.captions[0])) for i, c in enumerate(picked, start=1)
    }
    root = hml_folder(tmp_path / "HumanML3D", clips, {"all": list(clips)})
    cfg = load_config(
        "datasets/multitrack.yaml",
        sets=["num=12", "chunk=12", "humanml3d.min_frames=20", "multitrack.overlay_prob=1.0"],
        overrides={"source": f"humanml3d:{root}"},
    )
    out = tmp_path / "h3d"
    assert run_build(cfg, out, progress=False).finalized
    assert validate_dataset(out)[0] == []
    meta = [
        json.loads(x)
        for p in (out / "metadata").glob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    overlays = [o for r in meta for o in r["overlays"]]
    assert overlays and all(o["source"].startswith("humanml3d:") for o in overlays)
    assert all("legs" not in o["parts"] for o in overlays)
    assert max(o["checks"]["bone_error"] for o in overlays) < 1e-4
