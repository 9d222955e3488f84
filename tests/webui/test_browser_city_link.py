"""The city link in real headless Chromium, against the real aggregator on loopback: a member
enrols with their own token, looks at exactly what March would send, joins with the commune
ticked, the box's send pass goes, the ledger shows the city's verified receipt, then they
leave with the signed deletion request and the city holds none of their figures. No CSP
violation on the way; axe-core finds no serious violation on the enrolled pages."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from browser import DESKTOP, PHONE, axe_violations, block_outside, chromium, login, watch_console
from carbon import summary_wire as wire
from gateway.queries import link as read
from harness import PASSWORD, base_url

from pagebox import member_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway" / "outbox"))
from link_city import City  # noqa: E402

MARCH = "2026-03"


@pytest.fixture
async def city(tmp_path):
    c = await City(tmp_path / "city").start()
    yield c
    await c.stop()


async def test_enrol_join_send_ledger_leave_with_deletion_in_the_browser(history_gateway, city):
    gw = history_gateway
    base = base_url(gw)
    alice = member_id(gw.store, "alice")
    (token,) = await city.tokens(1)
    async with chromium() as browser:
        context = await browser.new_context(viewport=PHONE, locale="en-GB")
        await block_outside(context)
        page = await context.new_page()
        console = watch_console(page)
        await login(page, base, "alice", PASSWORD)
        await page.click("nav >> text=City link")
        assert page.url == base + "/link"
        await page.fill("#url", city.url)
        await page.fill("#token", token.lower())           # as typed from paper
        await page.click("button:has-text('Enrol')")
        await page.wait_for_selector("text=Enrolled: nothing is sent")
        assert "at least 5 contributors" in await page.inner_text("main")

        await page.click("text=See what it would send, then join")
        await page.select_option("#month", MARCH)
        await page.click("button:has-text('Show')")
        await page.click("text=Show it with my commune")
        shown = json.loads(await page.inner_text("pre.wire"))
        assert shown["month"] == MARCH and shown["body"]["commune"] == "17300"
        words = await page.inner_text("ul.words")
        assert "Commune of home: La Rochelle (17300)" in words and "Trips:" in words
        assert await page.is_checked("input[type=checkbox][name=commune]")
        assert await gw.outbox.send_due(at_once=True) == {"queued": [], "sent": []}
        await page.click("button:has-text('Join, starting with 2026-03')")
        await page.wait_for_selector("text=Joined: the months you agreed to")
        assert "with the commune of your home" in await page.inner_text("main")

        done = await gw.outbox.send_due(at_once=True)          # the service's pass
        assert [(s["month"], s["status"]) for s in done["sent"]] == [(MARCH, "stored")]
        await page.click("text=What was sent, and your decisions")
        table = await page.inner_text("table")
        assert "monthly summary" in table and MARCH in table
        assert "signed and verified: stored" in table
        await page.click("details summary")
        sent = json.loads(await page.locator("details pre.wire").first.inner_text())
        assert sent == shown                                   # what went is what was shown

        # Accessibility of the enrolled pages, in both languages (axe needs its own script in).
        check = await browser.new_context(viewport=DESKTOP, bypass_csp=True)
        await block_outside(check)
        axe_page = await check.new_page()
        found = {}
        for lang in ("en", "fr"):
            await check.set_extra_http_headers({"Accept-Language": lang})
            await check.clear_cookies()
            await login(axe_page, base, "alice", PASSWORD)
            for path in ("/link", f"/link/preview?aggregator={city.url}&month={MARCH}",
                         "/link/ledger", f"/link/compare?aggregator={city.url}"):
                await axe_page.goto(base + path)
                violations = await axe_violations(axe_page)
                if violations:
                    found[(lang, path)] = violations
        assert not found, found
        await check.close()

        await page.goto(base + "/link")
        await page.check("input[name=delete]")
        await page.click("button:has-text('Leave this study')")
        await page.wait_for_selector("text=Left, and the city deleted what it held of yours.")
        await page.click("text=What was sent, and your decisions")
        assert "signed and verified: deleted" in await page.inner_text("table")
        assert "left" in await page.inner_text("ul.decisions")
    pseudonym = read.links(gw.store.conn, alice)[0]["pseudonym"]
    (stored,) = [tuple(r) for r in await city.store.stored_figures(pseudonym)]
    assert stored[:2] == (wire.STANDING_STUDY_ID, MARCH) and all(v is None for v in stored[4:])
    assert not [c for c in console if "Content Security Policy" in c or "pageerror" in c], console
