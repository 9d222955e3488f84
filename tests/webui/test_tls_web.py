"""The web page over real loopback TLS: the box's own certificate, trusted through its CA
alone (as a phone or browser that imported it); plain HTTP sent on to HTTPS; phones over
plain HTTP only where the household allows it; secure cookies and HSTS over TLS; the CA
offered for download; the certificate renewed when the box's address changes."""
from __future__ import annotations

import contextlib
import json
import ssl
import time

import aiohttp
import pytest
from cryptography import x509

from gateway import tls
from gateway.queries.stats import box_stats
from gateway.service import Gateway
from harness import PASSWORD
from helpers import basic
from webui.app import make_app


@contextlib.asynccontextmanager
async def tls_box(household, **web):
    household.config.web.tls = "on"
    for key, value in web.items():
        setattr(household.config.web, key, value)
    gw = Gateway(household.config, web_app=make_app)
    await gw.start(https_port=0)
    try:
        yield gw
    finally:
        await gw.stop()


def trust(gw) -> ssl.SSLContext:
    """Only the box's CA, nothing from the system store."""
    return ssl.create_default_context(cafile=str(gw.config.tls_dir / "ca.crt"))


def https(gw, path="") -> str:
    return f"https://127.0.0.1:{gw.https_port}{path}"


def http(gw, path="") -> str:
    return f"http://127.0.0.1:{gw.web_port}{path}"


def location(ts: int) -> str:
    return json.dumps({"_type": "location", "lat": 46.16, "lon": -1.15, "tst": ts, "acc": 9})


def fixes(gw) -> int:
    return box_stats(gw.store.conn)["fixes"]


async def test_pages_over_https_with_the_box_ca_and_a_secure_session(household):
    async with tls_box(household) as gw, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        async with s.get(https(gw, "/login"), ssl=trust(gw)) as r:
            assert r.status == 200
            assert r.headers["Strict-Transport-Security"] == "max-age=86400"
        async with s.post(https(gw, "/login"), ssl=trust(gw), allow_redirects=False,
                          data={"name": "alice", "password": PASSWORD, "next": "/"}) as r:
            assert r.status == 302
            cookie = r.cookies["selfdata_session"]
            assert cookie["secure"] and cookie["httponly"]
        async with s.get(https(gw, "/"), ssl=trust(gw)) as r:
            assert r.status == 200 and 'id="timeline-h"' in await r.text()   # her day


async def test_a_client_that_does_not_trust_the_box_or_asks_another_name_is_refused(household):
    async with tls_box(household) as gw, aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await s.get(https(gw, "/login"))  # the system's CAs do not know the box
        # The box's CA, but a name the certificate does not carry (connecting to loopback).
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as refused:
            await s.get(https(gw, "/login"), ssl=trust(gw), server_hostname="attacker.example")
        assert "attacker.example" in str(refused.value) or "mismatch" in str(refused.value)
        for name in ("selfdata.local", "127.0.0.1"):
            async with s.get(https(gw, "/login"), ssl=trust(gw), server_hostname=name) as r:
                assert r.status == 200


async def test_plain_http_redirects_pages_and_keeps_health_and_the_ca(household):
    async with tls_box(household) as gw, aiohttp.ClientSession() as s:
        async with s.get(http(gw, "/login?next=/x"), allow_redirects=False) as r:
            assert r.status == 308
            assert r.headers["Location"] == https(gw, "/login?next=/x")
            assert "Strict-Transport-Security" not in r.headers  # never over plain HTTP
        async with s.post(http(gw, "/login"), allow_redirects=False,
                          data={"name": "alice", "password": PASSWORD}) as r:
            assert r.status == 308 and "Set-Cookie" not in r.headers  # no password checked
        async with s.get(http(gw, "/healthz")) as r:
            assert r.status == 200 and (await r.json())["status"] == "ok"
        async with s.get(http(gw, "/tls/ca.crt")) as plain, \
                s.get(https(gw, "/tls/ca.crt"), ssl=trust(gw)) as secure:
            body = await plain.read()
            assert body == await secure.read() == (gw.config.tls_dir / "ca.crt").read_bytes()
            assert plain.content_type == "application/x-x509-ca-cert"


async def test_phones_over_plain_http_only_when_the_household_allows_it(household):
    alice = basic("alice/phone", household.secrets["alice/phone"])
    now = int(time.time())
    async with tls_box(household) as gw, aiohttp.ClientSession() as s:
        async with s.post(http(gw, "/pub"), data=location(now - 30), headers=alice) as r:
            assert r.status == 403 and "https://" in await r.text()
        assert fixes(gw) == 0
        async with s.post(https(gw, "/pub"), data=location(now - 20), headers=alice,
                          ssl=trust(gw)) as r:
            assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        assert fixes(gw) == 1
    async with tls_box(household, plain_pub=True) as gw, aiohttp.ClientSession() as s:
        async with s.post(http(gw, "/pub"), data=location(now - 10), headers=alice) as r:
            assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        async with s.get(http(gw, "/login"), allow_redirects=False) as r:
            assert r.status == 308  # pages still go to HTTPS
        assert fixes(gw) == 2


