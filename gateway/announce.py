"""Announce the box on the LAN: browsers and phones find it at http://<hostname>.local."""
from __future__ import annotations

import logging
import socket

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from .config import Config

log = logging.getLogger(__name__)


def lan_addresses() -> list[bytes]:
    """IPv4 addresses of this host except loopback (the ones a phone can reach)."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except socket.gaierror:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:  # no packet is sent: connect() on UDP only picks the outgoing interface
            s.connect(("192.0.2.1", 9))
            found.add(s.getsockname()[0])
        except OSError:
            pass
    return [socket.inet_aton(a) for a in sorted(found) if not a.startswith("127.")]


class Announcer:
    def __init__(self, azc: AsyncZeroconf, infos: list[AsyncServiceInfo]):
        self.azc, self.infos = azc, infos

    @classmethod
    async def start(cls, config: Config, web_port: int, *, interfaces=None,
                    addresses: list[bytes] | None = None) -> "Announcer":
        """Announce on every IPv4 interface, or only on ``interfaces`` (tests use the
        loopback, so that no multicast leaves the machine)."""
        host = config.gateway.hostname
        addresses = addresses or lan_addresses()
        if not addresses:
            raise OSError("no LAN address to announce")
        server = f"{host}.local."
        infos = [AsyncServiceInfo("_http._tcp.local.", f"{host}._http._tcp.local.",
                                  addresses=addresses, port=web_port, server=server,
                                  properties={"path": "/", "product": "selfdata-gateway"})]
        if config.mqtt.enabled:
            infos.append(AsyncServiceInfo(
                "_mqtt._tcp.local.", f"{host}._mqtt._tcp.local.", addresses=addresses,
                port=config.mqtt.public_port or config.mqtt.port, server=server))
        kwargs = {"interfaces": interfaces} if interfaces else {}
        azc = AsyncZeroconf(ip_version=IPVersion.V4Only, **kwargs)
        for info in infos:
            await azc.async_register_service(info, allow_name_change=True)
        log.info("announced %s on %s", server,
                 ", ".join(socket.inet_ntoa(a) for a in addresses))
        return cls(azc, infos)

    async def close(self) -> None:
        await self.azc.async_unregister_all_services()
        await self.azc.async_close()
