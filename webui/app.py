"""The aiohttp application: phone endpoints, the Recorder-compatible API, pages.

Every request passes, in this order (docs/security.md):

1. ``host_guard``: the Host must be one of this box's names (DNS rebinding), except on the
   phone endpoints; then ``tls.https_redirect``: plain HTTP goes on to HTTPS when the box
   serves it;
2. ``auth.require_member``: the session cookie or Basic auth; a login for every route but
   the public ones and the phone endpoints;
3. ``locale.locale_middleware``: the page's language and the member's time zone;
4. ``limits.body_limits``: every form or JSON body read whole, bounded in size and time;
5. ``csrf.csrf_guard``: state-changing requests from this box's own pages only, with the
   session's token;

and every answer gets the security headers (``headers.setup``).
"""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from gateway import __version__

from aiohttp import web

from . import headers, pub
from .tls import https_redirect
from .auth import MemberAuth, require_member
from .csrf import csrf_guard
from .hosts import HostPolicy
from .keys import GATEWAY, HOME_HANDLER, HOSTS, MEMBER_AUTH
from .limits import body_limits
from .locale import locale_middleware
from .routes import is_osmand, is_phone_endpoint

# Modules that add their own routes with `setup(app)`; a missing one is a packaging bug:
# the way in (login, first-run setup, language), the Recorder API and the map (they hook
# the application's start and stop), uploads, TLS.
ROUTE_MODULES = ("webui.pages", "webui.locale", "webui.frontend", "webui.recorder_api",
                 "webui.imports_api", "webui.tls")

# The areas of the household page (docs/web.md), one module each, imported on their first
# request: a box that only receives positions never holds them, nor the queries, exports
# and engine parts they import (issue #8). Each route: (method, path, handler's name in
# the module); tests/webui/test_app_routes.py checks every handler exists.
PAGES = {
    "webui.day": (("GET", "/day", "today"), ("GET", "/day/{day}", "day_page"),
                  ("GET", "/day/{day}/track.json", "day_track")),
    "webui.trip": (("GET", "/trips/{trip}", "trip_page"),
                   ("GET", "/trips/{trip}/track.json", "trip_track"),
                   ("POST", "/trips/{trip}/legs/{leg}", "correct_leg"),
                   ("POST", "/trips/{trip}/purpose", "correct_purpose"),
                   ("POST", "/trips/{trip}/split", "split"),
                   ("POST", "/trips/{trip}/merge", "merge"),
                   ("POST", "/trips/{trip}/points/{fix}/delete", "delete_point")),
    "webui.trends": (("GET", "/trends", "trends_page"),),
    "webui.places": (("GET", "/places", "places"), ("POST", "/places/save", "save"),
                     ("POST", "/places/merge", "merge")),
    "webui.bike_days": (("GET", "/bike-days", "page"),
                        ("GET", "/bike-days/statement", "statement"),
                        ("GET", "/bike-days/statement.pdf", "statement_pdf")),
    "webui.devices": (("GET", "/devices", "devices"), ("GET", "/devices/new", "new_device"),
                      ("POST", "/devices", "add_device")),
    "webui.data": (("GET", "/data", "data_page"), ("POST", "/data/import", "upload"),
                   ("GET", "/data/imports/{job}", "job_page"),
                   ("GET", "/data/export", "download"),
                   ("GET", "/data/delete", "confirm_delete"), ("POST", "/data/delete", "delete"),
                   ("POST", "/data/retention", "set_retention")),
    "webui.settings": (("GET", "/settings", "settings_page"),
                       ("POST", "/settings/vehicle", "save_vehicle"),
                       ("POST", "/settings/preferences", "save_preferences"),
                       ("POST", "/settings/password", "change_password"),
                       ("POST", "/settings/members", "add_member"),
                       ("POST", "/settings/visibility", "save_visibility"),
                       ("POST", "/settings/household", "save_household")),
    "webui.city_link": (("GET", "/link", "page"), ("POST", "/link/enrol", "enrol"),
                        ("POST", "/link/join", "join"), ("POST", "/link/leave", "leave"),
                        ("POST", "/link/revoke", "revoke"), ("POST", "/link/refresh", "refresh"),
                        ("GET", "/link/preview", "preview"), ("GET", "/link/ledger", "ledger"),
                        ("GET", "/link/compare", "compare")),
}
STATIC = Path(__file__).parent / "static"
EXPORTS_DIR = "exports"      # in the data dir: an export waits there while it is sent


def make_app(gw) -> web.Application:
    app = web.Application(
        middlewares=[host_guard, https_redirect, require_member, locale_middleware,
                     body_limits(is_phone_endpoint), csrf_guard(is_phone_endpoint)],
        # The phone endpoints' own bound (their JSON and forms); other bodies have theirs
        # (uploads stream to disk under imports_api's cap).
        client_max_size=gw.config.ingest.max_payload_bytes + 1024)
    app[GATEWAY] = gw
    # Exports left by a service that stopped while sending one (webui/data.py).
    shutil.rmtree(gw.config.data_dir / EXPORTS_DIR, ignore_errors=True)
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
    for module, routes in PAGES.items():
        for method, path, name in routes:
            add = app.router.add_get if method == "GET" else app.router.add_post
            add(path, on_first_use(module, name))
    return app


def on_first_use(module: str, name: str):
    """A handler that imports ``module`` at its first request, then calls ``module.name``
    (the import is done once by Python; later requests only look the function up)."""
    async def handler(request: web.Request) -> web.StreamResponse:
        return await getattr(importlib.import_module(module), name)(request)
    handler.__name__ = handler.__qualname__ = f"{module}.{name}"
    return handler


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
    body = {"status": "ok", "version": __version__, "mqtt_connected": mqtt,
            "schema": gw.store.schema_version()}
    return web.json_response(body)
