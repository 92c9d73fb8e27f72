"""The one record loop (``check_records``) behaves the same for compmo's formats and the field's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compmo_gen.core.errors import AnnotationError
from compmo_gen.core.formats import load_annotations
from compmo_gen.core.formats.extra import load_any

YC2 = Path(__file__).parents[2] / "evaluation" / "fixtures" / "yc2_timechat"
YC2_FILE = YC2 / "youcookii_annotations_val_excerpt.json"


def _ids() -> list[str]:
    (aset,) = load_any(YC2_FILE, role="gt", past_duration="keep")
    return sorted(aset.annotations)


@pytest.mark.parametrize("loader", ["anet-gt", "youcook2"])
def test_gt_id_missing_from_durations_is_an_error_or_a_counted_skip(tmp_path, loader):
    if loader == "anet-gt":
        path = tmp_path / "gt.json"
        seg = {"timestamps": [[0, 1]], "sentences": ["a person walks"]}
        path.write_text(
            json.dumps({"v1": {"duration": 4.0, **seg}, "v2": {"duration": 4.0, **seg}})
        )
        ids = ["v1", "v2"]
    else:
        path, ids = YC2_FILE, _ids()
    durations = {vid: 1000.0 for vid in ids[1:]}  # the first id has none
    with pytest.raises(AnnotationError, match="id not in the durations given"):
        load_any(path, role="gt", durations=durations, past_duration="keep")
    (aset,) = load_any(path, role="gt", durations=durations, past_duration="keep", lenient=True)
    assert sorted(aset.annotations) == ids[1:] and aset.report.skipped
    assert all(a.duration == 1000.0 for a in aset.annotations.values())  # durations override
    (own,) = load_any(path, role="gt", past_duration="keep")  # no durations: the file's own
    assert sorted(own.annotations) == ids


def test_a_bad_record_fails_or_is_a_counted_skip_when_lenient(tmp_path):
    path = tmp_path / "gt.json"
    path.write_text('{"v1": {"duration": 2, "timestamps": [[0, 1]], "sentences": ["x"]},'
                    ' "v2": {"duration": 2, "timestamps": [[1, 0.5]], "sentences": ["y"]}}')  # fmt: skip
    with pytest.raises(AnnotationError, match="v2"):
        load_annotations(path, role="gt")
    aset = load_annotations(path, role="gt", lenient=True)
    assert list(aset.annotations) == ["v1"] and len(aset.report.skipped) == 1
