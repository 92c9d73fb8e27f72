"""`compmo-gen stats`: a damaged metadata record or sources.json is one line naming the file, the
record and the field (exit 2), never a traceback or a blanket "malformed records"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compmo_gen.cli import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stats") / "d"
    small = ["--num", "12", "--set", "chunk=6", "--set", "library.per_kind=1", "-q"]
    assert main(["build", "--out", str(out), "--workers", "1", *small]) == 0
    return out


def _damage(rec: dict, how: str) -> None:
    if how == "split":
        rec["split"] = "holdout"
    elif how == "id":
        rec["id"] = "no-such-id"
    elif how == "qc.attempt":
        rec["qc"]["attempt"] = "0"
    elif how == "qc.figures":
        rec["qc"]["figures"] = {"jerk": "high"}
    elif how == "qc.rejected":
        rec["qc"]["rejected"] = [7]


@pytest.mark.parametrize("field", ["split", "id", "qc.attempt", "qc.figures", "qc.rejected"])
def test_bad_record_names_line_and_field(dataset, tmp_path, capsys, field):
    out = tmp_path / "d"
    shutil.copytree(dataset, out)
    meta = out / "metadata" / "train.jsonl"
    lines = meta.read_text().splitlines()
    rec = json.loads(lines[1])
    _damage(rec, field)
    lines[1] = json.dumps(rec)
    meta.write_text("\n".join(lines) + "\n")
    assert main(["stats", str(out), "--no-save"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and meta.name in err[0] and "line 2" in err[0] and field in err[0], err


def test_bad_sources_json(dataset, tmp_path, capsys):
    out = tmp_path / "d"
    shutil.copytree(dataset, out)
    (out / "sources.json").write_text(json.dumps({"source": ["procedural"]}))
    assert main(["stats", str(out), "--no-save"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sources.json" in err[0] and "source" in err[0]
    assert main(["stats", str(dataset), "--no-save"]) == 0  # the intact dataset still reads
