"""Security headers on every answer: pages, the API, redirects and errors alike.

Added in aiohttp's ``on_response_prepare`` signal, which runs for every response the
application sends (an ``HTTPException`` raised anywhere, a 500 from a crashed handler, a
websocket handshake), so no handler can forget them.

* ``Content-Security-Policy``: only this box's own scripts and styles (no inline script,
  no inline style), images from the box, ``data:`` and the map's tile host
  (``web.map_tile_url``); never framed (``frame-ancestors 'none'``), forms post only here.
* ``X-Frame-Options: DENY`` for browsers without CSP, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin`` (a link out never carries a page's address).
* ``Server: selfdata``: the version of aiohttp is nobody's business.
* ``Cache-Control: no-store`` on what a logged-in member gets: a shared computer's cache
  must not keep someone's trips.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web, web_response

from gateway.config import Config

from .keys import MEMBER, SECURITY_HEADERS

SERVER = "selfdata"
# aiohttp writes its own name and version into the answers it makes before any
# application code runs (a malformed request's 400): those say "selfdata" too.
web_response.SERVER_SOFTWARE = SERVER


def tile_source(url: str) -> str | None:
    """The CSP source for a tile URL template: its scheme and host, with a `{s}`
    subdomain placeholder as a wildcard (`https://{s}.tile.example/...` ->
    `https://*.tile.example`)."""
    try:
        parts = urlsplit(url.replace("{s}", "s-placeholder"))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.netloc.replace("s-placeholder", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(config: Config) -> str:
    images = " ".join(filter(None, ("'self'", "data:", tile_source(config.web.map_tile_url))))
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'",
        f"img-src {images}", "connect-src 'self'", "font-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'"))


def security_headers(config: Config) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(config),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def setup(app: web.Application, config: Config) -> None:
    app[SECURITY_HEADERS] = security_headers(config)
    app.on_response_prepare.append(_add_headers)


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in request.app[SECURITY_HEADERS].items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = SERVER
    if request.get(MEMBER) is not None:
        response.headers.setdefault("Cache-Control", "no-store")


def cookie_secure(request: web.Request, config: Config) -> bool:
    """Secure cookies over HTTPS (seen on the request, or declared by the admin when a
    proxy terminates TLS in front of the box: ``web.secure_cookies``)."""
    return request.secure or config.web.secure_cookies
