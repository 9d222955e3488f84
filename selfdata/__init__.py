"""The `selfdata` command: the gateway's command line with the web application plugged in.

``gateway`` never imports ``webui`` (the web only presents what the gateway holds), yet
``selfdata serve`` and ``selfdata demo`` serve the web pages. This package is the one place
that knows both: it hands ``webui.app.make_app`` to the gateway's CLI, which hands it to the
service (``gateway.service.Gateway(config, web_app=...)``). See docs/architecture.md.
"""
from __future__ import annotations

import os

# aiohttp's FrozenList (its signal and middleware lists) in pure Python: the compiled one is
# C++ and maps libstdc++ (0.9 MB resident) into a box with no other use for it, for lists of
# a few items read a few times per request (issue #8, bench/ingest.py). Set before aiohttp
# is imported; FROZENLIST_NO_EXTENSIONS="" in the environment keeps the compiled one.
os.environ.setdefault("FROZENLIST_NO_EXTENSIONS", "1")

from gateway import cli  # noqa: E402
from webui.app import make_app  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, web_app=make_app)
