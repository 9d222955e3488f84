"""Which requests are which: the phone endpoints, and the routes open without a login.

Every route needs a member login unless it is listed in ``PUBLIC``. The phone endpoints
are apart: they take the device's own credentials (checked by their handlers), never a
member's cookie, so the session and CSRF machinery does not apply to them
(docs/security.md says why that is safe).
"""
from __future__ import annotations

from aiohttp import web

# Reachable without a member login: /login, /setup (only while the household has no
# member, and only with the first-run code), /healthz ("ok"), the static files.
PUBLIC = ("/login", "/setup", "/healthz", "/static/")


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC)


def is_osmand(request: web.Request) -> bool:
    """`/` is the household's page, and also the OsmAnd/Traccar endpoint (`?id=`, or a
    Traccar Client JSON body)."""
    return request.path == "/" and ("id" in request.query or (
        request.method == "POST" and request.content_type == "application/json"))


def is_phone_endpoint(request: web.Request) -> bool:
    return request.path == "/pub" or is_osmand(request)
