"""What the page tests share: a browser-like HTTP client (cookies for 127.0.0.1) logged in
as a member of the household with history."""
from __future__ import annotations

import contextlib

import aiohttp

from harness import PASSWORD, base_url


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@contextlib.asynccontextmanager
async def logged_in(gw, name: str = "alice", lang: str = "en"):
    async with client() as session:
        session.headers["Accept-Language"] = lang
        async with session.post(base_url(gw) + "/login", allow_redirects=False,
                                data={"name": name, "password": PASSWORD, "next": "/"}) as r:
            assert r.status == 302, await r.text()
        yield session


async def get(session, gw, path: str, **kw):
    async with session.get(base_url(gw) + path, allow_redirects=False, **kw) as r:
        return r.status, await r.text()
