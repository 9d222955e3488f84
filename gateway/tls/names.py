"""The names a server certificate must carry, and which of them the CA may sign."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# What the CA's name constraints permit: mDNS names, and addresses a LAN uses. A public
# address is never in the certificate (a phone reaches the box at home by name or by its
# private address); it would also break the constraint.
PERMITTED_DNS = "local"
PERMITTED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8",
    "100.64.0.0/10", "fc00::/7", "fe80::/10", "::1/128"))

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class ServerNames:
    dns: frozenset[str]
    ips: frozenset[IpAddress]

    def describe(self) -> str:
        return ", ".join(sorted(self.dns) + sorted(str(ip) for ip in self.ips))


def permitted_ip(ip: IpAddress) -> bool:
    return any(ip in net for net in PERMITTED_NETWORKS if net.version == ip.version)


def server_names(hostname: str, addresses=()) -> ServerNames:
    """``<hostname>.local`` (avahi answers for it), loopback, and the LAN addresses that the
    CA may sign; link-local IPv6 addresses are left out (they need a zone, which a
    certificate cannot name)."""
    host = hostname.strip().lower().removesuffix(".local")
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", host):
        raise ValueError(f"hostname {hostname!r} is not a valid host name")
    ips = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
        if permitted_ip(ip) and not (ip.version == 6 and ip.is_link_local):
            ips.add(ip)
    return ServerNames(frozenset({f"{host}.local"}), frozenset(ips))
