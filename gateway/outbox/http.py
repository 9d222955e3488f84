"""The one way the box talks to an aggregator: a fresh connection per request, no cookies,
and headers that are the same on every box (no version, no box id, no member), so that the
requests of two members never share a connection or anything else that could link them.

What still links them is the box's IP address at the moment of sending; members' messages
leave at independently jittered moments (docs/city-link.md), and an aggregator URL can be a
relay's (Oblivious HTTP, Tor's HTTP front) that hides the address.
"""
from __future__ import annotations

import asyncio
import json

import aiohttp

from .errors import Unreachable

USER_AGENT = "selfdata-gateway"
HEADERS = {"User-Agent": USER_AGENT}


async def post(base: str, path: str, data: bytes, timeout: float) -> tuple[int, dict]:
    """POST one wire message; (HTTP status, the JSON answer)."""
    return await _request("POST", base + path, timeout, data=data,
                          headers={**HEADERS, "Content-Type": "application/json"})


async def get(base: str, path: str, timeout: float) -> tuple[int, dict]:
    return await _request("GET", base + path, timeout, headers=HEADERS)


async def _request(method: str, url: str, timeout: float, **kwargs) -> tuple[int, dict]:
    # force_close: one connection per request, never reused by the next member's message.
    connector = aiohttp.TCPConnector(force_close=True, limit=1)
    try:
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                         skip_auto_headers=("User-Agent",),
                                         timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.request(method, url, allow_redirects=False, **kwargs) as r:
                text = await r.text()
                status = r.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise Unreachable(f"{url}: {type(exc).__name__}: {exc}".rstrip(": ")) from None
    try:
        answer = json.loads(text)
    except ValueError:
        # A proxy's error page, a captive portal: not the aggregator speaking.
        raise Unreachable(f"{url}: HTTP {status}, not a JSON answer") from None
    if not isinstance(answer, dict):
        raise Unreachable(f"{url}: HTTP {status}, not a JSON object")
    return status, answer
