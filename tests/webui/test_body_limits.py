"""Every request body has a bound: forms and JSON at 64 KiB (413 before reading, also when
chunked), in time too (408 for a body that trickles), uploads their own streaming limit;
the phones' `/pub` answers 200 with a reason as the apps need."""
from __future__ import annotations

import asyncio

import aiohttp

from harness import PASSWORD, base_url
from helpers import basic
from webui.limits import FORM_BYTES
from web_helpers import box

ALICE = basic("alice", PASSWORD)


async def _chunks(total: int, size: int = 16 * 1024):
    sent = 0
    while sent < total:
        yield b"a=" + b"x" * (size - 2)
        sent += size


async def test_each_route_refuses_a_body_beyond_its_limit(gateway):
    big = b"name=" + b"x" * (FORM_BYTES + 10)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as s:
        for path, headers in (("/login", form), ("/setup", form), ("/logout", {**ALICE, **form}),
                              ("/api/0/last", {**ALICE, **form}),
                              ("/api/0/locations", {**ALICE, **form})):
            async with s.post(base_url(gateway) + path, data=big, headers=headers) as r:
                assert r.status == 413, path
                assert "takes at most 65536 bytes" in await r.text(), path
        # Chunked (no Content-Length): refused once it is over, not after reading it all.
        async with s.post(base_url(gateway) + "/api/0/last", data=_chunks(10 * FORM_BYTES),
                          headers={**ALICE, **form}) as r:
            assert r.status == 413
            assert (await r.json())["error"].startswith("this request's body is")
        # A form well within the bound is fine.
        async with s.post(base_url(gateway) + "/api/0/last", data={"user": "alice"},
                          headers=ALICE) as r:
            assert r.status == 200


async def test_a_body_that_trickles_is_cut_off(household):
    async with box(household, body_timeout_s=1.0) as gw:
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.web_port)
        writer.write(f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{gw.web_port}\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: 100\r\n\r\nname=al".encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), 30)
        writer.close()
        assert answer.split(b"\r\n")[0].endswith(b" 408 Request Timeout"), answer


async def test_phones_get_their_own_bound_with_a_200(gateway):
    device = basic("alice/phone", gateway.household.secrets["alice/phone"])
    async with aiohttp.ClientSession() as phone:
        async with phone.post(base_url(gateway) + "/pub", data=b"[" + b" " * 600_000 + b"]",
                              headers=device) as r:
            assert r.status == 200 and "too large" in r.headers["X-Selfdata-Rejected"]
        body = b'{"_type":"location","lat":46.1,"lon":-1.1,"tst":1767225700,"tid":"ph",' \
               b'"pad":"' + b"x" * 100_000 + b'"}'   # bigger than a form, fine for a phone
        async with phone.post(base_url(gateway) + "/pub", data=body, headers=device) as r:
            assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
