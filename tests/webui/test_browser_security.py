"""The review's attacks in a real browser: a page on another port of the same host tries to
start an import and to log the member out with the member's own cookie (same-site, so
SameSite cookies go with it), and to frame the box; the pages work under their CSP."""
from __future__ import annotations

import json

import pytest
from aiohttp import web

from browser import watch_console
from gateway import accounts
from harness import PASSWORD, base_url, free_port
from web_helpers import box
from webui.app import make_app

GPX = ('<?xml version="1.0"?><gpx version="1.1" creator="t" '
       'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
       '<trkpt lat="46.16" lon="-1.15"><time>2026-03-02T08:00:00Z</time></trkpt>'
       '<trkpt lat="46.17" lon="-1.14"><time>2026-03-02T08:05:00Z</time></trkpt>'
       '</trkseg></trk></gpx>')
PAYLOAD = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def _attack_pages(box: str) -> dict[str, str]:
    return {
        "/fetch": f"""<title>cats</title><script>
fetch({json.dumps(box + "/api/1/imports")}, {{method: "POST", mode: "no-cors",
       credentials: "include", body: {json.dumps(GPX)}}})
  .then(() => document.title = "sent", () => document.title = "failed");
</script>""",
        "/form": f"""<title>cats</title>
<form id="f" method="post" action="{box}/logout"><input name="x" value="1"></form>
<script>document.getElementById("f").submit();</script>""",
        "/frame": f"""<title>cats</title><iframe src="{box}/"></iframe>""",
    }


SEEN: list[dict] = []


@web.middleware
async def _recorder(request, handler):
    """What the box itself received: the proof that the browser did send the cookie."""
    seen = {"method": request.method, "path": request.path,
            "cookie": "selfdata_session=" in request.headers.get("Cookie", ""),
            "origin": request.headers.get("Origin")}
    SEEN.append(seen)
    try:
        response = await handler(request)
        seen["status"] = response.status
        return response
    except web.HTTPException as exc:
        seen["status"] = exc.status
        raise


def _recording_app(gw):
    app = make_app(gw)
    app.middlewares.insert(0, _recorder)
    return app


@pytest.fixture
async def gateway(household):
    SEEN.clear()
    async with box(household, web_app=_recording_app) as gw:
        yield gw


def _received(method: str, path: str) -> dict:
    [seen] = [s for s in SEEN if (s["method"], s["path"]) == (method, path)]
    return seen


@pytest.fixture
async def attacker(gateway):
    """A real page on another port of 127.0.0.1: same site as the box, another origin."""
    pages = _attack_pages(base_url(gateway))

    async def serve(request):
        return web.Response(text=pages[request.path], content_type="text/html")

    app = web.Application()
    for path in pages:
        app.router.add_get(path, serve)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _jobs(gw) -> int:
    return gw.store.conn.execute("SELECT count(*) FROM import_jobs").fetchone()[0]


async def _log_in(page, gw):
    await page.goto(base_url(gw) + "/login")
    await page.fill("input[name=name]", "alice")
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert "Hello" in await page.inner_text("h1")


async def test_a_page_on_another_port_cannot_use_the_members_cookie(gateway, attacker, chromium):
    with gateway.store.transaction() as conn:
        conn.execute("UPDATE members SET display_name = ? WHERE name = 'alice'", (PAYLOAD,))
    page = await chromium.new_page()
    console = watch_console(page)
    await _log_in(page, gateway)
    # The box's own page: styled by its stylesheet, the payload shown as text, no script ran.
    assert await page.title() != "pwned" and PAYLOAD in await page.inner_text("h1")
    assert "system-ui" in await page.evaluate("getComputedStyle(document.body).fontFamily")
    assert not [m for m in console if "Content Security Policy" in m], console

    # 1. fetch() from the other port: the browser sends the member's cookie (same site,
    # so even SameSite=Strict goes), the box refuses.
    async with page.expect_response(lambda r: "/api/1/imports" in r.url) as hit:
        await page.goto(attacker + "/fetch")
    assert (await hit.value).status == 403
    assert _received("POST", "/api/1/imports") == {
        "method": "POST", "path": "/api/1/imports", "cookie": True, "origin": attacker,
        "status": 403}
    assert _jobs(gateway) == 0

    # 2. A form posted from there to /logout: refused, the member is still logged in.
    async with page.expect_response(lambda r: r.url.endswith("/logout")) as hit:
        await page.goto(attacker + "/form")
    assert (await hit.value).status == 403
    assert _received("POST", "/logout")["cookie"] is True
    await page.goto(base_url(gateway) + "/")
    assert "Hello" in await page.inner_text("h1")

    # 3. The same request from the box's own page, with the page's token, is accepted.
    status = await page.evaluate("""async (gpx) => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch("/api/1/imports", {method: "POST", body: gpx,
                                                headers: {"X-CSRF-Token": token}});
        return r.status; }""", GPX)
    assert status == 202 and _jobs(gateway) == 1


async def test_the_box_cannot_be_framed(gateway, attacker, chromium):
    page = await chromium.new_page()
    console = watch_console(page)
    await _log_in(page, gateway)
    await page.goto(attacker + "/frame")
    for _ in range(100):   # Chromium reports the refusal on the framing page's console
        if any("frame-ancestors" in m for m in console):
            break
        await page.wait_for_timeout(100)
    assert any("frame-ancestors 'none'" in m for m in console), console
    frame = page.frames[-1]
    assert frame != page.main_frame and "Hello" not in await frame.content()


async def test_the_login_and_setup_pages_run_under_the_csp(tmp_path, chromium):
    from web_helpers import fresh_box
    async with fresh_box(tmp_path) as gw:
        page = await chromium.new_page()
        console = watch_console(page)
        await page.goto(base_url(gw) + "/")          # a fresh box sends its visitor to setup
        assert page.url.endswith("/setup")
        await page.fill("input[name=code]", gw.setup_code.lower())
        await page.fill("input[name=name]", "owner")
        await page.fill("input[name=password]", "the owner's own password")
        async with page.expect_navigation():
            await page.click("button[type=submit]")
        assert "Hello" in await page.inner_text("h1")
        assert [m.name for m in accounts.list_members(gw.store.conn)] == ["owner"]
        assert not [m for m in console if "Content Security Policy" in m], console
