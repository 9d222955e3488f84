"""The aiohttp application: phone endpoints, the Recorder-compatible API, pages.

Every request passes, in this order (docs/security.md):

1. ``host_guard``: the Host must be one of this box's names (DNS rebinding), except on the
   phone endpoints;
2. ``auth.require_member``: the session cookie or Basic auth; a login for every route but
   the public ones and the phone endpoints;
3. ``limits.body_limits``: every form or JSON body read whole, bounded in size and time;
4. ``csrf.csrf_guard``: state-changing requests from this box's own pages only, with the
   session's token;

and every answer gets the security headers (``headers.setup``).
"""
from __future__ import annotations

import importlib
from pathlib import Path

from aiohttp import web

from . import headers, pub
from .auth import MemberAuth, require_member
from .csrf import csrf_guard
from .hosts import HostPolicy
from .keys import GATEWAY, HOME_HANDLER, HOSTS, MEMBER_AUTH
from .limits import body_limits
from .routes import is_osmand, is_phone_endpoint

# Modules that add their own routes with `setup(app)`; a missing one is a packaging bug.
ROUTE_MODULES = ("webui.pages", "webui.recorder_api", "webui.imports_api")
STATIC = Path(__file__).parent / "static"


def make_app(gw) -> web.Application:
    app = web.Application(
        middlewares=[host_guard, require_member, body_limits(is_phone_endpoint),
                     csrf_guard(is_phone_endpoint)],
        # The phone endpoints' own bound (their JSON and forms); other bodies have theirs.
        client_max_size=gw.config.ingest.max_payload_bytes + 1024)
    app[GATEWAY] = gw
    app[MEMBER_AUTH] = MemberAuth(gw)
    app[HOSTS] = HostPolicy(gw.config)
    headers.setup(app, gw.config)
    app.router.add_post("/pub", pub.pub)
    app.router.add_route("GET", "/", _root)
    app.router.add_route("POST", "/", _root)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    for name in ROUTE_MODULES:
        importlib.import_module(name).setup(app)
    return app


@web.middleware
async def host_guard(request: web.Request, handler):
    """Only this box's names (DNS rebinding); phones may use any name that reaches it."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not is_phone_endpoint(request) and not request.app[HOSTS].allows(
            request.headers.get("Host"), sockname):
        raise web.HTTPMisdirectedRequest(text=(
            f"this box does not answer to the name {request.headers.get('Host')!r}: open it "
            f"as {request.app[GATEWAY].config.public_url}, or add that name to "
            "[web] allowed_hosts in its configuration"))
    return await handler(request)


async def _root(request: web.Request) -> web.StreamResponse:
    """`/` is both the household's home page and the OsmAnd/Traccar endpoint (`?id=`)."""
    if is_osmand(request):
        return await pub.osmand_report(request)
    return await request.app[HOME_HANDLER](request)


async def healthz(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    mqtt = None if gw.mqtt is None else gw.mqtt.connected
    body = {"status": "ok", "mqtt_connected": mqtt,
            "schema": gw.store.schema_version()}
    return web.json_response(body)
