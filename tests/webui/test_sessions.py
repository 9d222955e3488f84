"""Server-side sessions: logout really ends them, a password change ends all of the
member's, expiry slides up to a cap, the database never holds a usable token, and the
cookie carries the right flags."""
from __future__ import annotations

import hashlib

import aiohttp
from yarl import URL

from gateway import accounts
from gateway.accounts import sessions
from gateway.store import Store
from harness import PASSWORD, base_url
from web_helpers import box, browser, login, page_token

LIFETIME = accounts.Lifetime(idle_s=3600, max_s=4 * 3600)


def _cookie(session) -> str:
    return next(c.value for c in session.cookie_jar if c.key == "selfdata_session")


async def _replay(gw, token: str, path: str = "/api/0/last") -> int:
    """What a thief holding a copy of the cookie gets."""
    async with aiohttp.ClientSession() as thief:
        async with thief.get(base_url(gw) + path,
                             headers={"Cookie": f"selfdata_session={token}"},
                             allow_redirects=False) as r:
            return r.status


async def test_logout_ends_the_session_on_the_server(gateway):
    async with browser() as b:
        assert (await login(b, gateway)).status == 302
        token = _cookie(b)
        assert await _replay(gateway, token) == 200
        csrf = await page_token(b, gateway)
        async with b.post(base_url(gateway) + "/logout", data={"csrf_token": csrf},
                          allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"] == "/login"
        # The copied cookie is worthless now, not just deleted from this browser.
        assert await _replay(gateway, token) == 401
        assert await _replay(gateway, token, "/") == 302


async def test_a_password_change_ends_every_session_of_that_member_only(gateway):
    async with browser() as laptop, browser() as phone, browser() as bob:
        for client in (laptop, phone):
            assert (await login(client, gateway)).status == 302
        assert (await login(bob, gateway, "bob")).status == 302
        store = Store(gateway.config.db_path)
        with store.transaction() as conn:
            accounts.set_password(conn, "alice", "a brand new password")
        store.close()
        for client in (laptop, phone):
            assert await _replay(gateway, _cookie(client)) == 401
        assert await _replay(gateway, _cookie(bob)) == 200


async def test_each_login_gets_a_new_session(gateway):
    """A token planted in the browser before the login (fixation) is never the one used."""
    async with browser() as b:
        b.cookie_jar.update_cookies({"selfdata_session": "planted-by-an-attacker"},
                                    response_url=URL(base_url(gateway)))
        await login(b, gateway)
        first = _cookie(b)
        assert first != "planted-by-an-attacker"
        # Logged in, the login form carries the session's token like every form.
        csrf = await page_token(b, gateway, "/login")
        async with b.post(base_url(gateway) + "/login", allow_redirects=False,
                          data={"name": "alice", "password": PASSWORD, "csrf_token": csrf}) as r:
            assert r.status == 302
        assert _cookie(b) != first
        assert await _replay(gateway, first) == 200   # the other session is still its own


async def test_the_database_holds_only_a_hash_of_the_token(gateway):
    async with browser() as b:
        await login(b, gateway)
        token = _cookie(b)
    rows = gateway.store.conn.execute("SELECT * FROM sessions").fetchall()
    assert len(rows) == 1
    assert token not in [str(v) for v in tuple(rows[0])]
    assert rows[0]["id_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43  # 256 bits, url-safe base64


async def test_the_cookie_is_httponly_samesite_strict_and_secure_when_asked(household):
    async with box(household) as gw:
        async with browser() as b:
            async with b.post(base_url(gw) + "/login", allow_redirects=False,
                              data={"name": "alice", "password": PASSWORD}) as r:
                header = r.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Secure" not in header   # plain HTTP on the LAN: a Secure cookie would never return
    async with box(household, secure_cookies=True) as gw:
        async with browser() as b:
            async with b.post(base_url(gw) + "/login", allow_redirects=False,
                              data={"name": "alice", "password": PASSWORD}) as r:
                assert "Secure" in r.headers["Set-Cookie"]


def test_expiry_slides_with_use_up_to_the_absolute_cap(tmp_path, household):
    store = Store(household.config.db_path).open()
    alice = accounts.get_member(store.conn, "alice")
    t0 = 1_800_000_000
    with store.transaction() as conn:
        token, s = sessions.start_session(conn, alice.id, LIFETIME, user_agent="Firefox\x00\n",
                                          now=t0)
    assert s.expires_ts == t0 + 3600 and s.user_agent == "Firefox"
    assert sessions.find_session(store.conn, token, now=t0 + 3599) is not None
    assert sessions.find_session(store.conn, token, now=t0 + 3600) is None   # idle: over
    now = t0
    for _ in range(4):      # used every 50 minutes: it lives on...
        now += 3000
        found = sessions.find_session(store.conn, token, now=now)
        assert found is not None and found.touch_due(now)
        with store.transaction() as conn:
            sessions.touch_session(conn, found, LIFETIME, now=now)
    found = sessions.find_session(store.conn, token, now=now + 2000)
    assert found is not None
    assert found.expires_ts == t0 + LIFETIME.max_s   # ...but never past the cap
    assert sessions.find_session(store.conn, token, now=t0 + LIFETIME.max_s) is None
    store.close()


def test_sessions_per_member_are_bounded_and_expired_ones_purged(household):
    store = Store(household.config.db_path).open()
    alice = accounts.get_member(store.conn, "alice")
    with store.transaction() as conn:
        for i in range(sessions.MAX_PER_MEMBER + 10):
            sessions.start_session(conn, alice.id, LIFETIME, now=1_800_000_000 + i)
    count = lambda: store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert count() == sessions.MAX_PER_MEMBER
    with store.transaction() as conn:
        sessions.start_session(conn, alice.id, LIFETIME, now=1_800_000_000 + 10 * 86400)
    assert count() == 1
    store.close()


async def test_the_sliding_expiry_is_written_as_the_member_uses_the_box(gateway):
    async with browser() as b:
        await login(b, gateway)
        gateway.store.conn.execute("UPDATE sessions SET last_seen_ts = last_seen_ts - 600, "
                                   "expires_ts = expires_ts - 600")
        before = gateway.store.conn.execute("SELECT expires_ts FROM sessions").fetchone()[0]
        async with b.get(base_url(gateway) + "/api/0/last") as r:
            assert r.status == 200
        after = gateway.store.conn.execute("SELECT expires_ts FROM sessions").fetchone()[0]
        assert after >= before + 590
