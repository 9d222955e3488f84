"""Slow and idle clients: the review held 200 half-sent requests open for good and exhausted
the 1,024 default descriptors with 1,100 idle sockets, and phones were refused. Now the
sockets are closed after the idle timeout, one address cannot hold more than its share,
the total is capped below the open-file limit, and a phone is served throughout."""
from __future__ import annotations

import asyncio
import json
import resource
import time

import aiohttp

from gateway.http_listener import address_key, raise_open_files_limit
from harness import PASSWORD, base_url
from helpers import basic
from web_helpers import box

HALF_HEAD = b"POST /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Wait: "


async def _open(gw, source: str, first: bytes = b""):
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.web_port,
                                                   local_addr=(source, 0))
    if first:
        writer.write(first)
        await writer.drain()
    return reader, writer


async def _phone_posts(gw, tst: int) -> int:
    body = json.dumps({"_type": "location", "lat": 46.16, "lon": -1.15, "tst": tst, "tid": "ph"})
    headers = basic("alice/phone", gw.household.secrets["alice/phone"])
    async with aiohttp.ClientSession() as phone:
        async with phone.post(base_url(gw) + "/pub", data=body, headers=headers) as r:
            return r.status


async def _wait_eof(reader, timeout: float) -> bool:
    """True when the server closed the connection within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(4096):
                pass
        return True
    except ConnectionError:
        return True
    except TimeoutError:
        return False


async def test_slowloris_and_idle_sockets_are_closed_and_phones_served(household):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))  # the review's box
    async with box(household, idle_timeout_s=2.0) as gw:
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard   # raised at start
        attack = []
        for i in range(200):                   # half-sent heads, 20 per address
            attack.append(await _open(gw, f"127.0.1.{1 + i // 20}", HALF_HEAD))
        for i in range(1100):                  # idle sockets, 25 per address
            attack.append(await _open(gw, f"127.0.2.{1 + i // 25}"))
        for _, writer in attack[:200]:         # dripping more header bytes does not help
            writer.write(b"x")
        now = int(time.time())
        assert await _phone_posts(gw, now - 10) == 200          # served during the attack
        closed = await asyncio.gather(*(_wait_eof(r, 30) for r, _ in attack))
        assert all(closed), f"{closed.count(False)} attack sockets still open"
        assert await _phone_posts(gw, now - 5) == 200
        assert len(gw.http.open) <= 2, len(gw.http.open)
        for _, writer in attack:
            writer.close()
    stored = gw.store.conn.execute("SELECT count(*) FROM fixes").fetchone()[0]
    assert stored == 2


async def test_the_idle_timeout_alone_closes_half_sent_heads_and_idle_sockets(household):
    async with box(household, idle_timeout_s=1.0) as gw:
        attack = [await _open(gw, f"127.0.5.{1 + i // 20}", HALF_HEAD if i % 2 else b"")
                  for i in range(100)]
        assert all(await asyncio.gather(*(_wait_eof(r, 30) for r, _ in attack)))
        assert gw.http.evicted == 0 and gw.http.refused == 0   # the timer did it
        # A keep-alive connection that went idle after an answer is closed too.
        reader, writer = await _open(gw, "127.0.5.99", b"GET /healthz HTTP/1.1\r\n"
                                                       b"Host: 127.0.0.1\r\n\r\n")
        assert b" 200 " in await reader.readline()
        assert await _wait_eof(reader, 30)
        writer.close()
        for _, w in attack:
            w.close()


async def test_one_address_cannot_hold_more_than_its_share(household):
    async with box(household, max_connections_per_address=32, idle_timeout_s=60.0) as gw:
        attack = [await _open(gw, "127.0.3.1") for _ in range(40)]
        deadline = time.monotonic() + 20
        while gw.http.refused < 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert gw.http.refused == 8
        assert gw.http.by_address["127.0.3.1"] == 32
        refused = await asyncio.gather(*(_wait_eof(r, 0.5) for r, _ in attack))
        assert refused.count(True) == 8          # closed at once, not after the timeout
        assert await _phone_posts(gw, int(time.time()) - 10) == 200
        for _, writer in attack:
            writer.close()


async def test_beyond_the_total_the_quietest_connection_makes_room(household):
    """Many addresses, one socket each: the phone arriving at the cap is still served, and
    a live socket that has talked outlives the idle ones that came after it."""
    async with box(household, max_connections=20, idle_timeout_s=60.0) as gw:
        async with aiohttp.ClientSession() as viewer:
            ws = await viewer.ws_connect(base_url(gw) + "/ws/last",
                                         headers=basic("bob", PASSWORD))
            attack = [await _open(gw, f"127.0.4.{i + 1}") for i in range(40)]
            assert await _phone_posts(gw, int(time.time()) - 10) == 200
            assert gw.http.evicted >= 20 and len(gw.http.open) <= 20
            await ws.send_str("LAST")
            assert (await ws.receive(timeout=10)).data == "LAST"
            await ws.close()
        for _, writer in attack:
            writer.close()


def test_the_soft_open_file_limit_is_raised_to_the_hard_one():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
    assert raise_open_files_limit() == hard == resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def test_a_client_is_an_ipv4_address_or_an_ipv6_64():
    assert address_key(("192.168.1.7", 5000)) == "192.168.1.7"
    assert address_key(("::ffff:192.168.1.7", 5000, 0, 0)) == "192.168.1.7"
    assert address_key(("2001:db8:a:b:1:2:3:4", 1, 0, 0)) == "2001:db8:a:b::/64"
    assert address_key("2001:db8:a:b::9") == "2001:db8:a:b::/64"
