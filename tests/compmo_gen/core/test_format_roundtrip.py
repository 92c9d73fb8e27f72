"""Every writer either refuses an annotation (``ValueError``) or writes what its own reader reads
back identically: ids, durations, times and captions, whatever characters they hold."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compmo_gen.core.formats import dump_annotations, load_annotations
from compmo_gen.core.segments import DenseAnnotation, Segment

_text = st.text(
    st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12
) | st.sampled_from(
    ["a b", "a\tb", "x duration=9", "w\x0bx", "w\x1cx", "w\u2028x", " w", "#", "00:01:00 - b"]
)


@st.composite
def annotations(draw) -> list[DenseAnnotation]:
    ids = draw(st.lists(_text, min_size=1, max_size=3, unique=True))
    out = []
    for vid in ids:
        n = draw(st.integers(1, 3))
        cuts = sorted(draw(st.lists(st.integers(1, 20_000), min_size=n, max_size=n, unique=True)))
        starts = [0, *cuts[:-1]]
        segs = tuple(
            Segment(a / 1000, b / 1000, draw(_text)) for a, b in zip(starts, cuts, strict=True)
        )
        out.append(DenseAnnotation(vid, cuts[-1] / 1000, segs))
    return out


def _same(written: list[DenseAnnotation], path: Path, fmt: str) -> None:
    durations = {a.id: a.duration for a in written}
    got = load_annotations(path, role="pred", fmt=fmt, durations=durations).annotations
    assert list(got) == [a.id for a in written]
    for a in written:
        b = got[a.id]
        assert b.duration == a.duration
        assert [(s.caption, round(s.start, 6), round(s.end, 6)) for s in b.segments] == [
            (s.caption, round(s.start, 6), round(s.end, 6)) for s in a.segments
        ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(anns=annotations(), fmt=st.sampled_from(["stmc", "anet-gt", "demo"]))
def test_written_means_read_back_identically(anns, fmt):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "out"
        try:
            dump_annotations(anns, path, fmt=fmt, role="gt")
        except ValueError:
            assert not path.exists()  # refused: nothing half-written
            assert not list(Path(d).iterdir())
            return
        _same(anns, path, fmt)


def test_stmc_refuses_what_it_cannot_hold(tmp_path):
    import pytest

    for vid, cap in (
        ("a b", "w"),
        ("a\tb", "w"),
        ("a", "w\x0bx"),
        ("a", "w\u2029x"),
        ("a", "w\x85"),
    ):
        with pytest.raises(ValueError):
            dump_annotations(
                [DenseAnnotation(vid, 2.0, (Segment(0.0, 2.0, cap),))], tmp_path / "x", fmt="stmc"
            )


def test_demo_needs_a_duration(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="no duration"):
        dump_annotations(
            [DenseAnnotation("a", None, (Segment(0.0, 2.0, "walks"),))], tmp_path / "x", fmt="demo"
        )
