"""What the page tests share: a browser-like HTTP client (cookies for 127.0.0.1) logged in
as a member of the household with history, sending its session's CSRF token as the pages'
scripts do (``csrf=False``: a client that does not, as another site's page could not)."""
from __future__ import annotations

import contextlib
import re

import aiohttp

from harness import PASSWORD, base_url


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@contextlib.asynccontextmanager
async def logged_in(gw, name: str = "alice", lang: str = "en", *, csrf: bool = True):
    async with client() as session:
        session.headers["Accept-Language"] = lang
        async with session.post(base_url(gw) + "/login", allow_redirects=False,
                                data={"name": name, "password": PASSWORD, "next": "/"}) as r:
            assert r.status == 302, await r.text()
        if csrf:
            status, page = await get(session, gw, "/settings")
            token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
            assert status == 200 and token, page[:300]
            session.headers["X-CSRF-Token"] = token.group(1)
        yield session


async def get(session, gw, path: str, **kw):
    async with session.get(base_url(gw) + path, allow_redirects=False, **kw) as r:
        return r.status, await r.text()
