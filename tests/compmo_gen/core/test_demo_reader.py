"""The one DEMO-string reader: text before the first time never costs a segment, drops are counted,
and compmo-infer's predictions.json reads back exactly as generated.json does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compmo_gen.core.formats import load_annotations, read_generation
from compmo_gen.core.segments import Segment

QUOTED = '"00:00:00 - moves in a curve to the right side, 00:05:09 - doing a left foot squat'


@pytest.mark.parametrize("dialect", ["compmo", "demo"])
def test_leading_quote_keeps_every_segment(dialect: str) -> None:
    gen = read_generation(QUOTED, 9.0, dialect=dialect)
    assert gen.segments == (
        Segment(0.0, 5.009, "moves in a curve to the right side"),
        Segment(5.009, 9.0, "doing a left foot squat"),
    )
    assert not gen.dropped  # a lone quote is no lost text


@pytest.mark.parametrize(
    "prefix", ["Sure, here is the description: ", "'", "```\n", "Answer:", "(", "- "]
)
def test_any_text_before_the_first_time_is_ignored_and_counted(prefix: str) -> None:
    gen = read_generation(prefix + "00:00:00 - walks, 00:02:50 - sits", 5.0)
    assert gen.segments == (Segment(0.0, 2.05, "walks"), Segment(2.05, 5.0, "sits"))
    has_words = any(c.isalnum() for c in prefix)
    assert gen.dropped.get("leading_text", 0) == int(has_words)


def test_time_glued_to_a_longer_number_is_not_a_start() -> None:
    gen = read_generation("00:00:00 - counts 12:34:56:78 - and 3.00:01:00 - more", 9.0)
    assert gen.segments is not None and len(gen.segments) == 1


def test_demo_dialect_counts_what_its_regex_drops() -> None:
    text = "00:00:00 - walks, then 2 steps, 00:04:99 - turns"
    gen = read_generation(text, 9.0, dialect="demo")
    assert [s.caption for s in gen.segments] == ["walks, then", "turns"]
    assert gen.dropped["dropped_fragments"] == 1
    assert not read_generation(text, 9.0).dropped  # the compmo dialect keeps the caption whole


def test_unparseable_generation_has_no_segments() -> None:
    gen = read_generation("I cannot describe this motion.", 5.0)
    assert gen.segments is None


def test_lenient_duplicate_skip_does_not_mark_the_kept_copy_unparseable(tmp_path: Path) -> None:
    path = tmp_path / "gen.json"
    records = [{"id": "a", "generated": "00:00:00 - walks"}, {"id": "a", "generated": "nothing"}]
    path.write_text(json.dumps(records))
    got = load_annotations(path, role="pred", durations={"a": 4.0}, lenient=True)
    assert got.report.unparseable == [] and got.report.counts["skipped_records"] == 1
    assert got.annotations["a"].segments == (Segment(0.0, 4.0, "walks"),)


@pytest.mark.parametrize("vid", ["../outside/secret", "{root}/outside/secret"])
def test_the_id_fallback_for_durations_stays_inside_the_motion_root(tmp_path: Path, vid) -> None:
    """A record whose ``motion`` is missing falls back to ``<id>.npy``: confined to the root too
    (an id naming a file outside was read before)."""
    import numpy as np

    from compmo_gen.core.errors import AnnotationError

    (tmp_path / "motions").mkdir()
    (tmp_path / "outside").mkdir()
    np.save(tmp_path / "outside" / "secret.npy", np.zeros((200, 22, 3), np.float32))
    vid = vid.format(root=tmp_path)
    path = tmp_path / "gt.json"
    path.write_text(json.dumps([{"id": vid, "motion": "nope.npy", "gt": "00:00:00 - walks"}]))
    with pytest.raises(AnnotationError, match="escapes its root|not found"):
        load_annotations(path, role="gt", motion_root=tmp_path / "motions")


@pytest.mark.parametrize("seconds", [1e308, 1e30, 365 * 86400.0 + 1])
def test_times_too_large_for_mm_ss_ms_are_a_value_error(seconds: float) -> None:
    from compmo_gen.core.formats.demo import format_demo_time

    with pytest.raises(ValueError, match="cannot write time"):
        format_demo_time(seconds)
