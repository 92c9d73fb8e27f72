"""Which role a file's content holds, over every format: read in its own role it loads, read in the
other (predictions and ground truth swapped) or given as a result file it is refused in one line,
unless its format is named explicitly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import dump_annotations, file_content, format_demo_string
from compmo_gen.core.formats.extra import load_any
from compmo_gen.core.formats.roles import content_of
from compmo_gen.core.segments import DenseAnnotation, Segment

ANNS = [
    DenseAnnotation("v0", 10.0, (Segment(0.0, 4.5, "a person walks"), Segment(4.5, 10.0, "sits"))),
    DenseAnnotation("v1", 8.0, (Segment(0.0, 3.0, "jumps twice"), Segment(3.0, 8.0, "waves"))),
]
DURATIONS = {a.id: a.duration for a in ANNS}


def _dump(fmt: str, role: str) -> Callable[[Path], None]:
    return lambda path: dump_annotations(ANNS, path, fmt=fmt, role=role)  # type: ignore[arg-type]


def _json(obj: Any) -> Callable[[Path], None]:
    return lambda path: path.write_text(json.dumps(obj), encoding="utf-8")


YOUCOOK2 = {
    "database": {
        a.id: {
            "duration": a.duration,
            "subset": "validation",
            "annotations": [
                {"segment": [s.start, s.end], "sentence": s.caption} for s in a.segments
            ],
        }
        for a in ANNS
    }
}
VITT = [{"id": a.id, "annotations": [{"timestamp": s.start * 1000, "tag": s.caption}
                                     for s in a.segments]} for a in ANNS]  # fmt: skip
CAPTION_PRED = {f"{a.id}.mp4": [{"timestamp": [s.start, s.end], "caption": s.caption}
                                for s in a.segments] for a in ANNS}  # fmt: skip
DEMO_BOTH = [{"id": a.id, "motion": f"{a.id}.npy", "gt": format_demo_string(a.segments),
              "generated": format_demo_string(a.segments[::-1][:1])} for a in ANNS]  # fmt: skip
RESULT = {"signature": {"protocol": "strict"}, "counts": {"gt_videos": 2},
          "metrics": {"SODA_c": 10.0, "CIDEr": 20.0}}  # fmt: skip

#: name -> (writer, what the content holds: gt, pred, both, results or None for neutral text)
FILES: dict[str, tuple[Callable[[Path], None], str | None]] = {
    "anet-gt": (_dump("anet-gt", "gt"), "gt"),
    "demo-gt": (_dump("demo", "gt"), "gt"),
    "youcook2": (_json(YOUCOOK2), "gt"),
    "vitt": (_json(VITT), "gt"),
    "anet-pred": (_dump("anet-pred", "pred"), "pred"),
    "demo-pred": (_dump("demo", "pred"), "pred"),
    "caption-pred": (_json(CAPTION_PRED), "pred"),
    "demo-both": (_json(DEMO_BOTH), "both"),
    "stmc": (_dump("stmc", "gt"), None),
    "result": (_json(RESULT), "results"),
}
#: The format each file is named with to read it as either role anyway.
EXPLICIT = {"anet-gt": "anet-gt", "demo-gt": "demo", "youcook2": "youcook2", "vitt": "vitt",
            "anet-pred": "anet-pred", "demo-pred": "demo", "caption-pred": "caption-pred"}  # fmt: skip


def _write(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.{'txt' if name == 'stmc' else 'json'}"
    FILES[name][0](path)
    return path


def _load(path: Path, role: str, fmt: str = "auto") -> list:
    return load_any(path, role=role, fmt=fmt, durations=DURATIONS, past_duration="keep")


@pytest.mark.parametrize("role", ["gt", "pred"])
@pytest.mark.parametrize("name", sorted(FILES))
def test_a_file_loads_in_its_role_and_is_refused_in_the_other(
    tmp_path: Path, name: str, role: str
) -> None:
    path = _write(tmp_path, name)
    holds = FILES[name][1]
    if holds in (role, "both", None):
        sets = _load(path, role)
        assert {v for s in sets for v in s.annotations} <= {"v0", "v1", "v0.mp4", "v1.mp4"}
        assert sum(len(s.annotations) for s in sets) >= 2
        return
    with pytest.raises(AnnotationError) as err:
        _load(path, role)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    if holds == "results":
        assert "result file" in msg
    else:
        assert "swapped" in msg
        assert ("holds ground truth" if holds == "gt" else "holds predictions") in msg


@pytest.mark.parametrize("name", sorted(EXPLICIT))
def test_an_explicit_format_reads_a_file_in_the_role_asked(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name)
    other = "pred" if FILES[name][1] == "gt" else "gt"
    if name == "demo-pred":
        # DEMO predictions carry no 'gt' string: named explicitly, the reader says which field.
        with pytest.raises(AnnotationError, match="field 'gt'"):
            _load(path, other, EXPLICIT[name])
        return
    if name == "caption-pred":
        # read as ground truth, its ids ('v0.mp4') must be in the durations given, as any GT id
        with pytest.raises(AnnotationError, match="field 'duration'"):
            _load(path, other, EXPLICIT[name])
        return
    sets = _load(path, other, EXPLICIT[name])
    assert sum(len(s.annotations) for s in sets) >= 2


def test_content_of_every_file(tmp_path: Path) -> None:
    for name in ("anet-gt", "demo-gt", "anet-pred", "demo-pred", "demo-both", "stmc", "result"):
        assert file_content(_write(tmp_path, name))[1] == FILES[name][1], name
    assert content_of(YOUCOOK2, "youcook2")[0] == "gt"
    assert content_of(VITT, "vitt")[0] == "gt"
    assert content_of(CAPTION_PRED, "caption-pred")[0] == "pred"
    assert content_of([], "demo")[0] is None  # an empty list tells nothing: never refused


def test_a_demo_list_is_judged_by_all_its_records(tmp_path: Path) -> None:
    """One record with ``generated`` among ground-truth records makes the file hold both."""
    recs = [{"id": a.id, "gt": format_demo_string(a.segments)} for a in ANNS]
    recs[1]["generated"] = "00:00:00 - waves"
    assert content_of(recs, "demo")[0] == "both"
    assert content_of(recs[:1], "demo")[0] == "gt"


def test_released_demo_files_load_in_their_roles(demo_release: Path) -> None:
    """DEMO's released test split (``gt``) and predictions (``generated``) are never refused in
    their role, and each is refused as the other's."""
    durations = json.loads((demo_release / "durations_imputed.json").read_text())
    roles = {"test.json": "gt", "result.json": "pred"}
    for path in sorted(demo_release.glob("*.json")):
        if path.name.startswith("durations"):
            continue
        role = (
            roles.get(path.name)
            or {"gt": "gt", "pred": "pred", "both": "pred"}[str(file_content(path)[1])]
        )
        (aset,) = load_any(path, role=role, durations=durations, past_duration="keep")
        assert len(aset.annotations) == 6000
        if path.name in roles:
            other = "pred" if role == "gt" else "gt"
            with pytest.raises(AnnotationError, match="swapped"):
                load_any(path, role=other, durations=durations, past_duration="keep")
