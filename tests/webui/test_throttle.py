"""Login throttling: the review guessed 25-45 passwords a second and never saw a 429. A burst
of wrong passwords now gets 429s with Retry-After, while other members and other addresses
get in meanwhile; too many checks at once get a quick 503."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from harness import PASSWORD, base_url
from helpers import basic
from web_helpers import browser, login
from webui.keys import MEMBER_AUTH
from webui.throttle import Backoff, Busy, Gate, LoginThrottle, Throttled


@pytest.fixture
def frozen(gateway):
    """The box's throttles on a clock that stands still: a wait never runs out while the
    test looks (on a loaded machine a 1 s wait could pass between two requests)."""
    auth = gateway._runner.app[MEMBER_AUTH]
    web_cfg = gateway.config.web
    auth.throttle = LoginThrottle(free=web_cfg.login_failures_before_delay,
                                  cap=web_cfg.login_max_delay_s, clock=lambda: 1000.0)
    return gateway


async def _burst(gw, n: int, *, source=None, name="alice") -> list[int]:
    statuses = []
    async with browser(source) as attacker:
        for i in range(n):
            r = await login(attacker, gw, name, f"guess number {i}")
            statuses.append(r.status)
            if r.status == 429:
                assert int(r.headers["Retry-After"]) >= 1
    return statuses


async def test_a_burst_of_wrong_passwords_gets_429_and_others_still_get_in(frozen):
    gateway = frozen
    statuses = await _burst(gateway, 30)
    assert statuses == [401] * 5 + [429] * 25   # a few typos are nobody's business
    # Meanwhile: another member from another address, and alice herself from hers.
    async with browser("127.0.0.2") as bob:
        assert (await login(bob, gateway, "bob")).status == 302
    async with browser("127.0.0.3") as alice:
        assert (await login(alice, gateway, "alice")).status == 302
    # The attacker's address waits, whatever it sends.
    async with browser() as attacker:
        assert (await login(attacker, gateway, "bob")).status == 429


async def test_basic_auth_on_the_api_is_throttled_too(frozen):
    gateway = frozen
    url = base_url(gateway) + "/api/0/last"
    statuses = []
    async with aiohttp.ClientSession() as s:
        for i in range(20):
            async with s.get(url, headers=basic("alice", f"guess {i}")) as r:
                statuses.append(r.status)
                if r.status == 429:
                    assert r.headers["Retry-After"].isdigit()
                    assert "try again" in (await r.json())["error"]
    assert statuses == [401] * 5 + [429] * 15, statuses
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as tool:
        async with tool.get(url, headers=basic("alice", PASSWORD)) as r:
            assert r.status == 200


async def test_a_name_attacked_from_many_addresses_slows_down_but_not_from_home(frozen):
    gateway = frozen
    async with browser("127.0.0.9") as home:      # alice's own laptop, logged in before
        assert (await login(home, gateway)).status == 302
    statuses = []
    for host in range(20, 40):                     # 20 addresses, 2 guesses each
        statuses += await _burst(gateway, 2, source=f"127.0.0.{host}")
    assert statuses == [401] * 10 + [429] * 30, statuses   # the name itself now waits...
    async with browser("127.0.0.99") as stranger:
        assert (await login(stranger, gateway)).status == 429
    async with browser("127.0.0.9") as home:       # ...but not where alice logs in
        assert (await login(home, gateway)).status == 302


async def test_too_many_checks_at_once_are_answered_503_at_once(gateway):
    """The Argon2 gate full (parallel checks running, the queue full): a further login is
    not queued behind them, it gets a 503 straight away."""
    gate = gateway._runner.app[MEMBER_AUTH].gate
    release = asyncio.Event()

    async def hold():
        async with gate:
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(gateway.config.web.login_parallel_checks
                                                          + gateway.config.web.login_queue)]
    while gate.waiting < gateway.config.web.login_queue:
        await asyncio.sleep(0.01)
    try:
        async with browser("127.0.0.5") as b:
            started = time.monotonic()
            r = await login(b, gateway)
            assert r.status == 503 and r.headers["Retry-After"] == "1"
            assert time.monotonic() - started < 5    # answered, not queued for minutes
            async with aiohttp.ClientSession() as tool:
                async with tool.get(base_url(gateway) + "/api/0/last",
                                    headers=basic("bob", PASSWORD)) as api:
                    assert api.status == 503
    finally:
        release.set()
        await asyncio.gather(*holders)
    async with browser("127.0.0.5") as b:
        assert (await login(b, gateway)).status == 302


def test_backoff_doubles_up_to_its_cap_and_forgets():
    now = [1000.0]
    b = Backoff(free=3, base=1.0, cap=8.0, clock=lambda: now[0])
    for _ in range(3):
        assert b.wait("k") == 0
        b.failed("k")
    waits = []
    for _ in range(6):
        waits.append(b.wait("k"))
        b.failed("k")
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    now[0] += 5
    assert b.wait("k") == 3.0
    now[0] += 4000
    assert b.wait("k") == 0
    b.failed("k")
    assert b.wait("k") == 0      # forgotten: counting starts again


def test_a_success_clears_the_address_and_the_name():
    t = LoginThrottle(free=2, cap=60)
    for _ in range(2):
        t.check("alice", "127.0.0.1")
        t.failed("alice", "127.0.0.1")
    with pytest.raises(Throttled) as exc:
        t.check("alice", "127.0.0.1")
    assert exc.value.retry_after == 1
    t.check("alice", "127.0.0.2")
    t.succeeded("alice", "127.0.0.1")
    t.check("alice", "127.0.0.1")


def test_ipv6_addresses_count_per_64():
    t = LoginThrottle(free=1, cap=60)
    t.failed(None, "2001:db8:1:2::1")
    with pytest.raises(Throttled):
        t.check(None, "2001:db8:1:2:ffff::7")    # same /64: same client
    t.check(None, "2001:db8:1:3::1")


async def test_the_gate_refuses_beyond_its_queue():
    gate = Gate(parallel=1, queue=1)
    release = asyncio.Event()

    async def hold():
        async with gate:
            await release.wait()

    first, second = asyncio.create_task(hold()), asyncio.create_task(hold())
    while gate.waiting < 1:
        await asyncio.sleep(0)
    with pytest.raises(Busy):
        async with gate:
            pass
    release.set()
    await asyncio.gather(first, second)
    async with gate:
        pass
