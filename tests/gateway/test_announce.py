"""Browsers and phones find the box by name: the web page and the broker are announced.

Confined to the loopback interface so that no multicast leaves this machine."""
from __future__ import annotations

import socket

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from gateway.config import Config
from gateway.announce import Announcer

LOOPBACK = ["127.0.0.1"]


async def _lookup(kind: str, name: str) -> AsyncServiceInfo | None:
    azc = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    try:
        info = AsyncServiceInfo(kind, name)
        return info if await info.async_request(azc.zeroconf, 3000) else None
    finally:
        await azc.async_close()


async def test_web_page_and_broker_are_announced_under_the_box_name():
    cfg = Config()
    cfg.gateway.hostname = "selfdata-zc-test"
    cfg.mqtt.port = 18830
    announcer = await Announcer.start(cfg, 18080, interfaces=LOOPBACK,
                                      addresses=[socket.inet_aton("127.0.0.1")])
    try:
        web = await _lookup("_http._tcp.local.", "selfdata-zc-test._http._tcp.local.")
        mqtt = await _lookup("_mqtt._tcp.local.", "selfdata-zc-test._mqtt._tcp.local.")
    finally:
        await announcer.close()
    assert web is not None and web.port == 18080 and web.server == "selfdata-zc-test.local."
    assert web.parsed_addresses() == ["127.0.0.1"]
    assert web.properties[b"path"] == b"/"
    assert mqtt is not None and mqtt.port == 18830
