"""Logins end when a password changes; phones' bodies arrive whole however they are cut."""
from __future__ import annotations

import asyncio
import base64
import json
import time

import aiohttp

from harness import PASSWORD, base_url
from gateway import accounts
from gateway.store import Store
from helpers import basic, location


def _browser():
    # Cookies for 127.0.0.1: aiohttp's default jar refuses IP hosts.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _login(session, gw, password=PASSWORD):
    return await session.post(base_url(gw) + "/login", allow_redirects=False,
                              data={"name": "alice", "password": password, "next": "/"})


async def test_changing_a_password_ends_sessions_and_cached_basic_logins(gateway):
    gw = gateway
    url = base_url(gw) + "/api/0/last"
    async with _browser() as session:
        r = await _login(session, gw)
        assert r.status == 302
        assert (await session.get(url)).status == 200        # the session cookie works
    async with aiohttp.ClientSession() as plain:
        assert (await plain.get(url, headers=basic("alice", PASSWORD))).status == 200
        store = Store(gw.config.db_path)
        with store.transaction() as conn:
            accounts.set_password(conn, "alice", "a brand new password")
        store.close()
        assert (await plain.get(url, headers=basic("alice", PASSWORD))).status == 401
        assert (await plain.get(url, headers=basic("alice", "a brand new password"))).status == 200


async def test_old_session_cookie_is_refused_after_a_password_change(gateway):
    gw = gateway
    url = base_url(gw) + "/api/0/last"
    async with _browser() as session:
        await _login(session, gw)
        assert (await session.get(url)).status == 200
        store = Store(gw.config.db_path)
        with store.transaction() as conn:
            accounts.set_password(conn, "alice", "a brand new password")
        store.close()
        assert (await session.get(url)).status == 401


async def test_a_wrong_password_on_the_login_page_says_so(gateway):
    async with aiohttp.ClientSession() as session:
        r = await _login(session, gateway, "not the password")
        assert r.status == 401 and "wrong password" in await r.text()


async def test_a_big_card_sent_in_small_pieces_arrives_whole(gateway):
    gw = gateway
    # ~64 kB of base64: the biggest face kept ([ingest] max_face_bytes), in five pieces.
    face = base64.b64encode(bytes(range(256)) * 190).decode()
    assert 60_000 < len(face) <= gw.config.ingest.max_face_bytes
    body = json.dumps({"_type": "card", "name": "Alice", "tid": "al", "face": face}).encode()

    async def pieces():
        for i in range(0, len(body), 16 * 1024):
            yield body[i:i + 16 * 1024]
            await asyncio.sleep(0.005)

    headers = basic("alice/phone", gw.household.secrets["alice/phone"])
    async with aiohttp.ClientSession() as session:
        r = await session.post(base_url(gw) + "/pub", data=pieces(), headers=headers)
        assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        reply = await r.json()
    assert {"_type": "card", "tid": "NE", "name": "Alice", "face": face} in reply
    assert gw.store.conn.execute("SELECT card_face FROM devices WHERE name='phone' AND "
                                 "member_id=(SELECT id FROM members WHERE name='alice')"
                                 ).fetchone()[0] == face


async def test_too_big_a_body_is_refused_with_200_and_a_reason(gateway):
    gw = gateway
    body = json.dumps(location(int(time.time()) - 5, pad="x" * 600_000)).encode()
    headers = basic("alice/phone", gw.household.secrets["alice/phone"])
    async with aiohttp.ClientSession() as session:
        r = await session.post(base_url(gw) + "/pub", data=body, headers=headers)
        assert r.status == 200
        assert "too large" in r.headers["X-Selfdata-Rejected"]
