"""The `selfdata` command: the gateway's command line with the web application plugged in.

``gateway`` never imports ``webui`` (the web only presents what the gateway holds), yet
``selfdata serve`` and ``selfdata demo`` serve the web pages. This package is the one place
that knows both: it hands ``webui.app.make_app`` to the gateway's CLI, which hands it to the
service (``gateway.service.Gateway(config, web_app=...)``). See docs/architecture.md.
"""
from __future__ import annotations

from gateway import cli
from webui.app import make_app


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, web_app=make_app)
