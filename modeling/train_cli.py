"""`compmo-train stage1|stage2 [--config YAML] [--KEY VALUE ...]`: every TrainConfig key is an option."""

from __future__ import annotations

import argparse
import dataclasses

from compmo_gen.core.errors import UserError
from modeling.config import ConfigError, TrainConfig, build_config


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(stage=parser.prog.split()[-1])
    parser.add_argument("--config", help="YAML file of config keys (options below override it)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override any key"
    )
    keys = parser.add_argument_group("config keys (see modeling/config.py)")
    for f in dataclasses.fields(TrainConfig):
        if f.name in ("stage", "quiet"):
            continue
        default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
        keys.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f"cfg_{f.name}",
            default=None,
            metavar="V",
            help=f"default: {default}",
        )


def run(args: argparse.Namespace) -> int:
    overrides = list(args.set)
    for f in dataclasses.fields(TrainConfig):
        value = getattr(args, f"cfg_{f.name}", None)
        if value is not None:
            overrides.append(f"{f.name}={value}")
    try:
        cfg = build_config(args.config, overrides, stage=args.stage, quiet=args.quiet)
    except ConfigError as exc:
        raise UserError(f"config: {exc}") from None
    from modeling.train import train

    try:
        report = train(cfg)
    except (FileNotFoundError, ValueError) as exc:
        from compmo_gen.core.errors import AnnotationError

        if isinstance(exc, AnnotationError):
            raise
        raise UserError(str(exc)) from None
    tps = report.get("tokens_per_s")
    print(
        f"{cfg.stage}: {report['examples']} examples, loss {report.get('train_loss', float('nan')):.4f}, "
        f"{report.get('train_runtime', 0):.1f} s, {tps} tokens/s -> {cfg.output_dir}"
    )
    return 0
