import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.cli import main
from compmo_gen.core.formats import load_annotations
from compmo_gen.dataset.build import run_build
from compmo_gen.dataset.build_config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[3]
SMALL = ["--num", "40", "--set", "chunk=10", "--set", "library.per_kind=1", "-q"]


def build(out, *extra):
    return main(["build", "--out", str(out), *SMALL, *extra])


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "d"
    assert build(out, "--workers", "1") == 0
    return out


def test_layout_and_formats(reference):
    for rel in ("manifest.json", "stats.json", "sources.json", "build_config.json"):
        assert (reference / rel).is_file()
    man = json.loads((reference / "manifest.json").read_text())
    assert man["counts"] == {"train": 32, "val": 4, "test": 4}
    assert man["seed"] == 0 and man["config"]["num"] == 40 and "numpy" in man["versions"]
    assert all(
        rel in man["files"]
        for rel in (
            "annotations/test.json",
            "demo/test.json",
            "timelines/test.txt",
            "metadata/test.jsonl",
        )
    )
    motion = np.load(reference / "motions" / "000039.npy")
    assert motion.dtype == np.float32 and motion.shape[1:] == (22, 3)
    gt = load_annotations(reference / "annotations" / "test.json", role="gt", fmt="anet-gt")
    demo = load_annotations(
        reference / "demo" / "test.json",
        role="gt",
        fmt="demo",
        durations={k: a.duration for k, a in gt.annotations.items()},
    )
    tl = load_annotations(reference / "timelines" / "test.txt", role="gt", fmt="stmc")
    a = gt.annotations["000039"]
    assert a.duration == pytest.approx(len(motion) / 20)
    assert [round(s.start, 2) for s in demo.annotations["000039"].segments] == [
        round(s.start, 2) for s in a.segments
    ]
    assert all(s.parts for s in tl.annotations["000039"].segments)
    rec = json.loads((reference / "demo" / "test.json").read_text())[0]
    assert set(rec) == {"id", "motion", "gt"} and rec["motion"] == f"motions/{rec['id']}.npy"
    meta = [json.loads(x) for x in (reference / "metadata" / "test.jsonl").read_text().splitlines()]
    assert {"clips", "seams", "qc", "sha256", "transition"} <= set(meta[0])


def test_workers_do_not_change_a_byte(reference, tmp_path):
    assert build(tmp_path / "w2", "--workers", "2") == 0
    assert tree(tmp_path / "w2") == tree(reference)


