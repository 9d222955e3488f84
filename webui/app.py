"""The aiohttp application: phone endpoints, the Recorder-compatible API, pages."""
from __future__ import annotations

import importlib
from pathlib import Path

from aiohttp import web

from . import pub
from .auth import MemberAuth, require_member
from .keys import GATEWAY, HOME_HANDLER, MEMBER_AUTH
from .locale import locale_middleware

# Modules that add their own routes with `setup(app)`; a missing one is a packaging bug.
# One module per area of the household page (docs/web.md).
ROUTE_MODULES = ("webui.pages", "webui.locale", "webui.day", "webui.trip", "webui.trends",
                 "webui.places", "webui.bike_days", "webui.devices", "webui.data",
                 "webui.settings", "webui.frontend", "webui.recorder_api", "webui.imports_api")
STATIC = Path(__file__).parent / "static"


def make_app(gw) -> web.Application:
    # Every body is bounded: the phone endpoints and forms by this; uploads stream to disk
    # under their own cap (imports_api.MAX_UPLOAD).
    app = web.Application(middlewares=[require_member, locale_middleware],
                          client_max_size=gw.config.ingest.max_payload_bytes + 1024)
    app[GATEWAY] = gw
    app[MEMBER_AUTH] = MemberAuth(gw)
    app.router.add_post("/pub", pub.pub)
    app.router.add_route("GET", "/", _root)
    app.router.add_route("POST", "/", _root)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    for name in ROUTE_MODULES:
        importlib.import_module(name).setup(app)
    return app


async def _root(request: web.Request) -> web.StreamResponse:
    """`/` is both the household's home page and the OsmAnd/Traccar endpoint (`?id=`)."""
    if "id" in request.query or (request.method == "POST"
                                 and request.content_type == "application/json"):
        return await pub.osmand_report(request)
    return await request.app[HOME_HANDLER](request)


async def healthz(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    mqtt = None if gw.mqtt is None else gw.mqtt.connected
    body = {"status": "ok", "mqtt_connected": mqtt,
            "schema": gw.store.schema_version()}
    return web.json_response(body)
