"""The city's side for the box's tests: the real aggregator application served over real
HTTP on loopback (in this process, so it can be stopped and started again on the same port),
and a capturing reverse proxy in front of it that records every byte a box sends."""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import date

import aiohttp
from aiohttp import web

from aggregator import enrol, publish
from aggregator.app import STATE, Settings, build_app
from carbon import summary_wire as wire

K = 5            # the smallest k the wire format lets a study publish at (summary_wire.MIN_K)
CITY_TODAY = date(2026, 12, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class City:
    """The aggregator app on a fixed loopback port; stop() and start() keep its data."""

    def __init__(self, data_dir, dsn=None, k: int = K, today=CITY_TODAY):
        self.data_dir, self.dsn, self.k, self.today = str(data_dir), dsn, k, today
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = self.runner = None

    async def start(self) -> "City":
        settings = Settings(self.data_dir, self.dsn, k=self.k, publish_every=0,
                            today=lambda: self.today)
        self.app = build_app(settings)
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()
        # The standing study at the test's small k (the server publishes at max(k, study k)).
        await self.store.put_study({**wire.STANDING_STUDY, "k": self.k})
        await self.state.studies.reload()
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()
        self.app = self.runner = None

    @property
    def state(self):
        return self.app[STATE]

    @property
    def store(self):
        return self.state.store

    async def tokens(self, n: int) -> list:
        return await enrol.issue_tokens(self.store, n)

    async def publish(self) -> list:
        return await publish.publish_all(self.store, self.k, self.today, grace_days=0)

    async def published(self, month: str) -> dict | None:
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{self.url}/published/{month}.json") as r:
                return await r.json() if r.status == 200 else None

    def counters(self) -> dict:
        return self.state.counters.as_dict()


@dataclass
class Captured:
    method: str
    path: str
    headers: list                 # [(name, value)] as received
    body: bytes
    peer: tuple                   # the box's (address, port): one connection each
    status: int = 0
    answer: bytes = b""


@dataclass
class CaptureProxy:
    """A reverse proxy on loopback: boxes enrol with its URL; it forwards to the city and
    keeps every request exactly as it arrived. `hold` (an Event, cleared) lets the city
    answer but keeps the answer from the box until set; `down` answers nothing at all."""
    target: str
    port: int = field(default_factory=free_port)
    seen: list = field(default_factory=list)
    hold: asyncio.Event | None = None
    forwarded: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "CaptureProxy":
        app = web.Application(client_max_size=1 << 20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        item = Captured(request.method, request.path_qs, list(request.raw_headers), body,
                        request.transport.get_extra_info("peername"))
        item.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers]
        self.seen.append(item)
        try:
            async with aiohttp.ClientSession() as s:
                async with s.request(request.method, self.target + request.path_qs, data=body,
                                     headers={"Content-Type": request.content_type}) as r:
                    item.status, item.answer = r.status, await r.read()
                    content_type = r.content_type
        except aiohttp.ClientError:      # the city is down: what a reverse proxy answers then
            item.status, item.answer = 502, b"<html><body>502 Bad Gateway</body></html>"
            return web.Response(body=item.answer, status=502, content_type="text/html")
        self.forwarded.set()
        if self.hold is not None:
            await self.hold.wait()
        return web.Response(body=item.answer, status=item.status, content_type=content_type)

    def posts(self, path: str) -> list:
        return [c for c in self.seen if c.method == "POST" and c.path == path]
