"""Cross-site request forgery: no other page can make a member's browser change anything.

Every state-changing request (POST, PUT, PATCH, DELETE) but the phone endpoints' passes
``csrf_guard``:

1. **Origin**: when the browser names the page that sent it (``Origin``, else
   ``Referer``), that page must be this box as the browser reached it (same host *and
   port*: a page on another port of the same host is another origin, and SameSite
   cookies would not stop it). This also covers requests carrying browser-cached Basic
   credentials, and logins and setup (no login CSRF into an attacker's account);
2. **Token**: a request that carries a session cookie must carry that session's token,
   in the form (``{{ csrf_field() }}`` in the template) or, from scripts, the
   ``X-CSRF-Token`` header. An upload read as a stream may give it in the query
   (``?csrf_token=``) when no script sends it.

Tools with explicit Basic credentials send neither Origin nor cookie and are not
affected. The phone endpoints accept no cookie at all; a browser page posting to them
with any Origin but the box's is refused too (phone apps send no Origin).
"""
from __future__ import annotations

import hmac

from aiohttp import hdrs, web

from .keys import HOSTS, RECORDER_CORS, SESSION
from .limits import STREAMING

FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE = frozenset({hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_PATCH, hdrs.METH_DELETE})


def token_for(request: web.Request) -> str | None:
    """The token pages put in their forms: the session's, None without a session."""
    session = request.get(SESSION)
    return session.csrf_token if session is not None else None


def _refused(request: web.Request, why: str) -> web.HTTPForbidden:
    if request.path.startswith("/api/"):
        return web.HTTPForbidden(text=f'{{"error": "{why}"}}', content_type="application/json")
    return web.HTTPForbidden(text=why)


async def _sent_token(request: web.Request) -> str | None:
    sent = request.headers.get(HEADER)
    if sent is None and request.path in STREAMING:
        sent = request.query.get(FORM_FIELD)
    if sent is None and request.content_type == "application/x-www-form-urlencoded":
        value = (await request.post()).get(FORM_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def _recorder_frontend(request: web.Request) -> bool:
    """The Recorder API's reads (POST there is another way to send the parameters) from a
    frontend origin the admin configured (`[recorder_api] cors_origins`)."""
    return (request.path.startswith("/api/0/")
            and request.headers.get("Origin") in request.app.get(RECORDER_CORS, frozenset()))


def csrf_guard(is_phone):
    """The middleware; ``is_phone(request)`` names the phone endpoints."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.method not in UNSAFE:
            return await handler(request)
        if request.app[HOSTS].same_origin(request) is False and not _recorder_frontend(request):
            raise _refused(request, "refused: this request came from another site's page")
        session = request.get(SESSION)
        if session is not None and not is_phone(request):
            sent = await _sent_token(request)
            if not sent or not hmac.compare_digest(sent, session.csrf_token):
                raise _refused(request, "refused: this form has expired or was not sent by "
                                        "this box's own page; reload the page and try again")
        return await handler(request)

    return middleware
