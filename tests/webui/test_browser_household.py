"""In real headless Chromium over a gateway on loopback with the simulated household: the
day view with trips, modes and CO2e and its map (tiles unreachable: the track still
draws); correcting a leg, the CO2e changing on the page and surviving a rebuild; the trends
page; an upload with its progress bar, an export, deleting a day; French and English."""
from __future__ import annotations

import asyncio

from browser import DESKTOP, PHONE, block_outside, chromium, login, watch_console
from gateway.queries import days as dq
from gateway.trips import pipeline
from harness import PASSWORD, base_url

from pagebox import TZ, WORKDAY, LAST_DAY, member_id


async def _page(browser, gw, *, viewport=DESKTOP, locale="en-GB", name="alice"):
    context = await browser.new_context(viewport=viewport, locale=locale)
    await block_outside(context)
    page = await context.new_page()
    console = watch_console(page)
    await login(page, base_url(gw), name, PASSWORD)
    return page, console


async def test_the_day_then_a_correction_that_changes_the_co2e_and_survives_a_rebuild(
        history_gateway):
    gw = history_gateway
    async with chromium() as browser:
        page, console = await _page(browser, gw, viewport=PHONE)
        await page.goto(f"{base_url(gw)}/day/{WORKDAY.isoformat()}")
        trips = page.locator("li.trip")
        assert await trips.count() >= 2
        assert await page.locator("li.trip .mode").count() >= 2
        assert "CO2e" in await page.inner_text("main")
        assert await page.locator("li.stay").count() >= 2
        # The map draws the legs on a plain background: the tiles cannot load here.
        await page.wait_for_selector("#map[data-ready='1']")
        assert await page.locator("#map path.leaflet-interactive").count() >= 2
        await page.wait_for_selector(".nomap[role=status]")
        # Two taps: open the first trip's first leg, pick "Car".
        await page.locator("li.trip a").first.click()
        await page.wait_for_url("**/trips/*")
        trip_id = int(page.url.rsplit("/", 1)[1])
        before = await page.inner_text("#trip-co2")
        await page.locator("details summary").first.click()
        await page.locator("details form button[value=car]").first.click()
        await page.wait_for_url("**done=corrected**")
        after = await page.inner_text("#trip-co2")
        assert after != before and "role" in await page.locator(".notice").first.evaluate(
            "e => e.getAttributeNames().join(' ')")
        assert "Car" in await page.locator(".card .mode").first.inner_text()
        assert not [c for c in console if "pageerror" in c], console
    # Rebuilt from the fixes, the member's word stands.
    alice = member_id(gw.store, "alice")
    await asyncio.to_thread(_rebuild, gw.store, alice)
    async with chromium() as browser:
        page, _ = await _page(browser, gw)
        await page.goto(f"{base_url(gw)}/day/{WORKDAY.isoformat()}")
        await page.locator("li.trip a").first.click()
        assert await page.inner_text("#trip-co2") == after
        assert "Car" in await page.locator(".card .mode").first.inner_text()
    trips = dq.day(gw.store.conn, alice, WORKDAY, TZ)["trips"]
    assert trips[0]["legs"][0]["mode"] == "car" and trips[0]["legs"][0]["corrected"]
    assert trip_id


def _rebuild(store, member):
    try:
        pipeline.rebuild_member(store, member)
    finally:
        store.close()


async def test_the_trends_draw_stacked_bars_for_every_period(history_gateway):
    gw = history_gateway
    async with chromium() as browser:
        page, console = await _page(browser, gw, name="bob")
        for period in ("week", "month", "year"):
            await page.goto(f"{base_url(gw)}/trends?period={period}&at={LAST_DAY.isoformat()}")
            charts = page.locator("svg.chart")
            assert await charts.count() == 2
            assert await page.locator("svg.chart rect").count() >= 2, period
            assert "avoided" in (await page.inner_text("main")).lower()
        assert not [c for c in console if "pageerror" in c], console


GPX = """<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><trkseg>{}</trkseg></trk></gpx>"""


async def test_an_upload_with_progress_an_export_and_deleting_a_day(history_gateway, tmp_path):
    gw = history_gateway
    points = "".join(f'<trkpt lat="{46.15 + i * 1e-4:.5f}" lon="-1.15"><time>2026-04-01T08:'
                     f'{i // 60:02d}:{i % 60:02d}Z</time></trkpt>' for i in range(600))
    upload = tmp_path / "walk.gpx"
    upload.write_text(GPX.format(points))
    async with chromium() as browser:
        page, console = await _page(browser, gw)
        await page.goto(base_url(gw) + "/data")
        await page.set_input_files("#file", str(upload))
        await page.click("#upload button[type=submit]")
        await page.wait_for_selector("#upload[data-state=done]", timeout=60000)
        assert await page.get_attribute("#upload-bar", "value") == "100"
        assert await page.locator("#upload-bar").evaluate("e => e.value") == 100
        assert await page.locator("#import-bar").evaluate("e => e.value") == 100
        assert "600" in await page.inner_text("#upload-status")
        # An export: a real GPX file comes down.
        await page.select_option("#format", "gpx")
        async with page.expect_download() as info:
            await page.click("form[action='/data/export'] button[type=submit]")
        download = await info.value
        saved = tmp_path / "export.gpx"
        await download.save_as(saved)
        assert "<gpx" in saved.read_text()[:300] and saved.read_text().count("<trkpt") > 600
        # Deleting a day: the confirmation says what goes, then it is gone.
        await page.fill("#del-day", WORKDAY.isoformat())
        await page.click("form:has(#del-day) button[type=submit]")
        goes = await page.inner_text("#what-goes")
        assert "trips" in goes and "positions" in goes
        await page.click("button.danger")
        await page.wait_for_url(f"**/day/{WORKDAY.isoformat()}?done=deleted")
        assert await page.locator("li.trip").count() == 0
        assert not [c for c in console if "pageerror" in c], console
    alice = member_id(gw.store, "alice")
    assert dq.day(gw.store.conn, alice, WORKDAY, TZ)["trips"] == []


async def test_french_from_the_browser_then_english_by_choice(history_gateway):
    gw = history_gateway
    async with chromium() as browser:
        page, _ = await _page(browser, gw, locale="fr-FR")
        await page.goto(f"{base_url(gw)}/day/{WORKDAY.isoformat()}")
        assert await page.get_attribute("html", "lang") == "fr"
        assert "Ma journée" in await page.inner_text("nav.main")
        assert "mercredi" in (await page.inner_text("h1")).lower()
        await page.click("header button[name=lang]")
        await page.wait_for_load_state()
        assert await page.get_attribute("html", "lang") == "en"
        assert "Wednesday" in await page.inner_text("h1")
        await page.goto(base_url(gw) + "/trends")
        assert "Your trends" in await page.inner_text("main")     # remembered
