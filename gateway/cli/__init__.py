"""`selfdata`: a thin command line over the gateway library.

Each subcommand lives in ``gateway/cli/commands/<name>.py`` and defines
``register(subparsers, common)``, where ``common`` is the parent parser carrying
``--config`` and ``--data-dir``; its handler is ``func(args, ctx) -> exit code`` with a
``CommandContext``. Errors that are the user's to fix (an unknown member, a date that cannot
be read) print one line, ``selfdata: ...``, and exit with 1.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from .. import __version__, logs
from ..config import ConfigError
from . import commands
from .context import CommandContext


def command_names() -> list[str]:
    """Each module of ``commands`` is the command of its name (``import_`` is ``import``)."""
    return sorted(i.name.rstrip("_") for i in pkgutil.iter_modules(commands.__path__))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or only ``command``'s: ``selfdata serve`` then does not import
    what the other commands need (the simulated household, the importers...), which the
    running box would otherwise hold for nothing."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="TOML configuration file (default: $SELFDATA_CONFIG, then "
                             "/etc/selfdata/gateway.toml when it exists)")
    common.add_argument("--data-dir", metavar="PATH",
                        help="where the database and generated files live (overrides the "
                             "configuration)")
    parser = argparse.ArgumentParser(
        prog="selfdata", description="A household's own mobility data box.")
    parser.add_argument("--version", action="version", version=f"selfdata {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if command is None or info.name.rstrip("_") == command:
            importlib.import_module(f"{commands.__name__}.{info.name}").register(sub, common)
    return parser


def main(argv: list[str] | None = None, *, web_app=None) -> int:
    """Run one command; ``web_app`` is the web application's factory that ``serve`` and
    ``demo`` hand to the service (the ``selfdata`` package passes ``webui.app.make_app``)."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and argv[0] in command_names() else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        ctx = CommandContext.from_args(args, web_app=web_app)
    except ConfigError as exc:
        print(f"selfdata: configuration: {exc}", file=sys.stderr)
        return 2
    logs.setup(ctx.config.gateway.log_level)
    try:
        code = args.func(args, ctx) or 0
        sys.stdout.flush()  # a reader that went away shows here, not at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:
        return 130
    except ctx.user_errors as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()


def _reader_gone() -> int:
    """`selfdata trips | head`: the reader stopped reading. Stop quietly, as Unix tools do
    (exit status 128 + SIGPIPE), and keep Python's final flush from complaining again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141
