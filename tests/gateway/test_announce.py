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
        # The instance is "selfdata" (or "selfdata (2)"... if another test's box is up).
        assert announcer.infos[0].name.startswith("selfdata")
        web = await _lookup("_http._tcp.local.", announcer.infos[0].name)
        mqtt = await _lookup("_mqtt._tcp.local.", announcer.infos[1].name)
    finally:
        await announcer.close()
    assert web is not None and web.port == 18080 and web.server == "selfdata-zc-test.local."
    assert web.parsed_addresses() == ["127.0.0.1"]
    assert web.properties[b"path"] == b"/"
    assert mqtt is not None and mqtt.port == 18830


async def test_a_name_another_device_answers_for_gets_a_suffix():
    """Two boxes on one LAN: the second must not answer for the first one's name."""
    other = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    squatter = AsyncServiceInfo("_http._tcp.local.", "other-box._http._tcp.local.",
                                addresses=[socket.inet_aton("127.0.0.2")], port=80,
                                server="zc-clash-test.local.")
    await other.async_register_service(squatter)
    cfg = Config()
    cfg.gateway.hostname = "zc-clash-test"
    cfg.mqtt.enabled = False
    try:
        announcer = await Announcer.start(cfg, 18081, interfaces=LOOPBACK,
                                          addresses=[socket.inet_aton("127.0.0.1")])
        try:
            web = await _lookup("_http._tcp.local.", announcer.infos[0].name)
        finally:
            await announcer.close()
    finally:
        await other.async_close()
    assert announcer.host == "zc-clash-test-2"
    assert web is not None and web.server == "zc-clash-test-2.local." and web.port == 18081


async def test_the_box_answers_for_its_own_name_where_no_avahi_runs():
    """`ping selfdata.local` works with nothing but the gateway: it answers the A query."""
    from zeroconf import AddressResolverIPv4
    cfg = Config()
    cfg.gateway.hostname = "zc-name-test"
    cfg.mqtt.enabled = False
    announcer = await Announcer.start(cfg, 18082, interfaces=LOOPBACK,
                                      addresses=[socket.inet_aton("127.0.0.1")])
    asker = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    try:
        probe = AddressResolverIPv4("zc-name-test.local.")
        assert await probe.async_request(asker.zeroconf, 3000)
        assert probe.parsed_addresses() == ["127.0.0.1"]
    finally:
        await asker.async_close()
        await announcer.close()
