"""`compmo-gen babel` end to end: fixtures in BABEL's published format on HumanML3D-layout folders
(synthetic clips; the two real sample clips when present), splits, leakage, exports, evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.core.formats import load_annotations

FIX = Path(__file__).parents[1] / "fixtures" / "babel"
# left/right joint pairs of the HumanML3D skeleton (its 22-joint kinematic chain)
_PAIRS = [(1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21)]


def mirror(joints: np.ndarray) -> np.ndarray:
    """HumanML3D's left-right mirror: x negated, left and right joints exchanged."""
    out = joints.copy()
    out[..., 0] *= -1
    for a, b in _PAIRS:
        out[:, [a, b]] = out[:, [b, a]]
    return out


def make_h3d(root: Path, real: Path | None = None) -> Path:
    """A HumanML3D-layout folder: synthetic clips (and the real sample clips with their mirrors),
    the fixture ``index.csv`` and split lists."""
    nj = root / "new_joints"
    nj.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for vid, n in (("000002", 60), ("000003", 60), ("000004", 50), ("000005", 80), ("000006", 30)):
        np.save(nj / f"{vid}.npy", (rng.normal(size=(n, 22, 3)) * 0.1).astype(np.float32))
    np.save(nj / "M000002.npy", mirror(np.load(nj / "000002.npy")))
    if real is not None:
        for vid in ("000000", "012314"):
            joints = np.load(real / "new_joints" / f"{vid}.npy")
            np.save(nj / f"{vid}.npy", joints)
            np.save(nj / f"M{vid}.npy", mirror(joints))
    for name in ("index.csv", "train.txt", "val.txt", "test.txt"):
        shutil.copy(FIX / "humanml3d" / name, root / name)
    return root


def build(tmp_path: Path, *opts: str, h3d: Path | None = None, name: str = "out") -> Path:
    h3d = h3d or make_h3d(tmp_path / "h3d")
    out = tmp_path / name
    argv = ["babel", "--babel", str(FIX / "babel"), "--humanml3d", str(h3d), "--out", str(out)]
    assert main([*argv, "-q", *opts]) == 0
    return out


def gt(out: Path, split: str) -> dict:
    anns = load_annotations(out / "annotations" / f"{split}.json", role="gt", fmt="anet-gt")
    return {
        k: [(s.start, s.end, s.caption) for s in a.segments] for k, a in anns.annotations.items()
    }


def test_synthetic_build_layout_counts_and_validate(tmp_path, capsys):
    out = build(tmp_path)
    train, val = gt(out, "train"), gt(out, "val")
    assert train == {"000002": [(0.0, 3.0, "dance")], "M000002": [(0.0, 3.0, "dance")]}
    # only in extra_val (dense-then-extra); Transitions_mocap cut 0.5 s; both labels clipped
    assert val == {"000003": [(0.0, 2.0, "jumping jacks"), (2.0, 3.0, "turn to the left")]}
    card = json.loads((out / "stats.json").read_text())
    counts = card["babel"]["counts"]
    assert counts["clips_humanact12"] == 1 and counts["clips_without_babel_labels"] == 1
    assert (
        counts["clips_length_filtered"] == 1 and counts["labels_clipped"] == 4
    )  # dance x2, 000003 x2
    assert card["babel"]["sources_without_babel_labels_examples"] == [
        "BioMotionLab_NTroje/rub001/0000_treadmill_norm_poses"
    ]
    assert counts["clips_using_extra_annotators"] == 1 and counts["index_rows_cut_0.5s"] == 1
    for sub in (
        "demo/train.json",
        "timelines/val.txt",
        "metadata/train.jsonl",
        "unimotion/val/000003.csv",
    ):
        assert (out / sub).is_file(), sub
    assert (out / "unimotion/val/000003.csv").read_text() == (
        "text,length\njumping jacks,40\nturn to the left,20\n"
    )
    meta = json.loads((out / "metadata/val.jsonl").read_text())
    assert meta["source"].startswith("Transitions_mocap") and meta["clip_s"] == [0.5, 3.5]
    assert main(["validate", str(out)]) == 0
    # the downstream commands take it unchanged: DEMO's stage-2 file for training
    s2 = tmp_path / "stage2.json"
    assert (
        main(
            [
                "stage-json",
                "stage2",
                "--dataset",
                str(out),
                "--split",
                "val",
                "--out",
                str(s2),
                "-q",
            ]
        )
        == 0
    )
    conv = json.loads(s2.read_text())[0]["conversations"]
    assert conv[-1]["value"] == "00:00:00 - jumping jacks, 00:02:00 - turn to the left"
    assert main(["stats", str(out), "--no-save"]) == 0
    text = capsys.readouterr().out
    assert "policy: annotators=dense-then-extra" in text and "clips_humanact12 1" in text


