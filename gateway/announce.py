"""Announce the box on the LAN: browsers and phones find it at http://<hostname>.local.

The web page is announced as `_http._tcp` under the instance name "selfdata" (the broker
as `_mqtt._tcp`), and the box answers for `<hostname>.local` itself, so it is found where
no avahi runs (where avahi does, it answers too, with the same addresses). Before claiming
the name the box asks whether someone else already answers for it: a second box on the
LAN becomes `selfdata-2.local` (and its instance "selfdata (2)", zeroconf's own rename).

zeroconf (3 MB resident) is imported when the announcement starts: the devices page needs
only ``lan_addresses``, and a box with ``zeroconf = false`` never loads it (issue #8).
"""
from __future__ import annotations

import logging
import socket

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


PROBE_MS = 1500
INSTANCE = "selfdata"      # what a browser's or phone's service list shows


async def free_host_name(zc, base: str, own: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... : the first name nobody else answers for (an
    answer with only our own addresses is ours, through avahi or a restart)."""
    import zeroconf
    for n in range(1, 10):
        name = base if n == 1 else f"{base}-{n}"
        probe = zeroconf.AddressResolverIPv4(f"{name}.local.")
        if not await probe.async_request(zc, PROBE_MS) or set(probe.parsed_addresses()) <= own:
            return name
        log.warning("another device answers for %s.local: trying the next name", name)
    return f"{base}-{n + 1}"


class Announcer:
    def __init__(self, azc: AsyncZeroconf, infos: list[AsyncServiceInfo], host: str = ""):
        self.azc, self.infos, self.host = azc, infos, host

    @classmethod
    async def start(cls, config: Config, web_port: int, *, interfaces=None,
                    addresses: list[bytes] | None = None) -> "Announcer":
        """Announce on every IPv4 interface, or only on ``interfaces`` (tests use the
        loopback, so that no multicast leaves the machine)."""
        addresses = addresses or lan_addresses()
        if not addresses:
            raise OSError("no LAN address to announce")
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf
        kwargs = {"interfaces": interfaces} if interfaces else {}
        azc = AsyncZeroconf(ip_version=IPVersion.V4Only, **kwargs)
        own = {socket.inet_ntoa(a) for a in addresses}
        host = await free_host_name(azc.zeroconf, config.gateway.hostname, own)
        server = f"{host}.local."
        infos = [AsyncServiceInfo("_http._tcp.local.", f"{INSTANCE}._http._tcp.local.",
                                  addresses=addresses, port=web_port, server=server,
                                  properties={"path": "/", "product": "selfdata-gateway"})]
        if config.mqtt.enabled:
            infos.append(AsyncServiceInfo(
                "_mqtt._tcp.local.", f"{INSTANCE}._mqtt._tcp.local.", addresses=addresses,
                port=config.mqtt.public_port or config.mqtt.port, server=server))
        for info in infos:
            await azc.async_register_service(info, allow_name_change=True)
        log.info("announced %s on %s", server,
                 ", ".join(socket.inet_ntoa(a) for a in addresses))
        return cls(azc, infos, host)

    async def close(self) -> None:
        await self.azc.async_unregister_all_services()
        await self.azc.async_close()