async def test_without_tls_nothing_redirects_and_cookies_are_not_secure(household):
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    try:
        assert gw.https_port is None and not gw.config.tls_dir.exists()
        async with aiohttp.ClientSession() as s:
            async with s.post(http(gw, "/login"), allow_redirects=False,
                              data={"name": "alice", "password": PASSWORD, "next": "/"}) as r:
                assert r.status == 302 and not r.cookies["selfdata_session"]["secure"]
                assert "Strict-Transport-Security" not in r.headers
            async with s.get(http(gw, "/tls/ca.crt")) as r:
                assert r.status == 404
    finally:
        await gw.stop()


async def test_the_ca_page_needs_a_login_and_shows_the_fingerprint(household):
    async with tls_box(household) as gw, aiohttp.ClientSession() as s:
        async with s.get(https(gw, "/tls"), ssl=trust(gw), allow_redirects=False) as r:
            assert r.status in (302, 401)
        async with s.get(https(gw, "/tls"), ssl=trust(gw),
                         headers=basic("alice", PASSWORD)) as r:
            page = await r.text()
            assert r.status == 200
        assert tls.ca_fingerprint(gw.config.tls_dir) in page
        assert 'href="/tls/ca.crt"' in page and 'href="/tls/ca.mobileconfig"' in page
        async with s.get(https(gw, "/tls/ca.mobileconfig"), ssl=trust(gw)) as r:
            assert r.status == 200
            assert r.content_type == "application/x-apple-aspen-config"
            assert b"com.apple.security.root" in await r.read()


async def test_first_run_setup_offers_the_ca(tmp_path):
    from harness import make_config
    config = make_config(tmp_path / "data")
    config.web.tls = "auto"
    gw = Gateway(config, web_app=make_app)
    await gw.start(https_port=0)
    try:
        async with aiohttp.ClientSession() as s:
            async with s.get(https(gw, "/setup"), ssl=trust(gw)) as r:
                page = await r.text()
                assert r.status == 200 and 'href="/tls/ca.crt"' in page
    finally:
        await gw.stop()


async def test_a_new_lan_address_renews_the_certificate_served(household, monkeypatch):
    monkeypatch.setattr(tls.box, "lan_addresses", lambda: ["192.168.1.20"])
    async with tls_box(household) as gw:
        before = await served_certificate(gw)
        assert "192.168.1.20" in sans(before)
        await gw._check_tls()  # unchanged: nothing renewed
        assert (await served_certificate(gw)).serial_number == before.serial_number
        monkeypatch.setattr(tls.box, "lan_addresses", lambda: ["192.168.1.77"])
        await gw._check_tls()  # what the service does every minute
        after = await served_certificate(gw)
        assert "192.168.1.77" in sans(after) and "192.168.1.20" not in sans(after)
        assert after.issuer == before.issuer  # the same CA: phones keep trusting it


async def served_certificate(gw) -> x509.Certificate:
    """What a new connection gets (a blocking client, in a thread: the box serves it)."""
    import asyncio
    return await asyncio.to_thread(_handshake, gw)


def _handshake(gw) -> x509.Certificate:
    import socket
    with socket.create_connection(("127.0.0.1", gw.https_port), timeout=10) as raw:
        with trust(gw).wrap_socket(raw, server_hostname="selfdata.local") as conn:
            return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True))


def sans(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(
        san.get_values_for_type(x509.DNSName))


async def test_before_the_clock_is_set_auto_waits_and_on_refuses(household, monkeypatch):
    """A Pi without a battery clock may start in the past: no certificate then. "auto"
    serves plain HTTP and turns HTTPS on once the time is right; "on" does not start."""
    import datetime as dt

    from gateway.tls import authority
    real = authority.EARLIEST_PLAUSIBLE
    monkeypatch.setattr(authority, "EARLIEST_PLAUSIBLE", dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc))
    household.config.web.tls = "auto"
    gw = Gateway(household.config, web_app=make_app)
    await gw.start(https_port=0)
    try:
        assert gw.https_port is None
        async with aiohttp.ClientSession() as s:
            async with s.get(http(gw, "/login"), allow_redirects=False) as r:
                assert r.status == 200  # no redirect to an HTTPS that is not there
        monkeypatch.setattr(authority, "EARLIEST_PLAUSIBLE", real)  # NTP set the clock
        await gw._check_tls()
        assert gw.https_port
        async with aiohttp.ClientSession() as s:
            async with s.get(https(gw, "/login"), ssl=trust(gw)) as r:
                assert r.status == 200
            async with s.get(http(gw, "/login"), allow_redirects=False) as r:
                assert r.status == 308
    finally:
        await gw.stop()
    monkeypatch.setattr(authority, "EARLIEST_PLAUSIBLE", dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc))
    household.config.web.tls = "on"
    import shutil
    shutil.rmtree(household.config.tls_dir)
    gw = Gateway(household.config, web_app=make_app)
    with pytest.raises(authority.ClockNotSet):
        await gw.start(https_port=0)
    await gw.stop()
