"""Resource bounds of the command lines: --jobs never above the usable cores (one warning), and
compmo-eval paragraph refuses an over-long paragraph in one line before METEOR starts."""

from __future__ import annotations

import json
import logging

import pytest

from compmo_gen.core.procs import clamp_jobs, usable_cores
from evaluation.cli import main


def test_clamp_jobs_lowers_to_the_usable_cores_with_one_warning(caplog):
    cores = usable_cores()
    with caplog.at_level(logging.WARNING):
        assert clamp_jobs(cores) == cores
        assert not caplog.records
        assert clamp_jobs(cores + 30) == cores
    assert len(caplog.records) == 1 and f"--jobs {cores + 30} lowered to {cores}" in caplog.text
    assert clamp_jobs(0) == 1


def test_score_config_clamps_jobs(tmp_path, caplog):
    from compmo_gen.core.cli import OneLineParser
    from evaluation.score_cli import configure, eval_config

    parser = OneLineParser(prog="score")
    configure(parser)
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(["p.json", "--gt", "g.json", "--jobs", "999"])
    with caplog.at_level(logging.WARNING):
        assert eval_config(args).jobs == usable_cores()
    assert "--jobs 999 lowered" in caplog.text


def _paragraph_files(tmp_path, n_sentences: int, words: int = 10) -> None:
    sent = " ".join(["walks"] * words)
    gt = {"v1": {"duration": 1000.0, "timestamps": [[i, i + 1] for i in range(n_sentences)],
                 "sentences": [sent] * n_sentences}}  # fmt: skip
    pred = {"results": {"v1": [{"timestamp": [i, i + 1], "sentence": sent}
                               for i in range(n_sentences)]}}  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(pred))


@pytest.mark.parametrize("which", ["gt", "pred"])
def test_paragraph_refuses_a_paragraph_over_max_words(tmp_path, capsys, monkeypatch, which):
    monkeypatch.chdir(tmp_path)
    _paragraph_files(tmp_path, 30)  # 300 words each side
    if which == "pred":  # only the prediction is long
        doc = json.loads((tmp_path / "gt.json").read_text())
        doc["v1"]["sentences"] = ["walks"] * 30
        (tmp_path / "gt.json").write_text(json.dumps(doc))
    assert main(["paragraph", "pred.json", "--gt", "gt.json", "--max-words", "200"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "record 'v1'" in err[0] and "paragraph of 300 words" in err[0]
    assert ("pred.json" if which == "pred" else "gt.json") in err[0]


def test_paragraph_jobs_below_one_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _paragraph_files(tmp_path, 2)
    assert main(["paragraph", "pred.json", "--gt", "gt.json", "--jobs", "0"]) == 2
    assert "--jobs 0" in capsys.readouterr().err
