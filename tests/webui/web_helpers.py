"""What the web security tests share: a browser-like client (cookies for 127.0.0.1, a chosen
source address), logging in, the page's CSRF token, and a fresh box with no member."""
from __future__ import annotations

import contextlib
import re

import aiohttp

from gateway.service import Gateway
from harness import PASSWORD, base_url, make_config
from webui.app import make_app

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def browser(source: str | None = None) -> aiohttp.ClientSession:
    """A client that keeps cookies like a browser (aiohttp's default jar refuses IP hosts),
    connecting from ``source`` (any 127.x.y.z: one loopback address per simulated client)."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0)) if source else None
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector)


async def login(session, gw, name: str = "alice", password: str = PASSWORD) -> aiohttp.ClientResponse:
    async with session.post(base_url(gw) + "/login", allow_redirects=False,
                            data={"name": name, "password": password, "next": "/"}) as r:
        await r.read()
        return r


async def page_token(session, gw, path: str = "/") -> str:
    """The CSRF token a page gives its forms and scripts (both must agree)."""
    async with session.get(base_url(gw) + path) as r:
        html = await r.text()
        assert r.status == 200, html
    meta, field = _META.search(html), _FIELD.search(html)
    assert meta and field and meta.group(1) == field.group(1), html
    return meta.group(1)


@contextlib.asynccontextmanager
async def fresh_box(tmp_path, *, web_app=make_app, **web):
    """A gateway with no member yet (first run), ``web`` settings applied."""
    config = make_config(tmp_path / "data")
    for key, value in web.items():
        setattr(config.web, key, value)
    gw = Gateway(config, web_app=web_app)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


@contextlib.asynccontextmanager
async def box(household, *, web_app=make_app, **web):
    """A gateway for the two-member household, ``web`` settings applied."""
    for key, value in web.items():
        setattr(household.config.web, key, value)
    gw = Gateway(household.config, web_app=web_app)
    await gw.start()
    gw.household = household
    try:
        yield gw
    finally:
        await gw.stop()
