"""The time-aware recipe: stamps in the prompt, grid answers, the constrained decoder, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compmo_gen.core.formats import load_annotations
from compmo_gen.core.segments import Segment
from modeling.batch import Sample, collate_packed, collate_padded
from modeling.timeaware import (
    StampTable,
    decode_answer,
    demo_string,
    encode_answer,
    snap_segments,
    stamp_text,
    time_aware_user,
)


def test_answers_are_written_with_grid_stamps_and_read_back() -> None:
    ans = "00:00:00 - walks forward, 00:08:300 - sits down, 00:12:99 - jumps"
    # 8.3 s -> stamp 21 (8.4 s, the nearest 0.4 s step); 12.099 s -> 30 (12.0 s)
    assert encode_answer(ans, 20.0, "index", 0.4) == "0 - walks forward, 21 - sits down, 30 - jumps"
    assert encode_answer(ans, 20.0, "seconds", 0.4) == (
        "0.0 - walks forward, 8.4 - sits down, 12.0 - jumps"
    )
    dec = decode_answer("0 - walks forward, 21 - sits down, 30 - jumps", 20.0, "index", 0.4)
    assert [(round(s.start, 6), round(s.end, 6), s.caption) for s in dec.segments] == [
        (0.0, 8.4, "walks forward"),
        (8.4, 12.0, "sits down"),
        (12.0, 20.0, "jumps"),
    ]
    assert not dec.counts
    assert (
        demo_string(dec.segments)
        == "00:00:00 - walks forward, 00:08:400 - sits down, 00:12:00 - jumps"
    )
    with pytest.raises(ValueError, match="same"):
        encode_answer("00:00:00 - a, 00:00:100 - b", 5.0, "index", 0.4)


def test_decoder_repairs_and_counts_malformed_answers() -> None:
    text = "Sure: 3 - a, 10 - b, 8 - c, 10 - d, 99 - e, 12 -"
    dec = decode_answer(text, 6.0, "index", 0.4)
    assert [(round(s.start, 6), s.caption) for s in dec.segments] == [(0.0, "a"), (4.0, "b")]
    assert dec.segments[-1].end == 6.0
    assert dec.counts == {
        "leading_text": 1,
        "first_start_moved": 1,
        "non_increasing": 2,
        "past_end": 1,
        "empty_caption": 1,
    }
    assert decode_answer("walks forward", 6.0, "index", 0.4).segments is None
    sec = decode_answer("0.0 - a, 2.4 - b", 6.0, "seconds", 0.4)
    assert [s.start for s in sec.segments] == [0.0, 2.4]


def test_snapping_moves_starts_to_the_grid() -> None:
    segs = [Segment(0.1, 3.3, "a"), Segment(3.3, 3.35, "b"), Segment(3.35, 9.0, "c")]
    snapped, counts = snap_segments(segs, 9.0, 0.4)
    assert [(round(s.start, 6), round(s.end, 6), s.caption) for s in snapped] == [
        (0.0, 3.2, "a"),
        (3.2, 9.0, "b"),
    ]
    assert counts == {"moved": 2, "merged": 1}


class _DigitTokenizer:
    """Each character one token (id = its code point), as SmolLM2 writes digits."""

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        return {"input_ids": [ord(c) for c in text]}


def test_stamps_sit_before_each_motion_slot_in_both_layouts() -> None:
    table = StampTable(_DigitTokenizer(), "index", 0.4)
    assert stamp_text(12, "seconds", 0.4) == "4.8" and table.ids(12) == (ord("1"), ord("2"))
    assert table.cost_per_window(11) == 3  # "10" + the motion token
    rng = np.random.default_rng(0)
    samples = [
        Sample(
            (1, 2),
            rng.normal(size=(11, 4)).astype(np.float32),
            (3,),
            (4, 5),
            table.for_windows(range(11)),
        ),
        Sample(
            (6,),
            rng.normal(size=(3, 4)).astype(np.float32),
            (7, 8),
            (9,),
            table.for_windows([0, 5, 9]),
        ),
    ]
    assert len(samples[0]) == 2 + 11 + (10 + 2) + 1 + 2
    for batch in (collate_padded(samples), collate_packed(samples)):
        ids = batch["input_ids"].reshape(-1)
        idx = batch["motion_index"]
        assert idx.numel() == 14
        # the token before each motion slot is the last digit of its stamp
        before = [chr(int(ids[i - 1])) for i in idx]
        assert before == list("0123456789" + "0" + "059")
        assert (ids[idx] == 0).all()
        labels = batch["labels"].reshape(-1)
        assert sorted(int(x) for x in labels[labels >= 0]) == [4, 5, 9]
    padded = collate_padded(samples, padding_side="left", with_labels=False)
    row_of = padded["motion_index"] // padded["input_ids"].shape[1]
    assert row_of.tolist() == [0] * 11 + [1] * 3


def test_time_aware_prompt_names_the_format() -> None:
    user = time_aware_user(12.3, "index")
    assert user.count("<motion>") == 1 and "00:12:30" in user and "0.4 s" in user


@pytest.fixture(scope="module")
def timed_run(tiny_dataset: Path, tiny_llm: Path, tmp_path_factory: pytest.TempPathFactory):
    from compmo_gen.cli import main as gen_main
    from modeling.cli import infer_main, train_main

    runs = tmp_path_factory.mktemp("timed")
    for kind in ("stage1", "stage2", "test"):
        assert gen_main(["stage-json", kind, "--dataset", str(tiny_dataset), "-q"]) == 0
    common = ["--model", str(tiny_llm), "--num-workers", "0", "--save-steps", "1000"]
    common += ["--time-stamps", "index", "--batch-size", "8", "-q"]
    s1, s2, out = runs / "s1", runs / "s2", runs / "pred"
    args1 = ["--train-file", str(tiny_dataset / "stage1.json"), "--output-dir", str(s1)]
    assert train_main(["stage1", *args1, "--max-steps", "3", *common]) == 0
    args2 = ["--train-file", str(tiny_dataset / "stage2.json"), "--output-dir", str(s2)]
    args2 += ["--init-from", str(s1), "--epochs", "30", "--learning-rate", "1e-2"]
    assert train_main(["stage2", *args2, "--lora-r", "8", "--lora-alpha", "16", *common]) == 0
    data = ["--data", str(tiny_dataset / "test.json"), "--out", str(out)]
    assert (
        infer_main(["--run", str(s2), *data, "--max-new-tokens", "40", "--batch-size", "4", "-q"])
        == 0
    )
    return s2, out


def test_time_aware_run_end_to_end(timed_run, tiny_dataset: Path) -> None:
    s2, out = timed_run
    spec = json.loads((s2 / "motion_adapter.json").read_text())
    assert spec["time_stamps"] == "index"
    train = json.loads((s2 / "train_report.json").read_text())
    # the first step reported apart from the steady state (compile warm-up, issue 25)
    assert train["first_step_s"] > 0 and train["steady_tokens_per_s"] > 0
    assert train["steady_from_step"] == 3 and 0 < train["steady_s"] < train["train_runtime"]
    history = json.loads((s2 / "log_history.json").read_text())
    assert any("loss" in h for h in history)
    report = json.loads((out / "infer_report.json").read_text())
    assert "time_aware_repairs" in report and report["parser"].startswith("time-aware index")
    raw = json.loads((out / "generated_raw.json").read_text())
    gen = json.loads((out / "generated.json").read_text())
    assert [r["id"] for r in raw] == [g["id"] for g in gen]
    pred = load_annotations(out / "predictions.json", role="pred")
    gt = load_annotations(tiny_dataset / "annotations" / "test.json", role="gt")
    assert set(pred.annotations) == set(gt.annotations)
    parsed = [a for a in pred.annotations.values() if a.segments]
    assert len(parsed) + report["unparseable"] == len(gt.annotations)
    for a in parsed:  # the decoder's guarantees: first at 0, strictly increasing, on the grid
        starts = [s.start for s in a.segments]
        assert starts[0] == 0.0 and all(b > x for x, b in zip(starts, starts[1:]))
        assert all(abs(t / 0.4 - round(t / 0.4)) < 1e-6 for t in starts)


def test_recipe_is_selected_by_config() -> None:
    from compmo_gen.core.errors import ConfigError
    from modeling.config import build_config

    root = Path(__file__).resolve().parents[2] / "modeling" / "configs"
    for stage in ("stage1", "stage2"):
        cfg = build_config(
            root / f"time_aware_{stage}.yaml", model="m", train_file="t", stage=stage
        )
        assert cfg.time_stamps == "index" and cfg.model_max_length == 1536
    assert build_config(model="m", train_file="t").time_stamps == "none"
    with pytest.raises(ConfigError, match="time_stamps"):
        build_config(model="m", train_file="t", time_stamps="minutes")
