"""A tiny lazy sub-command dispatcher shared by every compmo console script.

Each sub-command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``.
Modules are imported only when their command runs, so ``--help`` stays instant (no torch import).
Domain errors (:class:`~compmo_gen.core.errors.CompmoError`: bad input files, bad options, missing
Java, ...) become a one-line message and exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from compmo_gen.core.errors import CompmoError
from compmo_gen.core.options import show_value
from compmo_gen.core.readers import tracking_inputs

log = logging.getLogger(__name__)

#: Exit code for bad input or a missing prerequisite.
EXIT_USAGE = 2


@dataclass(frozen=True)
class Command:
    module: str
    help: str


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see --help)\n")


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that states every option's default: ``(default: X)`` is appended where the help text
    does not mention a default already (a None, False or suppressed default is not shown)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or action.nargs == 0  # a flag: its default is "not given"
        ):
            return text
        return f"{text} (default: {show_value(default).replace('%', '%%')})"


def _usage(prog: str, commands: Mapping[str, Command], default: str | None) -> str:
    width = max(len(name) for name in commands)
    lines = [f"usage: {prog} <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {cmd.help}" for name, cmd in commands.items()]
    if default:
        lines += ["", f"With no command name, `{prog} ARGS` means `{prog} {default} ARGS`."]
    lines += ["", f"Run `{prog} <command> --help` for the options of a command; -q (quiet) and"]
    lines += ["-v (debug) may also come before the command."]
    return "\n".join(lines)


#: Options of every command that may also come before the command name.
LOGGING_FLAGS = ("-q", "--quiet", "-v", "--verbose")
#: Environment that silences the progress bars of the libraries a command may load (tqdm,
#: huggingface_hub, transformers, datasets); set by ``-q`` unless the user set them already.
QUIET_ENV = {
    "TQDM_DISABLE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "DATASETS_VERBOSITY": "error",
}


def quiet_progress_bars() -> dict[str, str]:
    """``-q``: no progress bars from the libraries either (in this process and its children);
    returns the variables it set, for :func:`dispatch` to unset after the command."""
    added = {k: v for k, v in QUIET_ENV.items() if k not in os.environ}
    os.environ.update(added)
    return added


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def dispatch(
    prog: str,
    commands: Mapping[str, Command],
    argv: Sequence[str] | None = None,
    *,
    default: str | None = None,
) -> int:
    """Parse ``argv`` (``sys.argv[1:]`` by default), run the chosen command, return its exit code."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    lead = []  # -q / -v before the command name apply to it as if given after
    while args_in and args_in[0] in LOGGING_FLAGS:
        lead.append(args_in.pop(0))
    if not args_in or args_in[0] in ("-h", "--help"):
        print(_usage(prog, commands, default))
        return 0 if args_in else EXIT_USAGE
    if args_in[0] == "--version":
        from compmo_gen.core import __version__

        print(f"{prog} {__version__}")
        return 0
    name = args_in[0]
    if name in commands:
        args_in = args_in[1:]
    elif default is not None:
        name = default
    else:
        print(
            f"{prog}: error: unknown command {name!r}\n\n{_usage(prog, commands, default)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    args_in = lead + args_in
    cmd = commands[name]
    module = importlib.import_module(cmd.module)
    parser = OneLineParser(
        prog=f"{prog} {name}", description=cmd.help, formatter_class=DefaultsHelpFormatter
    )
    parser.set_defaults(command=name)  # one module may serve several commands (stage1, stage2)
    module.configure(parser)
    group = parser.add_argument_group("logging")
    group.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and errors, no progress bars"
    )
    group.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    from compmo_gen.core.single_value import clean_namespace, forbid_repeated_options

    args = clean_namespace(forbid_repeated_options(parser).parse_args(args_in))
    setup_logging(-1 if args.quiet else 1 if args.verbose else 0)
    added = quiet_progress_bars() if args.quiet else {}
    try:
        with tracking_inputs():  # no output may replace a file the command read
            return int(module.run(args) or 0)
    except CompmoError as exc:
        print(f"{prog} {name}: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog} {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout left (`| head`): stop quietly, as on SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        for key in added:  # a caller running several commands in one process gets its env back
            os.environ.pop(key, None)


def one_line(message: str, limit: int = 2000) -> str:
    """A message as one bounded line (newlines and control characters escaped)."""
    text = (
        message.encode("unicode_escape", "backslashreplace").decode("ascii")
        if not message.isprintable()
        else message
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."