def test_shards_merge_into_the_same_dataset(reference, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert build(a, "--shard", "0/2") == 0 and build(b, "--shard", "1/2") == 0
    assert not (a / "manifest.json").exists()
    shutil.copytree(b, a, dirs_exist_ok=True)
    assert build(a) == 0
    assert tree(a) == tree(reference)


def test_resume_after_interruption(reference, tmp_path):
    out = tmp_path / "r"
    shutil.copytree(reference, out)
    (out / "manifest.json").unlink()
    (out / "chunks" / "00001.jsonl").unlink()  # chunk 1 never finished
    (out / "motions" / "000025.npy").write_bytes(b"half-written")  # chunk 2 corrupted
    cfg = load_config(None, {"num": 40, "chunk": 10, "library.per_kind": 1})
    result = run_build(cfg, out, progress=False)
    assert (result.chunks_built, result.chunks_reused, result.finalized) == (2, 2, True)
    assert tree(out) == tree(reference)


def test_other_config_in_same_folder_is_refused(reference, tmp_path, capsys):
    out = tmp_path / "c"
    shutil.copytree(reference, out)
    assert build(out, "--seed", "1") == 2
    assert "different configuration" in capsys.readouterr().err


def test_validate_and_stats(reference, tmp_path, capsys):
    out = tmp_path / "v"
    shutil.copytree(reference, out)
    assert main(["stats", str(out)]) == 0
    assert "actions per sequence" in capsys.readouterr().out and (out / "card.md").is_file()
    assert main(["validate", str(out)]) == 0
    (out / "motions" / "000003.npy").write_bytes(b"x")
    (out / "timelines" / "val.txt").unlink()
    assert main(["validate", str(out)]) == 2
    err = capsys.readouterr().out
    assert "000003.npy: sha256 differs" in err and "val.txt: missing" in err


def test_atomic_split_shares_no_caption_or_clip(tmp_path):
    out = tmp_path / "atomic"
    assert build(out, "--split-by", "atomic", "--set", "library.per_kind=3") == 0
    caps, clips = {}, {}
    for split in ("train", "test"):
        meta = [
            json.loads(x) for x in (out / "metadata" / f"{split}.jsonl").read_text().splitlines()
        ]
        caps[split] = {c["caption"] for m in meta for c in m["clips"]}
        clips[split] = {
            c["id"].rsplit("-", 1)[0] if c["id"].count("-") > 1 else c["id"]
            for m in meta
            for c in m["clips"]
        }
    assert caps["test"] and not caps["train"] & caps["test"]
    groups = {s: {i.split("-")[0] + "-" + i.split("-")[1] for i in clips[s]} for s in clips}
    assert not groups["train"] & groups["test"]
    card = json.loads((out / "stats.json").read_text())
    assert card["test_captions_seen_in_train"] == 0.0


def test_humanml3d_source_counts_bad_files(tmp_path, small_library, hml_folder, caption_line):
    clips = {
        f"{i:06d}": (small_library[i].joints, caption_line(small_library[i].captions[0]))
        for i in range(12)
    }
    clips["000100"] = (b"broken", caption_line("broken"))
    root = hml_folder(tmp_path / "H", clips)
    out = tmp_path / "hout"
    assert build(out, "--source", f"humanml3d:{root}") == 0
    src = json.loads((out / "sources.json").read_text())["source"]
    assert src["clips"] == 12 and src["counts"]["skipped_unreadable"] == 1
    assert (
        main(["build", "--out", str(tmp_path / "x"), "--source", f"humanml3d:{tmp_path}", "-q"])
        == 2
    )


def test_presets_load_and_bad_input_is_one_line(tmp_path, capsys):
    default = load_config(REPO / "datasets" / "default.yaml")
    compmo = load_config(REPO / "datasets" / "compmo.yaml")
    assert (
        default.num == 2000 and compmo.num == 60000 and default.composition.transition == "inertial"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("composition:\n  transitoin: concat\n")
    with pytest.raises(ConfigError, match="transitoin"):
        load_config(bad)
    assert main(["build", "--preset", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.yaml" in err
    assert main(["build", "--out", str(tmp_path / "o"), "--set", "num=abc"]) == 2


def test_readme_main_job_command_shape(tmp_path, capsys):
    # the README's main job is `compmo-gen build --preset datasets/default.yaml --out DIR` (2,000
    # sequences); the same command, smaller, must build, print the card and validate
    out = tmp_path / "main"
    args = [
        "--preset",
        str(REPO / "datasets" / "default.yaml"),
        "--num",
        "24",
        "--set",
        "library.per_kind=1",
    ]
    assert main(["build", "--out", str(out), *args]) == 0
    card = capsys.readouterr().out
    assert "# Dataset card" in card and "quality gate" in card
    assert main(["validate", str(out)]) == 0


def test_build_from_real_humanml3d_sample(tmp_path, humanml3d_sample):
    out = tmp_path / "real"
    assert (
        main(
            [
                "build",
                "--out",
                str(out),
                "--source",
                f"humanml3d:{humanml3d_sample}",
                "--num",
                "10",
                "-q",
                "--set",
                "allow_few_clips=true",  # the sample has one usable clip
            ]
        )
        == 0
    )
    meta = [json.loads(x) for x in (out / "metadata" / "train.jsonl").read_text().splitlines()]
    assert {c["id"] for m in meta for c in m["clips"]} == {"000000"}
    src = json.loads((out / "sources.json").read_text())["source"]
    assert src["counts"]["skipped_missing_file"] == 29226  # split lists name ids absent here


@pytest.mark.parametrize("num,clips", [(10, 1), (100, 4), (2000, 22)])
def test_too_few_distinct_clips_are_refused_unless_forced(
    tmp_path, small_library, hml_folder, caption_line, capsys, num, clips
):
    """One usable clip built 60,000 copies of itself: a build needs max(2, ceil(sqrt(num) / 2))
    distinct clips per split; below, a one-line refusal with the counts; allow_few_clips forces
    it (not part of the saved configuration: the same bytes as a build that needed no force)."""
    from compmo_gen.dataset.clips import clips_needed

    assert clips == clips_needed(num) - 1
    root = hml_folder(
        tmp_path / "H",
        {f"{i:06d}": (small_library[i].joints, caption_line(small_library[i].captions[0])) for i in range(clips)},
    )  # fmt: skip
    args = ["build", "--source", f"humanml3d:{root}", "--num", str(num), "-q", "--no-card",
            "--set", "humanml3d.mirrors=false", "--set", "humanml3d.min_frames=10"]  # fmt: skip
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{clips} distinct usable motion(s) for" in err
    assert f"needs at least {clips_needed(num)}" in err and "allow_few_clips=true" in err
    assert not (tmp_path / "o" / "manifest.json").exists()
    if num > 100:
        return  # forcing is the same code path; keep the test fast
    forced = tmp_path / "forced"
    assert main([*args, "--out", str(forced), "--set", "allow_few_clips=true"]) == 0
    saved = json.loads((forced / "build_config.json").read_text())
    assert "allow_few_clips" not in saved
    assert main(["validate", str(forced)]) == 0


def test_one_motion_with_its_mirror_never_hangs_the_composer(tmp_path, small_library, hml_folder, caption_line, capsys):  # fmt: skip
    """A clip and its mirror are one motion: the composer never puts them side by side, so a
    pool of only them cannot make a sequence (it looped for ever); refused even when forced."""
    j = small_library[0].joints
    root = hml_folder(tmp_path / "H", {"000000": (j, caption_line("a person walks")), "M000000": (j, caption_line("a person walks"))})  # fmt: skip
    args = ["build", "--source", f"humanml3d:{root}", "--num", "4", "-q", "--set", "humanml3d.min_frames=10"]  # fmt: skip
    for extra in ([], ["--set", "allow_few_clips=true"]):
        assert main([*args, "--out", str(tmp_path / f"o{len(extra)}"), *extra]) == 2
        assert "all one motion" in capsys.readouterr().err


def test_doctor_reports_usable_clips_against_the_build(tmp_path, small_library, hml_folder, caption_line, capsys):  # fmt: skip
    root = hml_folder(
        tmp_path / "H",
        {f"{i:06d}": (small_library[i].joints, caption_line("a person walks")) for i in range(3)},
    )
    main(["doctor", str(root), "-q", "--num", "100", "--json", str(tmp_path / "d.json")])
    out = capsys.readouterr().out
    assert "build: 3 usable motion(s)" in out and "--num 100 needs >= 5" in out
    assert "NOT ENOUGH for --num 100" in out and "at most 36 sequences" in out
    rep = json.loads((tmp_path / "d.json").read_text())["build"]
    assert rep == {
        "usable_motions": 3,
        "num": 100,
        "clips_needed": 5,
        "enough": False,
        "max_sequences": 36,
    }
    main(["doctor", str(root), "-q", "--num", "36"])
    assert "NOT ENOUGH" not in capsys.readouterr().out


def test_stage_files_written_into_a_dataset_keep_it_valid(tmp_path, capsys):
    """stage-json's default output lives in the dataset folder; validate checks it, never rejects it."""
    out = tmp_path / "d"
    shutil.copytree(_built(tmp_path), out)
    for kind in ("stage1", "stage2", "test"):
        assert main(["stage-json", kind, "--dataset", str(out), "-q"]) == 0
    derived = json.loads((out / "derived.json").read_text())
    assert set(derived) == {"stage1.json", "stage2.json", "test.json"}
    assert main(["validate", str(out)]) == 0
    (out / "stage2.json").write_text("[]\n")
    assert main(["validate", str(out)]) == 2
    assert "stage2.json: sha256 differs from derived.json" in capsys.readouterr().out


def _built(tmp_path: Path) -> Path:
    out = tmp_path / "built"
    assert build(out, "--workers", "1") == 0
    return out


def test_a_refused_build_leaves_no_folder_and_the_corrected_one_runs(tmp_path, capsys):
    """A source refused at load time left build_config.json, chunks/ and motions/ behind, and the
    corrected rerun was then refused as "built with a different configuration"."""
    out = tmp_path / "o"
    bad = [
        "build",
        "--source",
        f"humanml3d:{tmp_path / 'nowhere'}",
        "--num",
        "8",
        "--out",
        str(out),
    ]
    assert main([*bad, "-q", "--no-card"]) == 2
    assert "not a HumanML3D folder" in capsys.readouterr().err and not out.exists()
    assert (
        main(["build", "--num", "8", "--out", str(out), "-q", "--no-card", "--workers", "1"]) == 0
    )


@pytest.mark.parametrize(
    "option", ["num=100000000000000000000", "composition.max_actions=100000", "chunk=0"]
)
def test_sizes_beyond_any_build_are_refused_at_once(tmp_path, capsys, option):
    """An absurd size ran for minutes and then out of memory (a list over every chunk)."""
    out = tmp_path / "o"
    assert main(["build", "--set", option, "--out", str(out), "-q", "--no-card"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "must be" in err[0] and not out.exists()


def test_workers_beyond_the_usable_cores_are_lowered(tmp_path, caplog):
    from compmo_gen.core.procs import usable_cores

    out = tmp_path / "o"
    assert (
        main(["build", "--num", "8", "--out", str(out), "-q", "--no-card", "--workers", "10000"])
        == 0
    )
    assert f"--workers 10000 lowered to {usable_cores()}" in caplog.text
