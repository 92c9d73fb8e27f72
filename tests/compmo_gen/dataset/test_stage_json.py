from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import load_annotations, parse_demo_string
from compmo_gen.core.prompts import STAGE2_SYSTEM, format_duration_hs
from compmo_gen.core.stage_files import check_motions, read_stage_file


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    from modeling.tiny import make_tiny_dataset

    return make_tiny_dataset(tmp_path / "ds", n_train=4, n_test=2)


def test_stage_files_from_a_built_dataset(dataset: Path) -> None:
    for kind in ("stage1", "stage2", "test"):
        assert main(["stage-json", kind, "--dataset", str(dataset), "-q"]) == 0
    gt = load_annotations(dataset / "annotations" / "train.json", role="gt").annotations
    s2 = json.loads((dataset / "stage2.json").read_text())
    assert [r["id"] for r in s2] == list(gt)
    rec = s2[0]
    assert rec["motion"] == f"motions/{rec['id']}.npy"
    assert [t["from"] for t in rec["conversations"]] == ["system", "human", "gpt"]
    assert rec["conversations"][0]["value"] == STAGE2_SYSTEM
    ann = gt[rec["id"]]
    assert f"duration {format_duration_hs(ann.duration)}," in rec["conversations"][1]["value"]
    segs = parse_demo_string(rec["conversations"][2]["value"], ann.duration)
    assert [s.caption for s in segs] == [s.caption for s in ann.segments]
    assert [s.start for s in segs] == pytest.approx([s.start for s in ann.segments], abs=1e-3)
    s1 = read_stage_file(dataset / "stage1.json")
    assert len(s1) == sum(len(a.segments) for a in gt.values())
    first = next(r for r in s1 if r.id == f"{rec['id']}_1")
    assert first.frames == (round(ann.segments[1].start * 20), round(ann.segments[1].end * 20))
    assert first.answer == ann.segments[1].caption and first.user.startswith(
        "<motion> Given a human"
    )
    test = json.loads((dataset / "test.json").read_text())
    assert set(test[0]) == {"id", "motion", "gt"}
    check_motions(read_stage_file(dataset / "test.json"), file=dataset / "test.json")


def test_reroot_checks_every_file_and_stays_under_root(dataset: Path, tmp_path: Path) -> None:
    released = [
        {"id": "test000", "motion": "/mnt/someone/final/test000.npy", "gt": "00:00:00 - a"},
        {"id": "test001", "motion": "/elsewhere/test001.npy", "gt": "00:00:00 - b"},
    ]
    src = tmp_path / "released.json"
    src.write_text(json.dumps(released))
    out = tmp_path / "out" / "test.json"
    args = ["stage-json", "reroot", str(src), "--motion-root", str(dataset / "motions")]
    assert main([*args, "--out", str(out), "-q"]) == 0
    recs = read_stage_file(out)
    assert all(Path(r.motion).is_absolute() and Path(r.motion).is_file() for r in recs)
    released.append({"id": "x", "motion": "/a/missing.npy", "gt": "00:00:00 - c"})
    src.write_text(json.dumps(released))
    assert main([*args, "--out", str(tmp_path / "o2.json"), "-q"]) == 2
    assert not (tmp_path / "o2.json").exists()


def test_paths_escaping_the_root_and_bad_records_are_one_line_errors(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps([{"id": "a", "motion": "../../etc/passwd", "gt": "00:00:00 - a"}]))
    with pytest.raises(AnnotationError, match="escapes its root"):
        check_motions(read_stage_file(f), file=f)
    f.write_text(json.dumps([{"id": "a", "motion": "m.npy", "conversations": [{"from": "bot"}]}]))
    with pytest.raises(AnnotationError, match="record 'a': field 'conversations'"):
        read_stage_file(f)
    f.write_text(json.dumps([{"id": "a", "motion": "m.npy", "frames": [5, 2], "gt": "x"}]))
    with pytest.raises(AnnotationError, match="field 'frames'"):
        read_stage_file(f)
    code = main(["stage-json", "stage2", "--dataset", str(tmp_path / "nope"), "-q"])
    assert code == 2 and "error:" in capsys.readouterr().err


def _humanml3d_folder(root: Path) -> Path:
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    rng = np.random.default_rng(0)
    np.save(root / "new_joints" / "000001.npy", rng.normal(size=(60, 22, 3)).astype(np.float32))
    bad = np.zeros((50, 22, 3), np.float32)
    bad[3] = np.nan
    np.save(root / "new_joints" / "000002.npy", bad)
    (root / "texts" / "000001.txt").write_text(
        "a man walks.#a/DET man/NOUN walk/VERB#0.0#0.0\nhe jumps.#he/PRON jump/VERB#1.0#2.0\n"
    )
    (root / "texts" / "000002.txt").write_text("x.#x/NOUN#0.0#0.0\n")
    (root / "train.txt").write_text("000001\n000002\n000003\n")
    return root


def test_stage1_from_humanml3d_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _humanml3d_folder(tmp_path / "h3d")
    out = tmp_path / "stage1.json"
    assert (
        main(
            [
                "stage-json",
                "stage1",
                "--humanml3d",
                str(root),
                "--split",
                "train",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    recs = read_stage_file(out)
    assert [(r.id, r.answer, r.frames) for r in recs] == [
        ("000001_0", "a man walks", None),
        ("000001_1", "he jumps", (20, 40)),
    ]
    assert "00:03:00" in recs[0].user and "00:01:00" in recs[1].user
    assert "skipped 2" in capsys.readouterr().out  # the NaN clip and the missing one


def test_stage1_from_the_real_humanml3d_sample(humanml3d_sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "s1.json"
    assert (
        main(
            [
                "stage-json",
                "stage1",
                "--humanml3d",
                str(humanml3d_sample),
                "--split",
                "train",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    recs = read_stage_file(out)
    assert all(r.answer and r.user.count("<motion>") == 1 for r in recs)