def test_dense_only_drops_extra_only_sequences(tmp_path):
    out = build(tmp_path, "--annotators", "dense")
    assert json.loads((out / "manifest.json").read_text())["counts"]["val"] == 0
    assert not (out / "annotations" / "val.json").exists()
    counts = json.loads((out / "stats.json").read_text())["babel"]["counts"]
    assert counts["clips_extra_only_ignored"] == 1 and counts["clips_without_labels_in_span"] == 1


def test_deterministic_and_refuses_nonempty_out(tmp_path, capsys):
    h3d = make_h3d(tmp_path / "h3d")
    a = build(tmp_path, h3d=h3d, name="a")
    b = build(tmp_path, h3d=h3d, name="b")
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    assert ma["files"] == mb["files"]
    argv = ["babel", "--babel", str(FIX / "babel"), "--humanml3d", str(h3d), "--out", str(a)]
    assert main(argv) == 2
    assert "not an empty folder" in capsys.readouterr().err


def test_bad_babel_file_is_one_line_exit_2_and_nothing_written(tmp_path, capsys):
    bad = tmp_path / "babel"
    shutil.copytree(FIX / "babel", bad)
    data = json.loads((bad / "val.json").read_text())
    data["7004"]["frame_ann"]["labels"][0]["end_t"] = "9"
    (bad / "val.json").write_text(json.dumps(data))
    h3d = make_h3d(tmp_path / "h3d")
    out = tmp_path / "out"
    rc = main(["babel", "--babel", str(bad), "--humanml3d", str(h3d), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "val.json" in err and "'7004'" in err and "end_t" in err
    assert not out.exists()


def test_split_by_source_and_unimotion_leakage(tmp_path):
    h3d = make_h3d(tmp_path / "h3d")
    out = build(tmp_path, "--split-by", "source", "--ratios", "0.5,0,0.5", h3d=h3d, name="src")
    leak = json.loads((out / "stats.json").read_text())["babel"]["leakage"]
    assert leak["shared_sources"] == {"train-test": 0, "train-val": 0, "val-test": 0}
    assert leak["shared_mirror_pairs"]["train-test"] == 0 and not leak["train_test_source_leak"]
    assert "vs_humanml3d" in leak  # crossed with HumanML3D's own lists
    uni = tmp_path / "lists"
    uni.mkdir()
    (uni / "train_ft.txt").write_text("000002\n000003\n")
    (uni / "test_ft.txt").write_text("M000002\n")
    out = build(tmp_path, "--split-by", "unimotion", "--unimotion", str(uni), h3d=h3d, name="uni")
    leak = json.loads((out / "stats.json").read_text())["babel"]["leakage"]
    assert leak["shared_sources"]["train-test"] == 1 and leak["train_test_source_leak"]
    assert leak["shared_mirror_pairs"]["train-test"] == 1
    assert leak["vs_humanml3d"]["test->train"] == 1  # M000002 is in HumanML3D's train list


def test_multi_track_ground_truth_through_compmo_eval(tmp_path, capsys):
    if shutil.which("java") is None:
        pytest.skip("compmo-eval needs Java (METEOR)")
    from evaluation.cli import main as eval_main

    out = build(tmp_path, "--preset", "multi-track", "--annotators", "all")
    train = gt(out, "train")
    assert train["000002"] == [
        (0.0, 3.0, "dance"),
        (0.5, 2.0, "spin around"),
        (1.0, 3.0, "raise the left arm"),
    ]
    assert train["M000002"][2] == (1.0, 3.0, "raise the right arm")
    card = json.loads((out / "stats.json").read_text())
    # DEMO lists hold overlaps in the multi-track string form (ends given; docs/multitrack.md)
    assert "demo_list_omitted" not in card
    demo = load_annotations(out / "demo" / "train.json", role="gt", motion_root=out).annotations
    assert [(s.start, s.end, s.caption) for s in demo["000002"].segments] == train["000002"]
    assert card["babel"]["counts"]["overlapping_pairs_kept"] == 6
    assert (out / "timelines/train.txt").read_text().count("spin around") == 2
    pred = {
        vid: [{"timestamp": [a, b], "sentence": c} for a, b, c in segs]
        for vid, segs in train.items()
    }
    (tmp_path / "pred.json").write_text(json.dumps({"results": pred}))
    res = tmp_path / "res.json"
    gt_file = str(out / "annotations" / "train.json")
    assert (
        eval_main(
            [
                str(tmp_path / "pred.json"),
                "--gt",
                gt_file,
                "--out",
                str(res),
                "-q",
                "--jobs",
                "1",
                "--tious",
                "0.3,0.9",
            ]
        )
        == 0
    )
    metrics = json.loads(res.read_text())["metrics"]
    assert metrics["tIoU"] == pytest.approx(100.0) and metrics["F1"] == pytest.approx(100.0)
    assert metrics["SODA_c"] == pytest.approx(100.0)  # SODA matches one-to-one
    # ActivityNet pairs every prediction with every GT above the tIoU: at 0.9 only the identical
    # segment matches; at 0.3 overlapping tracks with other captions pair too and cost METEOR.
    per_tiou = json.loads(res.read_text())["per_tiou"]
    assert per_tiou["0.9"]["METEOR"] == pytest.approx(100.0)
    assert per_tiou["0.3"]["METEOR"] < per_tiou["0.9"]["METEOR"]


def test_real_sample_clips(tmp_path, humanml3d_sample):
    """The two real HumanML3D clips placed by the fixture index (cut source, mirrors, overlaps)."""
    h3d = make_h3d(tmp_path / "h3d", real=humanml3d_sample)
    out = build(tmp_path, h3d=h3d)
    test, train = gt(out, "test"), gt(out, "train")
    assert test["000000"] == [
        (0.0, 1.2, "standing"),
        (1.2, 1.6, "transition"),
        (1.6, 3.4, "kicking with the left leg"),  # "raising both arms" (shorter) loses the overlap
        (3.4, 5.8, "standing"),
    ]
    assert test["M000000"][2] == (1.6, 3.4, "kicking with the right leg")
    # MPI_HDM05: 3 s cut; clip = AMASS [5.0, 13.5] s; first walk label outside, gap filled
    assert train["012314"] == [
        (0.0, 1.0, "walking forward"),
        (1.0, 6.5, "tennis serve with right hand"),
        (6.5, 8.5, "t pose"),
    ]
    keep = build(tmp_path, "--gaps", "keep", h3d=h3d, name="keep")
    assert gt(keep, "train")["012314"][1] == (1.0, 6.0, "tennis serve with right hand")
    card = json.loads((keep / "stats.json").read_text())
    assert card["demo_list_omitted"]["train"]["count"] == 2  # 012314 and M012314 have a gap
    local = json.loads((out / "unimotion" / "test_local.json").read_text())
    assert local[0] == {
        "original_id": "000000",
        "text": ["standing", "transition", "kicking with the left leg", "standing"],
        "lengths": [24, 8, 36, 48],
    }
    # UniMotion's lists (fixture): M012314 in test_ft, 012314 in train_ft -> a source leak, flagged
    uni = build(
        tmp_path,
        "--split-by",
        "unimotion",
        "--unimotion",
        str(FIX / "unimotion"),
        h3d=h3d,
        name="uni",
    )
    leak = json.loads((uni / "stats.json").read_text())["babel"]["leakage"]
    assert leak["train_test_source_leak"] and leak["shared_mirror_pairs"]["train-test"] == 1
    assert leak["test_ids_in_humanml3d_train"] == 1
    assert sorted(gt(uni, "test")) == ["000000", "M000000", "M012314"]
