"""Every route of the application refuses a request without a login, except the public
ones. The routes are read from the application's own router, so a new page is covered
the day it is added."""
from __future__ import annotations

import aiohttp
import pytest

from harness import base_url
from webui import auth

# Reachable without a member login: first-run setup, the login form, health, static files,
# the language switch, the box's CA certificate (public by nature); and the phone endpoints,
# which check the device's own credentials.
PUBLIC = {"/login", "/setup", "/healthz", "/language", "/tls/ca.crt", "/tls/ca.mobileconfig"}
PHONE = {"/pub"}


def _routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if route.method in ("HEAD", "*") or not path:
            continue
        concrete = (path.replace("{trip}", "1").replace("{leg}", "1").replace("{fix}", "1")
                    .replace("{day}", "2026-03-04").replace("{job}", "1"))
        out.append((route.method, concrete))
    return sorted(set(out))


async def test_every_route_without_a_session_is_refused(history_gateway):
    gw = history_gateway
    routes = _routes(gw._runner.app)
    assert len(routes) > 40, routes        # the whole household page is in the router
    checked = 0
    async with aiohttp.ClientSession() as anonymous:
        for method, path in routes:
            if path in PUBLIC | PHONE or path.startswith("/static/"):
                continue
            async with anonymous.request(method, base_url(gw) + path,
                                         allow_redirects=False) as r:
                body = await r.text()
                assert r.status in (302, 303, 401), (method, path, r.status)
                if r.status in (302, 303):
                    assert r.headers["Location"].startswith("/login"), (method, path)
                assert "alice" not in body.lower() and "trajet" not in body.lower()
                checked += 1
    assert checked > 35


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_the_public_routes_are_the_ones_auth_lets_through(path):
    assert auth.is_public(path)
