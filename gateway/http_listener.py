"""The web server's listening socket, guarded against clients that hold connections.

An outside review held 200 half-sent requests (slowloris) open for good and ran the box
out of file descriptors with 1,100 idle sockets, after which phones were refused. Here:

* aiohttp closes a connection that has not sent a whole request head within
  ``idle_timeout_s`` of opening or of its last answer (its keep-alive timer, which also
  runs before the first request), so half-sent heads and idle sockets go;
* one address may hold at most ``max_connections_per_address`` connections (IPv6 counted
  per /64, which one host can fill with addresses); more are closed at once;
* in all at most ``max_connections``, kept under the open-file limit: a new connection
  beyond it closes one that never sent a request's worth, else the one quiet the
  longest, so a phone arriving during an attack from many addresses is still served;
* the soft open-file limit is raised to the hard one at start (the systemd unit's
  ``LimitNOFILE`` sets the hard one on the Pi).

It wraps aiohttp's protocol rather than patching it: every connection passes through
``_Guarded``, which counts it and forwards everything to aiohttp's own handler.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter

log = logging.getLogger(__name__)

# Descriptors kept free for the database, the broker's socket, uploads and imports.
RESERVED_FDS = 256
# A connection that sent less than this never made a real request (a browser's head alone
# is a few hundred bytes).
TALKED_BYTES = 256


def raise_open_files_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit; the soft limit in force afterwards."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d: %s", soft, exc)
    return soft


def address_key(peer) -> str:
    """What one client is: its IPv4 address, or its IPv6 /64."""
    host = peer[0] if isinstance(peer, tuple) and peer else str(peer)
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class GuardedListener:
    """Listens for the runner's aiohttp server with the limits above."""

    def __init__(self, runner, host: str, port: int, *, per_address: int,
                 max_connections: int):
        self.runner, self.host, self.port = runner, host, port
        self.per_address = per_address
        self.max_connections = max_connections
        self.open: set[_Guarded] = set()
        self.by_address: Counter = Counter()
        self.refused = 0
        self.evicted = 0
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Guarded(self, self.runner.server()), self.host, self.port,
            reuse_address=True, backlog=256)
        return self._server.sockets[0].getsockname()[1]

    def close(self) -> None:
        """Stop accepting; the runner's cleanup then ends the open connections."""
        if self._server is not None:
            self._server.close()

    # ----- called by _Guarded

    def admit(self, conn: "_Guarded") -> bool:
        if self.by_address[conn.key] >= self.per_address:
            self.refused += 1
            log.warning("refused a connection from %s: %d already open from there (the limit)",
                        conn.key, self.per_address)
            return False
        if len(self.open) >= self.max_connections:
            self._evict_quietest()
        self.open.add(conn)
        self.by_address[conn.key] += 1
        return True

    def forget(self, conn: "_Guarded") -> None:
        if conn in self.open:
            self.open.discard(conn)
            self.by_address[conn.key] -= 1
            if self.by_address[conn.key] <= 0:
                del self.by_address[conn.key]

    def _evict_quietest(self) -> None:
        # First the ones that never sent a request's worth (idle and half-sent sockets),
        # then the longest quiet: a phone or a live map has talked, and talks again.
        quietest = min(self.open, key=lambda c: (c.received >= TALKED_BYTES, c.last_active))
        self.evicted += 1
        log.warning("%d connections open (the limit): closed the quietest, from %s",
                    self.max_connections, quietest.key)
        self.forget(quietest)
        quietest.abort()


class _Guarded(asyncio.Protocol):
    """One connection: counted by the listener, everything else done by aiohttp's handler."""

    def __init__(self, listener: GuardedListener, inner: asyncio.Protocol):
        self.listener, self.inner = listener, inner
        self.transport: asyncio.Transport | None = None
        self.key = ""
        self.started = False
        self.last_active = time.monotonic()
        self.received = 0

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.key = address_key(transport.get_extra_info("peername"))
        if not self.listener.admit(self):
            transport.abort()
            return
        self.started = True
        self.inner.connection_made(transport)

    def connection_lost(self, exc) -> None:
        self.listener.forget(self)
        if self.started:
            self.started = False
            self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        self.received += len(data)
        if self.started:
            self.inner.data_received(data)

    def eof_received(self):
        return self.inner.eof_received() if self.started else None

    def pause_writing(self) -> None:
        if self.started:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.started:
            self.inner.resume_writing()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
