"""Which names this box answers to, and whether a request comes from its own pages.

DNS rebinding: a page on attacker.example makes its name resolve to the box's address;
the browser then sends the box requests that carry ``Host: attacker.example`` and lets
that page read the answers. Refusing every Host that is not one of this box's names
stops it (the phone endpoints excepted: they need the device's own credentials, which such
a page does not have, and a phone may be set up with any name that reaches the box).

Cross-site requests: a browser names the page that makes a request in ``Origin`` (and
``Referer``); a state-changing request whose origin is not the box itself is refused,
whatever credentials the browser adds to it on its own.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlsplit

from gateway.config import Config

ANY = "*"
_IP_CACHE_S = 60.0   # the box's addresses change with DHCP, not per request


def split_host(value: str) -> tuple[str, int | None]:
    """`Host` (or an URL's netloc) as (lower-case name without brackets or final dot, port)."""
    value = value.strip().lower()
    port = None
    if value.startswith("["):                  # [v6]:port
        name, _, rest = value[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    else:
        name, sep, rest = value.rpartition(":")
        if sep and rest.isdigit() and ":" not in name:
            port = int(rest)
        else:
            name = value
    return name.rstrip("."), port


def _url_host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


class HostPolicy:
    """The names of this box: localhost, its own addresses, ``<hostname>``,
    ``<hostname>.local``, ``selfdata.local``, the machine's own name, the hosts of
    ``web.public_url`` and ``mqtt.public_host``, and ``web.allowed_hosts``."""

    def __init__(self, config: Config):
        self.any = ANY in config.web.allowed_hosts
        machine = socket.gethostname().lower()
        names = {"localhost", "selfdata.local", config.gateway.hostname.lower(),
                 f"{config.gateway.hostname.lower()}.local", machine, f"{machine}.local",
                 _url_host(config.web.public_url), _url_host(f"//{config.mqtt.public_host}")}
        names.update(h.lower().rstrip(".") for h in config.web.allowed_hosts if h != ANY)
        self.names = frozenset(n for n in names if n)
        self.public_origin = _origin_key(config.web.public_url) if config.web.public_url else None
        self._ip_seen: dict[str, tuple[bool, float]] = {}

    def allows(self, host_header: str | None, sockname=None) -> bool:
        if self.any or not host_header:  # no Host: not a browser (they always send it)
            return True
        name, _ = split_host(host_header)
        if name in self.names:
            return True
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            return False
        return self._own_address(ip, sockname)

    def _own_address(self, ip, sockname) -> bool:
        if ip.is_loopback:
            return True
        if ip.is_unspecified or ip.is_multicast:
            return False
        if sockname and str(ip) == str(sockname[0]).split("%")[0]:
            return True   # the address this very connection arrived at
        hit = self._ip_seen.get(str(ip))
        if hit is None or hit[1] < time.monotonic():
            if len(self._ip_seen) > 256:
                self._ip_seen.clear()
            hit = self._ip_seen[str(ip)] = (_is_local(ip), time.monotonic() + _IP_CACHE_S)
        return hit[0]

    def same_origin(self, request) -> bool | None:
        """True when the request's Origin (else Referer) is this box as the browser reached
        it; False when it is another page (or the opaque "null"); None when the request
        names no origin at all (command-line tools, some old browsers)."""
        origin = request.headers.get("Origin")
        if origin is None:
            referer = request.headers.get("Referer")
            if not referer:
                return None
            origin = referer
        key = _origin_key(origin)
        if key is None:
            return False
        if self.public_origin is not None and key == self.public_origin:
            return True   # behind a proxy that rewrites Host: the address phones are given
        host, port = split_host(request.headers.get("Host", ""))
        if key[1] != host:
            return False
        # No port in Host: the default one of http or https (a TLS proxy may stand between).
        return key[2] in (80, 443) if port is None else key[2] == port


def _origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL; None when it names no http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.rstrip("."), port or (443 if parts.scheme == "https" else 80)


def _is_local(ip) -> bool:
    """Whether ``ip`` is one of this machine's addresses: only those can be bound."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((str(ip), 0))
        return True
    except OSError:
        return False
