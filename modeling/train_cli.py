"""`compmo-train stage1|stage2 [--config YAML] [--set KEY=VALUE] [--KEY VALUE ...]`: every
TrainConfig key is an option (help from its ``#:`` comment in modeling/config.py)."""

from __future__ import annotations

import argparse
import dataclasses
import logging

from compmo_gen.core.config import parse_sets
from compmo_gen.core.config_cli import add_options, options_given
from modeling.config import TrainConfig, build_config

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file of config keys (options below override it)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any key (after --config, before the options below)",
    )
    keys = parser.add_argument_group("config keys (YAML keys of --config; modeling/config.py)")
    add_options(keys, TrainConfig, skip=("stage", "quiet"))


def run(args: argparse.Namespace) -> int:
    from modeling.zero_config import launched_by_launcher

    given = options_given(args, TrainConfig)
    cfg = build_config(args.config, args.set, **given, stage=args.command, quiet=args.quiet)
    explicit = "deepspeed" in given or "deepspeed" in parse_sets(args.set)
    if cfg.deepspeed and not explicit and not launched_by_launcher():
        log.warning(
            "deepspeed: %s not used in a single process (no launcher); pass --deepspeed FILE "
            "to use it anyway",
            cfg.deepspeed,
        )
        cfg = dataclasses.replace(cfg, deepspeed=None)
    from modeling.train import train  # checks the GPUs, then every input, then loads

    report = train(cfg)
    tps = report.get("tokens_per_s")
    print(
        f"{cfg.stage}: {report['examples']} examples, loss {report.get('train_loss', float('nan')):.4f}, "
        f"{report.get('train_runtime', 0):.1f} s, {tps} tokens/s -> {cfg.output_dir}"
    )
    return 0
