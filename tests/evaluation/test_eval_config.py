"""`compmo-eval score --config/--set`: settings layered as in `compmo-gen build` (defaults, YAML,
--set, then options), one `jobs` default, errors in one line with exit code 2."""

from __future__ import annotations

import json

from compmo_gen.core.cli import OneLineParser
from evaluation.cli import main
from evaluation.config import EvalConfig, default_jobs
from evaluation.score_cli import configure, eval_config

from .test_parity import make_fixture


def _args(*argv: str):
    parser = OneLineParser(prog="compmo-eval score")
    configure(parser)
    parser.add_argument("-q", "--quiet", action="store_true")
    return parser.parse_args(["p.json", "--gt", "g.json", *argv])


def test_layers_and_effective_values(tmp_path):
    yaml = tmp_path / "eval.yaml"
    yaml.write_text("protocol: demo\nmax_proposals: 50\njobs: 2\nchunk: 20\n")
    args = _args("--config", str(yaml), "--set", "max_proposals=7", "--jobs", "1", "-q")
    cfg = eval_config(args)
    assert (cfg.protocol, cfg.max_proposals, cfg.jobs, cfg.chunk, cfg.progress) == (
        "demo", 7, 1, 20, False,
    )  # fmt: skip
    assert (args.protocol, args.max_proposals, args.jobs) == ("demo", 7, 1)  # as the code reads
    assert eval_config(_args()).jobs == EvalConfig().jobs == default_jobs()  # one default


def test_bad_setting_is_one_line_exit_2(tmp_path, capsys):
    gt, pred = make_fixture(3, n_videos=2)
    g, p = tmp_path / "gt.json", tmp_path / "pred.json"
    g.write_text(json.dumps(gt))
    p.write_text(json.dumps({"results": pred}))
    yaml = tmp_path / "eval.yaml"
    for argv, words in (
        (["--set", "max_proposal=3"], ["max_proposal", "did you mean"]),
        (["--set", "tious=0.5,nan"], ["tious", "finite"]),
        (["--config", str(yaml)], [str(yaml), "jobs"]),
    ):
        yaml.write_text("jobs: 0\n")
        assert main([str(p), "--gt", str(g), "-q", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and all(w in err[0] for w in words), err
