"""Baselines on a tiny dataset folder written by the test itself (random motions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.core.formats import dump_annotations, load_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment
from evaluation import baselines as bl
from evaluation.cli import main

CAPS = ["walks forward", "jumps", "waves the right hand", "sits down", "turns left"]


def _motion(rng: np.random.Generator, n: int) -> np.ndarray:
    base = rng.normal(0, 0.3, (1, 22, 3))
    walk = np.cumsum(rng.normal(0, 0.02, (n, 22, 3)), axis=0)
    return (base + walk).astype(np.float32)


def _rotate(p: np.ndarray, angle: float, shift: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return (p.astype(np.float64) @ rot.T + shift).astype(np.float32)


def make_dataset(root: Path, n_train: int = 6, seed: int = 0) -> dict:
    """Train motions with 2-4 random segments; test motions are rotated, shifted train copies."""
    rng = np.random.default_rng(seed)
    (root / "motions").mkdir(parents=True)
    train, test = [], []
    for i in range(n_train):
        k = 2 + i % 3
        frames = rng.integers(30, 60, size=k)
        n = int(frames.sum())
        motion = _motion(rng, n)
        np.save(root / "motions" / f"tr{i}.npy", motion)
        bounds = np.concatenate([[0], np.cumsum(frames)]) / 20.0
        segs = tuple(
            Segment(float(bounds[j]), float(bounds[j + 1]), CAPS[(i + j) % len(CAPS)])
            for j in range(k)
        )
        train.append(DenseAnnotation(f"tr{i}", n / 20.0, segs))
        if i < 3:
            moved = _rotate(motion, rng.uniform(-3, 3), np.array([1.5, 0.0, -2.0]))
            np.save(root / "motions" / f"te{i}.npy", moved)
            test.append(DenseAnnotation(f"te{i}", n / 20.0, segs))
    (root / "annotations").mkdir()
    dump_annotations(train, root / "annotations" / "train.json", fmt="anet-gt")
    dump_annotations(test, root / "annotations" / "test.json", fmt="anet-gt")
    return {"train": train, "test": test}


def test_caption_prior_counts_and_ties():
    anns = [
        DenseAnnotation("a", 4.0, (Segment(0, 2, "x"), Segment(2, 4, "y"))),
        DenseAnnotation("b", 6.0, (Segment(0, 2, "y"), Segment(2, 4, "x"), Segment(4, 6, "z"))),
    ]
    prior = bl.caption_prior(anns)
    assert prior.mean_actions == 2.5
    assert prior.num_segments == 3  # rounded half up
    assert (prior.caption, prior.caption_count) == ("x", 2)  # tie x/y: first seen wins
    with pytest.raises(ValueError):
        bl.caption_prior([])


def test_uniform_segments_cover_duration():
    prior = bl.CaptionPrior(3.0, 3, "walks", 5)
    (pred,) = bl.uniform_predictions([DenseAnnotation("a", 9.0, (Segment(0, 9, "q"),))], prior)
    assert [(s.start, s.end, s.caption) for s in pred.segments] == [
        (0.0, 3.0, "walks"),
        (3.0, 6.0, "walks"),
        (6.0, 9.0, "walks"),
    ]


def test_descriptor_invariant_to_heading_and_position():
    rng = np.random.default_rng(3)
    m = _motion(rng, 40)
    d1 = bl.motion_descriptor(m)
    d2 = bl.motion_descriptor(_rotate(m, 1.234, np.array([3.0, 0.0, -1.0])))
    assert d1.shape == (bl.DESCRIPTOR_DIM,)
    np.testing.assert_allclose(d1, d2, atol=1e-4)
    assert np.isfinite(bl.motion_descriptor(m[:1])).all()
    with pytest.raises(ValueError):
        bl.motion_descriptor(np.zeros((5, 21, 3)))


def test_nearest_rows_ties_go_first():
    bank = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    q = np.array([[0.9, 1.1], [0.1, 0.0]], dtype=np.float32)
    assert bl.nearest_rows(q, bank).tolist() == [1, 0]


def test_nn_oracle_recovers_captions_of_moved_copies(tmp_path):
    data = make_dataset(tmp_path)
    train = bl.load_split(tmp_path, "train")
    test = bl.load_split(tmp_path, "test")
    preds = bl.nn_oracle_predictions(tmp_path, train, test)
    for pred, gt in zip(preds, data["test"]):
        assert [(s.start, s.end) for s in pred.segments] == [(s.start, s.end) for s in gt.segments]
        assert [s.caption for s in pred.segments] == [s.caption for s in gt.segments]


def test_cli_writes_scorable_deterministic_files(tmp_path, capsys):
    make_dataset(tmp_path / "ds")
    out = tmp_path / "out"
    argv = ["baselines", str(tmp_path / "ds"), "--out-dir", str(out), "-q"]
    assert main(argv) == 0
    first = {p.name: p.read_bytes() for p in out.glob("*.json")}
    assert sorted(first) == ["nn-oracle_test.json", "uniform_test.json"]
    assert main(argv) == 0
    assert first == {p.name: p.read_bytes() for p in out.glob("*.json")}
    uni = load_annotations(out / "uniform_test.json", role="pred", fmt="anet-pred").annotations
    assert sorted(uni) == ["te0", "te1", "te2"]
    assert {len(a.segments) for a in uni.values()} == {3}  # train mean (2+3+4+2+3+4)/6 = 3
    assert "compmo-eval" in capsys.readouterr().out


def test_cli_bad_inputs_exit_2(tmp_path, capsys):
    make_dataset(tmp_path / "ds")
    assert main(["baselines", str(tmp_path / "ds"), "--split", "nope", "-q"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["baselines", str(tmp_path / "missing"), "-q"]) == 2
    assert "not found" in capsys.readouterr().err
    # a corrupt motion file: one line naming the file and the record
    (tmp_path / "ds" / "motions" / "te1.npy").write_bytes(b"not numpy")
    rc = main(["baselines", str(tmp_path / "ds"), "--baseline", "nn-oracle", "--out-dir",
               str(tmp_path / "o"), "-q"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "te1.npy" in err and "te1" in err and len(err.strip().splitlines()) == 1
    # an id that would escape the dataset root
    np.save(tmp_path / "ds" / "motions" / "te1.npy", np.zeros((40, 22, 3), np.float32))
    gt = json.loads((tmp_path / "ds" / "annotations" / "test.json").read_text())
    gt["../../evil"] = gt.pop("te0")
    (tmp_path / "ds" / "annotations" / "test.json").write_text(json.dumps(gt))
    rc = main(["baselines", str(tmp_path / "ds"), "--baseline", "nn-oracle", "-q"])
    assert rc == 2 and "escapes" in capsys.readouterr().err


def test_cli_with_annotation_files(tmp_path, capsys):
    make_dataset(tmp_path / "ds")
    ann = tmp_path / "ds" / "annotations"
    out = tmp_path / "o"
    argv = ["baselines", "--train-file", str(ann / "train.json"), "--test-file",
            str(ann / "test.json"), "--out-dir", str(out), "-q"]  # fmt: skip
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["uniform_test.json"]
    assert "--out " + str(out / "uniform_test.results.json") in capsys.readouterr().out
    assert main([*argv, "--baseline", "nn-oracle"]) == 2
    assert "needs a dataset folder" in capsys.readouterr().err
    assert main(["baselines", "--train-file", str(ann / "train.json")]) == 2
    assert "--test-file" in capsys.readouterr().err
