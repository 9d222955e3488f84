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
import pkgutil
import sys

from .. import __version__, logs
from ..config import ConfigError
from . import commands
from .context import CommandContext


def build_parser() -> argparse.ArgumentParser:
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
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub, common)
    return parser


def main(argv: list[str] | None = None, *, web_app=None) -> int:
    """Run one command; ``web_app`` is the web application's factory that ``serve`` and
    ``demo`` hand to the service (the ``selfdata`` package passes ``webui.app.make_app``)."""
    parser = build_parser()
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
        return args.func(args, ctx) or 0
    except KeyboardInterrupt:
        return 130
    except ctx.user_errors as exc:
        print(f"selfdata: {exc}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
