"""CSRF: a page elsewhere, even on another port of the same host, cannot make a logged-in
member's browser change anything. Requests are sent as a browser sends them: with the
member's cookie (or cached Basic credentials) and the Origin of the page that made them."""
from __future__ import annotations

import re

import aiohttp
import pytest
from aiohttp import web

from harness import PASSWORD, base_url, free_port
from helpers import basic
from web_helpers import browser, login, page_token

GPX = b"""<?xml version="1.0"?><gpx version="1.1" creator="t"
xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
<trkpt lat="46.16" lon="-1.15"><time>2026-03-02T08:00:00Z</time></trkpt>
<trkpt lat="46.17" lon="-1.14"><time>2026-03-02T08:05:00Z</time></trkpt>
</trkseg></trk></gpx>"""


def _jobs(gw) -> int:
    return gw.store.conn.execute("SELECT count(*) FROM import_jobs").fetchone()[0]


@pytest.fixture
async def other_origin():
    """A real second web server on another port of the same host (the review's attack
    page); its origin is what a browser puts in Origin for requests its page makes."""
    async def page(request):
        return web.Response(text="<p>cute cats</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_page_on_another_port_cannot_start_an_import(gateway, other_origin):
    async with browser() as member:
        await login(member, gateway)
        url = base_url(gateway) + "/api/1/imports"
        # fetch(url, {method: "POST", mode: "no-cors", credentials: "include", body})
        async with member.post(url, data=GPX, headers={"Origin": other_origin}) as r:
            assert r.status == 403 and "another site" in await r.text()
        # A browser that sends only a Referer (no Origin) is judged by it.
        async with member.post(url, data=GPX, headers={"Referer": other_origin + "/"}) as r:
            assert r.status == 403
        # One that sends neither still lacks the session's token.
        async with member.post(url, data=GPX) as r:
            assert r.status == 403 and "reload the page" in await r.text()
        assert _jobs(gateway) == 0
        # The box's own page, with its token, may.
        token = await page_token(member, gateway)
        async with member.post(url, data=GPX, headers={"X-CSRF-Token": token,
                                                       "Origin": base_url(gateway)}) as r:
            assert r.status == 202, await r.text()
        assert _jobs(gateway) == 1


async def test_a_wrong_or_another_session_s_token_is_refused(gateway):
    async with browser() as alice, browser() as bob:
        await login(alice, gateway)
        await login(bob, gateway, "bob")
        bobs = await page_token(bob, gateway)
        for token in (bobs, "x" * 43, ""):
            async with alice.post(base_url(gateway) + "/api/1/imports", data=GPX,
                                  headers={"X-CSRF-Token": token}) as r:
                assert r.status == 403
    assert _jobs(gateway) == 0


async def test_a_form_from_another_origin_cannot_log_the_member_out(gateway, other_origin):
    async with browser() as member:
        await login(member, gateway)
        token = await page_token(member, gateway)
        async with member.post(base_url(gateway) + "/logout", data={"csrf_token": token},
                               headers={"Origin": other_origin}, allow_redirects=False) as r:
            assert r.status == 403
        async with member.post(base_url(gateway) + "/logout", data={},
                               allow_redirects=False) as r:
            assert r.status == 403           # no token: not from the box's page either
        async with member.get(base_url(gateway) + "/api/0/last") as r:
            assert r.status == 200           # still logged in


async def test_every_state_changing_route_needs_the_token(gateway):
    """Present and future routes alike: with the member's cookie and no token, every
    POST/PUT/PATCH/DELETE of the application but the phone endpoints is refused."""
    app = gateway._runner.app
    routes = {(r.method, re.sub(r"\{[^}]+\}", "1", r.resource.canonical))
              for r in app.router.routes() if r.method in ("POST", "PUT", "PATCH", "DELETE")}
    routes.discard(("POST", "/pub"))
    assert len(routes) >= 8, routes     # the pages, the Recorder API, the uploads...
    async with browser() as member:
        await login(member, gateway)
        for method, path in sorted(routes):
            async with member.request(method, base_url(gateway) + path, data={"a": "b"},
                                      allow_redirects=False) as r:
                assert r.status == 403, (method, path, r.status)


async def test_cached_basic_credentials_do_not_let_another_site_in(gateway, other_origin):
    """A browser that once logged in with Basic auth adds it to every request to the box;
    tools that send their own credentials and no Origin are not affected."""
    url = base_url(gateway) + "/api/1/imports"
    alice = basic("alice", PASSWORD)
    async with aiohttp.ClientSession() as s:
        async with s.post(url, data=GPX, headers={**alice, "Origin": other_origin}) as r:
            assert r.status == 403
        assert _jobs(gateway) == 0
        async with s.post(url, data=GPX, headers=alice) as r:   # curl, a script
            assert r.status == 202
        async with s.post(url, data=GPX, headers={**alice, "Origin": base_url(gateway)}) as r:
            assert r.status == 202
    assert _jobs(gateway) == 2


async def test_login_from_another_site_is_refused(gateway, other_origin):
    """No login CSRF: another page cannot log the member's browser into some account."""
    async with browser() as b:
        async with b.post(base_url(gateway) + "/login", allow_redirects=False,
                          data={"name": "alice", "password": PASSWORD},
                          headers={"Origin": other_origin}) as r:
            assert r.status == 403
        assert not [c for c in b.cookie_jar if c.key == "selfdata_session"]
        async with b.post(base_url(gateway) + "/login", allow_redirects=False,
                          data={"name": "alice", "password": PASSWORD},
                          headers={"Origin": "null"}) as r:
            assert r.status == 403


async def test_phone_endpoints_take_device_credentials_never_a_member_cookie(gateway, other_origin):
    body = b'{"_type":"location","lat":46.1,"lon":-1.1,"tst":1767225700,"tid":"ph"}'
    device = basic("alice/phone", gateway.household.secrets["alice/phone"])
    async with browser() as member:
        await login(member, gateway)
        # The member's cookie alone is no login here.
        async with member.post(base_url(gateway) + "/pub", data=body) as r:
            assert r.status == 401
        # A page elsewhere cannot use device credentials a browser may have cached.
        async with member.post(base_url(gateway) + "/pub", data=body,
                               headers={**device, "Origin": other_origin}) as r:
            assert r.status == 403
    async with aiohttp.ClientSession() as phone:   # apps send no Origin, no CSRF token
        async with phone.post(base_url(gateway) + "/pub", data=body, headers=device) as r:
            assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers


async def test_a_configured_recorder_frontend_may_post_its_reads(household):
    from web_helpers import box
    household.config.extra["recorder_api"] = {"cors_origins": ["http://laptop:8081"]}
    async with box(household) as gw:
        alice = {**basic("alice", PASSWORD), "Origin": "http://laptop:8081"}
        async with aiohttp.ClientSession() as s:
            async with s.post(base_url(gw) + "/api/0/last", data={"user": "alice"},
                              headers=alice) as r:
                assert r.status == 200
            async with s.post(base_url(gw) + "/api/1/imports", data=GPX, headers=alice) as r:
                assert r.status == 403         # only the Recorder's reads
