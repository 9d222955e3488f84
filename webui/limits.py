"""A size and time limit on every request body.

Forms and JSON bodies are small: every state-changing request is read here, whole, at
most ``FORM_BYTES`` and within ``web.body_timeout_s``, before its handler runs (413 or
408 otherwise). The handler's ``request.post()``/``json()`` then read from memory, so a
client sending its body one byte a minute holds nothing but its own connection (the
review's slow-body setup race). The exceptions read their body as a stream with their
own limit:

* the phone endpoints (``/pub``: ``ingest.max_payload_bytes``, refused with a 200 and a
  reason as the apps need; OsmAnd's form within the application's ``client_max_size``);
* uploads (``/api/1/imports``: the import's own streaming limit).

A handler taking a multipart form other than an upload must be added to ``STREAMING``
(a multipart body is read as a stream).
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from .keys import GATEWAY

FORM_BYTES = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STREAMING = ("/api/1/imports",)


def too_large(request: web.Request, limit: int, size: int | None = None) -> web.HTTPException:
    said = f"{size} bytes" if size is not None else "more"
    text = f"this request's body is {said}: {request.path} takes at most {limit} bytes"
    if request.path.startswith("/api/"):
        return web.HTTPRequestEntityTooLarge(limit, size or limit + 1,
                                             text=f'{{"error": "{text}"}}',
                                             content_type="application/json")
    return web.HTTPRequestEntityTooLarge(limit, size or limit + 1, text=text)


def reads_own_body(request: web.Request, is_phone) -> bool:
    return request.method in SAFE_METHODS or is_phone(request) or request.path in STREAMING


def body_limits(is_phone):
    """The middleware; ``is_phone(request)`` names the phone endpoints."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if reads_own_body(request, is_phone):
            return await handler(request)
        size = request.content_length
        if size is not None and size > FORM_BYTES:
            raise too_large(request, FORM_BYTES, size)
        request = request.clone(client_max_size=FORM_BYTES)
        timeout = request.app[GATEWAY].config.web.body_timeout_s
        try:
            async with asyncio.timeout(timeout):
                await request.read()
        except TimeoutError:
            raise web.HTTPRequestTimeout(
                text=f"the request's body did not arrive within {timeout:g} s") from None
        except web.HTTPRequestEntityTooLarge:
            raise too_large(request, FORM_BYTES) from None
        return await handler(request)

    return middleware
