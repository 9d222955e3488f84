"""The box's certificates as the running gateway uses them: which names they must carry
(from the configuration and the LAN addresses of the moment), and the server-side TLS
context the HTTPS listener serves, refreshed in place when the certificate is renewed.

The names: ``<hostname>.local`` (avahi answers for it), ``selfdata.local`` (what the
leaflet and the first-run page say), loopback, every private address of the box's
interfaces now, and the configured public names when the CA may sign them (a public name
or address is left out: the CA's name constraints forbid it, and ``selfdata doctor`` says
so).
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from urllib.parse import urlsplit

from ..config import Config
from .authority import Renewal, TlsFiles, ensure
from .names import ServerNames, permitted_ip, server_names
from .trust import ca_fingerprint

log = logging.getLogger(__name__)

SHARED_NAME = "selfdata.local"
# Where no packet is sent: connect() on a UDP socket only picks the outgoing interface.
_PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))


def lan_addresses() -> list[str]:
    """The addresses this machine answers at on its LAN (IPv4 and IPv6, loopback aside)."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(info[4][0])
    except (socket.gaierror, UnicodeError):
        pass
    for family, probe in _PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                found.add(s.getsockname()[0])
        except OSError:
            pass
    out = []
    for text in found:
        try:
            ip = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if not ip.is_loopback:
            out.append(str(ip))
    return sorted(out)


def _configured_names(config: Config) -> tuple[set[str], list[str]]:
    """The public names the admin set ([web] public_url, [mqtt] public_host, a specific
    [web] host): .local names and addresses the CA may sign."""
    dns, ips = set(), []
    candidates = [config.mqtt.public_host, config.web.host]
    if config.web.public_url:
        candidates.append(urlsplit(config.web.public_url).hostname or "")
    for name in filter(None, (c.strip().lower().rstrip(".") for c in candidates)):
        try:
            ip = ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            if name.endswith(".local"):
                dns.add(name)
            continue
        if not ip.is_unspecified:
            ips.append(str(ip))
    return dns, ips


def box_names(config: Config, addresses: list[str] | None = None) -> ServerNames:
    """What the server certificate must name on this box now."""
    addresses = lan_addresses() if addresses is None else addresses
    dns, ips = _configured_names(config)
    base = server_names(config.gateway.hostname, [*addresses, *ips])
    return ServerNames(base.dns | {SHARED_NAME} | dns, base.ips)


def unsignable_names(config: Config) -> list[str]:
    """Configured public names the certificate cannot carry (a phone told one of them
    refuses the box)."""
    out = []
    candidates = [config.mqtt.public_host]
    if config.web.public_url:
        candidates.append(urlsplit(config.web.public_url).hostname or "")
    for name in filter(None, (c.strip().lower().rstrip(".") for c in candidates)):
        try:
            if not permitted_ip(ipaddress.ip_address(name.strip("[]"))):
                out.append(name)
        except ValueError:
            if not name.endswith(".local"):
                out.append(name)
    return out


class BoxTls:
    """The box's certificate files and the HTTPS listener's context, kept current."""

    def __init__(self, config: Config):
        self.config = config
        self.files = TlsFiles(config.tls_dir)
        self.names: ServerNames | None = None
        self._context: ssl.SSLContext | None = None

    def refresh(self, addresses: list[str] | None = None) -> Renewal:
        """Make or renew the files for the names of the moment (``ClockNotSet`` before
        the time is set). Then ``reload`` (in the thread serving the connections) has the
        context serve the new certificate to every new connection."""
        names = box_names(self.config, addresses)
        # mosquitto reads the key as its group (the directory is setgid mosquitto on the
        # image); elsewhere nobody else is in the group.
        renewal = ensure(self.files.directory, names, hostname=self.config.gateway.hostname,
                         key_mode=0o640)
        self.names = names
        if renewal.changed:
            # The fingerprint in the journal: what a member compares with what the phone or
            # browser shows before trusting the box.
            log.warning("TLS certificate %s (%s) for %s; the box's CA has SHA-256 fingerprint %s",
                        "made" if (renewal.server or "").startswith(("no ", "a new")) else "renewed",
                        renewal.ca or renewal.server, names.describe(),
                        ca_fingerprint(self.files.directory))
        return renewal

    def reload(self) -> None:
        if self._context is not None:
            self._context.load_cert_chain(self.files.server_cert, self.files.server_key)

    def server_context(self) -> ssl.SSLContext:
        if self._context is None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(self.files.server_cert, self.files.server_key)
            self._context = ctx
        return self._context
