"""The household page over real HTTP: first run, login, every page in both languages, and
what a member names anything shown as text."""
from __future__ import annotations

import html
import time
import re

import aiohttp

from gateway import accounts
from gateway.accounts import first_run
from gateway.service import Gateway
from harness import PASSWORD, base_url, make_config
from webui.app import make_app

from page_client import client, get, logged_in
from pagebox import WORKDAY

MAIN_PAGES = ("/day", f"/day/{WORKDAY.isoformat()}", "/trends?period=week",
              "/trends?period=month", "/trends?period=year", "/places", "/bike-days?year=2026",
              "/bike-days/statement?year=2026", "/devices", "/devices/new", "/data",
              "/settings")


async def test_first_run_asks_for_the_household_then_goes_to_adding_a_phone(tmp_path):
    gw = Gateway(make_config(tmp_path / "data"), web_app=make_app)
    await gw.start()
    try:
        async with client() as browser:
            status, page = await get(browser, gw, "/setup")
            assert status == 200
            assert 'pattern="[a-z0-9][a-z0-9_\\-]{0,31}"' in page      # valid under the v flag
            for name in ("household", "timezone", "language", "name", "password"):
                assert f'name="{name}"' in page
            code = first_run.read_setup_code(gw.config)
            async with browser.post(base_url(gw) + "/setup", allow_redirects=False, data={
                    "code": code, "household": "Les Martin", "timezone": "Europe/Paris", "language": "fr",
                    "name": "alice", "display_name": "Alice", "password": PASSWORD}) as r:
                assert r.status == 302 and r.headers["Location"] == "/devices/new?welcome=1"
            status, page = await get(browser, gw, "/devices/new?welcome=1")
            assert status == 200 and "Les Martin" in page and 'lang="fr"' in page
            # Logged in, /setup goes home; the household is kept.
            status, _ = await get(browser, gw, "/setup")
            assert status == 302
        assert accounts.household(gw.store, gw.config)["name"] == "Les Martin"
        async with client() as stranger:
            status, _ = await get(stranger, gw, "/setup")
            assert status == 302                           # to the login form now
            async with stranger.post(base_url(gw) + "/setup", data={
                    "code": code, "name": "mallory", "password": "12345678", "timezone": "UTC"}) as r:
                assert r.status == 403
    finally:
        await gw.stop()


async def test_a_wrong_password_keeps_the_typed_name(history_gateway):
    async with client() as browser:
        async with browser.post(base_url(history_gateway) + "/login", data={
                "name": "alice", "password": "not it", "next": "/trends"}) as r:
            page = await r.text()
    assert r.status == 401 and 'value="alice"' in page and 'value="/trends"' in page


async def test_every_main_page_answers_in_both_languages(history_gateway):
    gw = history_gateway
    for lang, word in (("en", "Log out"), ("fr", "Se déconnecter")):
        async with logged_in(gw, "alice", lang) as session:
            for path in MAIN_PAGES:
                status, page = await get(session, gw, path)
                assert status == 200, (lang, path, status)
                assert f'<html lang="{lang}">' in page and word in page, (lang, path)


async def test_the_language_switch_is_remembered(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "bob", "en") as session:
        async with session.post(base_url(gw) + "/language",
                                data={"lang": "fr", "next": "/trends"}) as r:
            assert r.status == 200 and 'lang="fr"' in await r.text()
        assert accounts.member_preferences(gw.store.conn, 2)["language"] == "fr"
    async with logged_in(gw, "bob", "en") as again:              # the browser says English
        status, page = await get(again, gw, "/day")
        assert 'lang="fr"' in page                                # the member's choice wins


PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


async def test_names_and_refused_bytes_are_shown_as_text(history_gateway):
    """The server escapes (the browser test checks that nothing runs, too)."""
    gw = history_gateway
    from gateway.trips import decisions
    from gateway.store.writes import insert_rejection
    from gateway.model import Rejection
    store = gw.store
    with store.transaction() as conn:
        conn_member = accounts.get_member(conn, "alice")
        accounts.add_member(conn, "carol", PASSWORD, display_name=PAYLOAD)
        device = accounts.get_device(conn, "alice", "phone")
        accounts.set_card(conn, device.id, PAYLOAD, None)
        insert_rejection(conn, Rejection("owntracks-http", "bad json", PAYLOAD.encode(),
                                         device_id=device.id), conn_member.id, time.time())
    decisions.name_place(store, conn_member.id, 46.1512, -1.1365, PAYLOAD, "home")
    async with logged_in(gw, "alice") as session:
        for path in ("/devices", "/places", "/settings", f"/day/{WORKDAY.isoformat()}"):
            status, page = await get(session, gw, path)
            assert status == 200
            assert "<script>window.__xss" not in page and "<img src=x" not in page, path
            assert html.escape(PAYLOAD, quote=False)[:20] in page or "&lt;script&gt;" in page, path
