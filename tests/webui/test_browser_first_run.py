"""In real headless Chromium: a new box's first run, to the QR code a phone scans; the code
decodes (zbar) to an OwnTracks configuration whose host and ports reach the test gateway,
and a phone posting with it is stored. Then logout."""
from __future__ import annotations

import asyncio
import time

import aiohttp

from browser import PHONE, chromium, watch_console
from gateway.service import Gateway
from harness import PASSWORD, base_url, make_config
from helpers import Phone, basic, count_fixes, location, wait_for
from webui.app import make_app

from qr import configuration, decode_qr


async def _first_run(page, gw) -> None:
    await page.goto(base_url(gw) + "/setup")
    # The name's pattern compiles under the `v` flag Chromium uses for `pattern` now.
    valid = await page.evaluate("""() => { const i = document.getElementById('name');
        try { new RegExp('^(?:' + i.pattern + ')$', 'v'); } catch (e) { return 'bad: ' + e; }
        i.value = 'Not OK'; const bad = i.validity.patternMismatch;
        i.value = 'alice-2_x'; return bad && !i.validity.patternMismatch; }""")
    assert valid is True, valid
    await page.fill("#code", gw.setup_code)           # as read off the box's log
    await page.fill("#household", "The Martins")
    await page.fill("#timezone", "Europe/Paris")
    await page.select_option("#language", "en")
    await page.fill("#name", "alice")
    await page.fill("#display_name", "Alice")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/devices/new?welcome=1")


async def test_first_run_to_a_phone_posting_with_its_qr_code(tmp_path):
    gw = Gateway(make_config(tmp_path / "data"), web_app=make_app)
    await gw.start()
    try:
        async with chromium() as browser:
            page = await browser.new_page(viewport=PHONE)
            console = watch_console(page)
            await _first_run(page, gw)
            assert "The Martins" in await page.inner_text("header")
            await page.fill("#name", "pixel")
            await page.check("input[name=mode][value=http]")
            await page.click("form:has(#name) button[type=submit]")
            await page.wait_for_selector("#qr svg")
            link = await decode_qr(page, "#qr svg", tmp_path)
            assert link == await page.get_attribute("#config-link", "href")
            conf = configuration(link)
            assert "Allow external configuration" in await page.inner_text("main")
            # Logging out ends the session: the page is then behind the login again.
            await page.click("header button:has-text('Log out')")
            await page.goto(base_url(gw) + "/devices")
            assert "/login" in page.url
            assert not [c for c in console if "pageerror" in c], console
    except BaseException:
        await gw.stop()
        raise
    try:
        assert conf["mode"] == 3 and conf["url"] == f"{base_url(gw)}/pub"    # HTTP mode
        assert conf["username"] == "alice/pixel" and conf["auth"] is True
        now = int(time.time())
        async with aiohttp.ClientSession(headers=basic(conf["username"], conf["password"])) as phone:
            async with phone.post(conf["url"], json=location(now, tid=conf["tid"])) as r:
                assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        assert count_fixes(gw.config.db_path, "ts = ?", now) == 1
    finally:
        await gw.stop()


async def test_an_mqtt_phone_connects_with_what_its_qr_code_says(mqtt_gateway, tmp_path):
    gw = mqtt_gateway
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(base_url(gw) + "/login")
        await page.fill("#name", "alice")
        await page.fill("#password", PASSWORD)
        await page.click("main button[type=submit]")
        await page.goto(base_url(gw) + "/devices/new")
        await page.fill("#name", "tablet")
        await page.check("input[name=mode][value=mqtt]")
        await page.click("form:has(#name) button[type=submit]")
        await page.wait_for_selector("#qr svg")
        conf = configuration(await decode_qr(page, "#qr svg", tmp_path))
        facts = await page.inner_text("#facts")
    assert conf["mode"] == 0 and conf["host"] == "127.0.0.1" and conf["port"] == gw.config.mqtt.port
    assert str(conf["port"]) in facts and conf["password"] in facts
    await asyncio.sleep(1.5)       # the broker re-reads its password file (SIGHUP)
    phone = Phone(conf["port"], conf["username"], conf["password"])
    try:
        assert phone.connected == 0, "the broker refused the login the QR code carries"
        now = int(time.time())
        phone.publish(f"owntracks/{conf['username']}", location(now, tid=conf["tid"]))
        await wait_for(lambda: count_fixes(gw.config.db_path, "ts = ?", now) == 1)
    finally:
        phone.close()
