"""Accessibility and safety in the browser: axe-core (vendored from npm) finds no serious
or critical WCAG 2.1 AA violation on the main pages, on a phone and a desktop; an HTML/JS
payload in a member, device, place or card name and in a refused payload's bytes is shown
as text and never runs."""
from __future__ import annotations

import time

import pytest

from browser import DESKTOP, PHONE, axe_violations, block_outside, chromium, login
from gateway import accounts
from gateway.model import Rejection
from gateway.store.writes import insert_rejection
from gateway.trips import decisions
from harness import PASSWORD, base_url

from pagebox import WORKDAY, member_id

MAIN = ("/day/" + WORKDAY.isoformat(), "/trends?period=week", "/places", "/bike-days",
        "/devices", "/devices/new", "/data", "/settings", "/link", "/link/ledger", "/login")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_axe_finds_no_serious_violation_on_the_main_pages(history_gateway, viewport):
    gw = history_gateway
    async with chromium() as browser:
        # bypass_csp: only so that axe itself can be injected (the box's CSP rightly refuses
        # inline scripts; tests/webui/test_browser_security.py checks it).
        context = await browser.new_context(viewport=viewport, bypass_csp=True)
        await block_outside(context)
        page = await context.new_page()
        found = {}
        for lang in ("en", "fr"):
            await context.set_extra_http_headers({"Accept-Language": lang})
            await login(page, base_url(gw), "alice", PASSWORD)
            for path in MAIN:
                if path == "/login":
                    await page.context.clear_cookies()
                await page.goto(base_url(gw) + path)
                if await page.locator("#map").count():
                    await page.wait_for_selector("#map[data-ready]")
                violations = await axe_violations(page)
                if violations:
                    found[(lang, path)] = violations
        # The setup page, on a fresh box, is checked by the first-run test's page too; the
        # city link's pages once enrolled, by tests/webui/test_browser_city_link.py.
    assert not found, found


PAYLOAD = ('"><script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
           '<svg onload="window.__xss=3">')


async def test_payloads_in_names_and_refused_bytes_never_run(history_gateway):
    gw = history_gateway
    store = gw.store
    alice = member_id(store, "alice")
    with store.transaction() as conn:
        accounts.add_member(conn, "carol", PASSWORD, display_name=PAYLOAD)
        accounts.show_to(conn, "carol", "alice")
        device = accounts.get_device(conn, "alice", "phone")
        accounts.set_card(conn, device.id, PAYLOAD, None)
        insert_rejection(conn, Rejection("owntracks-http", PAYLOAD, PAYLOAD.encode(),
                                         device_id=device.id), alice, time.time())
    decisions.name_place(store, alice, 46.1512, -1.1365, PAYLOAD, "home")
    async with chromium() as browser:
        page = await browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        await login(page, base_url(gw), "alice", PASSWORD)
        for path in ("/devices", "/places", "/settings", f"/day/{WORKDAY.isoformat()}",
                     "/data"):
            await page.goto(base_url(gw) + path)
            assert await page.evaluate("() => window.__xss") is None, path
        await page.goto(base_url(gw) + "/devices")
        await page.click("details summary")
        text = await page.inner_text("main")
        assert "<script>window.__xss=1</script>" in text        # shown, as text
        await page.goto(base_url(gw) + "/places")
        assert "<img src=x" in await page.inner_text("main")
        await page.goto(base_url(gw) + "/settings")
        assert "<svg onload" in await page.inner_text("main")
        assert await page.evaluate("() => window.__xss") is None and not dialogs


async def test_the_checker_itself_catches_a_bad_page():
    """The axe run above can fail: an unlabelled field and grey-on-grey text are caught."""
    async with chromium() as browser:
        page = await browser.new_page()
        await page.set_content('<html lang="en"><body><main><h1>x</h1><input type="text">'
                               '<p class="x">faint text</p></main></body></html>')
        await page.add_style_tag(content=".x{color:#bbb;background:#ccc}")
        ids = {v["id"] for v in await axe_violations(page)}
    assert {"label", "color-contrast"} <= ids, ids
