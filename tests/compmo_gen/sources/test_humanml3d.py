import numpy as np
import pytest

from compmo_gen.sources.humanml3d import (
    LoadOptions,
    SourceError,
    list_ids,
    load_clips,
    parse_caption_line,
)


@pytest.fixture
def hml(tmp_path, small_library, hml_folder, caption_line):
    walk = small_library[0].joints
    long = np.concatenate([walk, walk, walk])[:180]
    bad_nan = walk.copy()
    bad_nan[3, 4, 1] = np.nan
    clips = {
        "000001": (
            walk,
            caption_line("A person walks forward.")
            + caption_line("someone walks and waves", verbs=2),
        ),
        "M000001": (walk, caption_line("a person walks forward")),
        "000002": (
            long,
            caption_line("a man jumps", start=1.0, end=4.0)
            + caption_line("a man kicks")
            + "garbage line\n",
        ),
        "000003": (bad_nan, caption_line("nan motion")),
        "000004": (walk[:, :20], caption_line("wrong shape")),
        "000005": (np.zeros((0, 22, 3), np.float32), caption_line("empty")),
        "000006": (b"not a numpy file", caption_line("unreadable")),
        "000007": (walk, None),
        "000008": (walk, ""),
        "000009": (walk[:20], caption_line("too short")),
    }
    ids = list(clips) + ["009707"]  # listed but missing, as in the real release
    return hml_folder(tmp_path / "HumanML3D", clips, {"all": ids, "train": ["000001", "M000001"]})


def test_loader_keeps_good_clips_and_counts_every_skip(hml):
    clips, report = load_clips(hml, list_ids(hml))
    ids = sorted(c.id for c in clips)
    assert ids == ["000001", "000002", "000002:20-80", "M000001"]
    c = report.counts
    assert c["ids"] == 11 and c["clips"] == 4
    for reason in ("nan", "wrong_shape", "empty", "unreadable", "no_text", "missing_file"):
        assert c[f"skipped_{reason}"] == 1, reason
    assert c["skipped_no_usable_caption"] == 2  # empty text, too short
    assert c["caption_lines_not_simple"] == 1 and c["caption_lines_malformed"] == 1
    by_id = {x.id: x for x in clips}
    assert by_id["000001"].captions == ("a person walks forward",)  # normalised, simple only
    assert by_id["000001"].group == by_id["M000001"].group == "000001"
    assert by_id["000002:20-80"].crop == (20, 80) and by_id["000002:20-80"].frames == 60
    assert by_id["000002"].source == "humanml3d:000002" and by_id["000002"].parts


def test_options_and_split_files(hml):
    assert list_ids(hml, LoadOptions(ids="train")) == ["000001", "M000001"]
    assert "M000001" not in list_ids(hml, LoadOptions(mirrors=False))
    clips, report = load_clips(hml, ["000001"], LoadOptions(max_verbs=None))
    assert len(clips[0].captions) == 2
    with pytest.raises(SourceError):
        list_ids(hml, LoadOptions(ids="nosuchsplit"))
    with pytest.raises(SourceError):
        list_ids(hml / "texts")


def test_path_like_ids_are_refused(hml):
    clips, report = load_clips(hml, ["../../etc/passwd"])
    assert not clips and report.counts["skipped_bad_id"] == 1


def test_caption_line_parser():
    assert parse_caption_line("A man kicks.#a/DET man/NOUN kick/VERB#0.0#0.0") == (
        "a man kicks",
        1,
        0.0,
        0.0,
    )
    assert parse_caption_line("x#y/VERB z/VERB#nan#nan")[1] == 2
    assert parse_caption_line("no hashes") is None
    assert parse_caption_line("#a/DET#0#0") is None


def test_real_sample(humanml3d_sample):
    ids = list_ids(humanml3d_sample)
    clips, report = load_clips(humanml3d_sample, ids)
    assert [c.id for c in clips] == ["000000"]  # 012314 has no caption file
    assert clips[
        0
    ].captions == (  # "the standing person kicks ... going back" has 3 verbs: not simple
        "a man kicks something or someone with his left leg",
        "a man kicks with something or someone with his left leg",
        "he is flying kick with his left leg",
    )
    assert report.counts["skipped_no_text"] == 1
    assert report.counts["skipped_missing_file"] == len(ids) - 2
