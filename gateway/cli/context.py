"""What a command needs: the effective configuration and, on demand, the opened store."""
from __future__ import annotations

import getpass
import json
import sys
from dataclasses import dataclass, field
from typing import Callable

from .. import config as cfgmod
from ..accounts import AccountError
from ..outbox import KeyMissing, LinkError
from ..store import Store
from ..tls.errors import ClockNotSet


class UsageError(Exception):
    """A command given something it cannot use (a date it cannot read, a missing option)."""


@dataclass
class CommandContext:
    """What a command's ``run(args, ctx)`` gets: the effective configuration, the store
    (opened on first use) and, for ``serve`` and ``demo``, the web application's factory."""

    config: cfgmod.Config
    # The web application's factory, handed to the service by `serve` and `demo`.
    web_app: Callable | None = None
    _store: Store | None = field(default=None, repr=False)
    # Errors that are the user's to fix: printed as one line, exit code 1.
    user_errors: tuple = (AccountError, cfgmod.ConfigError, UsageError, LinkError, KeyMissing,
                          ClockNotSet)

    @classmethod
    def from_args(cls, args, *, web_app=None) -> "CommandContext":
        config = cfgmod.load(getattr(args, "config", None),
                             data_dir=getattr(args, "data_dir", None))
        if getattr(args, "data_dir", None):
            config.gateway.data_dir = args.data_dir
        return cls(config, web_app)

    def require_web_app(self) -> Callable:
        if self.web_app is None:
            raise UsageError("this command serves the web pages: run it as `selfdata ...` "
                             "(the `selfdata` package plugs the web application in)")
        return self.web_app

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.config.db_path).open()
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def read_secret(prompt: str) -> str:
    """A password from the terminal (asked twice), or one line of standard input in scripts."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("again: ") != first:
            raise UsageError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    if not line:
        raise UsageError("no password on standard input")
    return line.rstrip("\r\n")


def print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
