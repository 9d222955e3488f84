"""Security headers on every answer: pages, the API, static files and errors (401, 404,
413, 500, and a malformed request aiohttp answers itself); the CSP is built from the
configuration; the Server header names no version."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from harness import PASSWORD, base_url
from helpers import basic
from web_helpers import box
from webui.app import make_app
from webui.headers import content_security_policy, tile_source

ALICE = basic("alice", PASSWORD)


def _crashing_app(gw):
    """The real application plus one route whose handler has a bug."""
    app = make_app(gw)

    async def boom(request):
        raise RuntimeError("a bug in a handler")

    app.router.add_get("/api/1/boom", boom)
    return app


@pytest.fixture
async def gw(household):
    async with box(household, web_app=_crashing_app) as gw:
        yield gw


def _check(headers, what):
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'", "form-action 'self'"):
        assert directive in csp, (what, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("Server") == "selfdata", (what, headers.get("Server"))


@pytest.mark.parametrize("path, auth, status", [
    ("/login", None, 200),                 # a page
    ("/setup", None, 302),                 # a redirect (the box is set up)
    ("/static/style.css", None, 200),      # a static file
    ("/api/0/version", ALICE, 200),        # the API
    ("/api/0/last", None, 401),            # no login
    ("/api/0/nothing-here", ALICE, 404),   # no such route
    ("/api/1/boom", ALICE, 500),           # a crashed handler
    ("/healthz", None, 200),
])
async def test_every_answer_carries_the_headers(gw, path, auth, status):
    async with aiohttp.ClientSession() as s:
        async with s.get(base_url(gw) + path, headers=auth, allow_redirects=False) as r:
            assert r.status == status
            _check(r.headers, path)
            if auth is not None:
                assert r.headers.get("Cache-Control") == "no-store"


async def test_a_too_large_body_and_a_refused_origin_carry_them_too(gw):
    async with aiohttp.ClientSession() as s:
        async with s.post(base_url(gw) + "/login", data=b"x" * 100_000,
                          headers={"Content-Type": "application/x-www-form-urlencoded"}) as r:
            assert r.status == 413
            _check(r.headers, "413")
        async with s.post(base_url(gw) + "/login", data={"name": "a"},
                          headers={"Origin": "http://elsewhere.example"}) as r:
            assert r.status == 403
            _check(r.headers, "403")


async def test_a_malformed_request_does_not_name_aiohttp_either(gw):
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.web_port)
    writer.write(b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    assert b"aiohttp" not in answer.lower() and b"Server: selfdata" in answer


def test_the_csp_allows_the_configured_map_tiles_and_nothing_else(household):
    config = household.config
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in content_security_policy(config)
    config.web.map_tile_url = "https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png"
    assert "img-src 'self' data: https://*.tiles.example.org:8443;" in content_security_policy(config)
    config.web.map_tile_url = "javascript:alert(1)"
    assert "img-src 'self' data:;" in content_security_policy(config)
    assert tile_source("") is None


async def test_the_session_cookie_page_is_not_cached(gw):
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as s:
        async with s.post(base_url(gw) + "/login", data={"name": "alice", "password": PASSWORD}) as r:
            assert r.status == 200 and "Hello" in await r.text()
            assert r.headers["Cache-Control"] == "no-store"
            _check(r.headers, "home")
