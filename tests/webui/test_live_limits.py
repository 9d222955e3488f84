"""`/ws/last` per member: one member holding many websockets (the review: 64) no longer
locks the rest of the household out of their live map."""
from __future__ import annotations

import contextlib

import aiohttp
import pytest

from harness import PASSWORD, base_url
from helpers import basic
from web_helpers import box

ALICE, BOB = basic("alice", PASSWORD), basic("bob", PASSWORD)


async def _refused(http, gw, headers) -> tuple[int, str]:
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await http.ws_connect(base_url(gw) + "/ws/last", headers=headers)
    return exc.value.status, exc.value.message


async def test_a_member_at_the_limit_leaves_room_for_the_others(household):
    async with box(household, websockets_per_member=8, websockets_max=12) as gw, \
            aiohttp.ClientSession() as http, contextlib.AsyncExitStack() as sockets:
        url = base_url(gw) + "/ws/last"
        for _ in range(8):
            await sockets.enter_async_context(http.ws_connect(url, headers=ALICE))
        status, _ = await _refused(http, gw, ALICE)
        assert status == 429
        bobs = [await sockets.enter_async_context(http.ws_connect(url, headers=BOB))
                for _ in range(4)]
        await bobs[0].send_str("LAST")
        assert (await bobs[0].receive(timeout=10)).data == "LAST"   # B's socket works
        status, _ = await _refused(http, gw, BOB)     # the box's own total: 8 + 4
        assert status == 503
        await bobs[-1].close()
        await sockets.enter_async_context(http.ws_connect(url, headers=BOB))  # a slot freed


async def test_an_oversized_frame_closes_only_that_socket(gateway):
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(base_url(gateway) + "/ws/last", headers=ALICE) as ws:
            await ws.send_str("x" * 100_000)
            msg = await ws.receive(timeout=10)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.CLOSING)
            assert ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        async with http.ws_connect(base_url(gateway) + "/ws/last", headers=ALICE) as ws:
            await ws.send_str("LAST")
            assert (await ws.receive(timeout=10)).data == "LAST"
