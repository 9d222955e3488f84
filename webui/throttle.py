"""Login throttling: exponential backoff per address and per name, and a cap on the
password checks running at once.

The review guessed 25-45 passwords a second and never saw a 429. Now:

* an address gets ``free`` failed logins, then must wait ``base`` seconds, doubling with
  each further failure up to ``cap`` (429 with Retry-After). A success clears it;
* a name gets more free failures (a household's addresses are few, an attacker may have
  several) and a lower cap, so its owner is never shut out for long. A name is not
  throttled from an address where it logged in before: an attacker elsewhere does not
  lock its owner out of their own phone or laptop;
* Argon2 costs ~19 MiB and tens of ms a check: at most ``parallel`` run at once, at most
  ``queue`` wait; beyond that a login is answered 503 at once rather than piling up
  threads and memory.

State is in memory (lost at restart, bounded in size): throttling is about the next
minutes, not a record.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict

from gateway.http_listener import address_key

FORGET_S = 3600.0      # failures older than this no longer count
MAX_KEYS = 10_000      # an attacker spraying names or addresses cannot grow memory
KNOWN_PAIR_S = 30 * 86400


class Throttled(Exception):
    def __init__(self, retry_after: float):
        super().__init__(f"too many failed attempts: try again in {math.ceil(retry_after)} s")
        self.retry_after = max(1, math.ceil(retry_after))


class Busy(Exception):
    """Too many password checks waiting: answer 503 now, the client retries."""


class Backoff:
    """Failures per key; after ``free`` of them, each attempt waits ``base * 2**k``
    (k = failures beyond ``free``) from the last failure, at most ``cap`` seconds."""

    def __init__(self, free: int, base: float, cap: float, clock=time.monotonic):
        self.free, self.base, self.cap, self.clock = free, base, cap, clock
        self._failures: OrderedDict[object, tuple[int, float]] = OrderedDict()

    def wait(self, key) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        hit = self._failures.get(key)
        if hit is None:
            return 0.0
        count, last = hit
        now = self.clock()
        if now - last > FORGET_S:
            del self._failures[key]
            return 0.0
        if count < self.free:
            return 0.0
        delay = min(self.cap, self.base * 2 ** (count - self.free))
        return max(0.0, last + delay - now)

    def failed(self, key) -> None:
        count = self._failures.pop(key, (0, 0.0))[0]
        self._failures[key] = (count + 1, self.clock())
        while len(self._failures) > MAX_KEYS:
            self._failures.popitem(last=False)

    def clear(self, key) -> None:
        self._failures.pop(key, None)


class LoginThrottle:
    """Per-address and per-name backoff for one kind of secret (a password, the setup code)."""

    def __init__(self, *, free: int = 5, cap: float = 300.0, clock=time.monotonic):
        self.by_address = Backoff(free, 1.0, cap, clock)
        self.by_name = Backoff(free * 2, 1.0, min(cap, 60.0), clock)
        self._known: OrderedDict[tuple[str, str], float] = OrderedDict()
        self.clock = clock

    def check(self, name: str | None, address: str | None) -> None:
        """Raise Throttled when this attempt must wait."""
        addr = address_key(address or "")
        wait = self.by_address.wait(addr)
        if name and not self._is_known(name, addr):
            wait = max(wait, self.by_name.wait(name))
        if wait > 0:
            raise Throttled(wait)

    def failed(self, name: str | None, address: str | None) -> None:
        addr = address_key(address or "")
        self.by_address.failed(addr)
        if name:
            self.by_name.failed(name)

    def succeeded(self, name: str | None, address: str | None) -> None:
        addr = address_key(address or "")
        self.by_address.clear(addr)
        if name:
            self.by_name.clear(name)
            self._known.pop((name, addr), None)
            self._known[(name, addr)] = self.clock() + KNOWN_PAIR_S
            while len(self._known) > MAX_KEYS:
                self._known.popitem(last=False)

    def _is_known(self, name: str, addr: str) -> bool:
        until = self._known.get((name, addr))
        return until is not None and until > self.clock()


class Gate:
    """At most ``parallel`` slow checks at once, at most ``queue`` waiting for a slot."""

    def __init__(self, parallel: int, queue: int):
        self._slots = asyncio.Semaphore(max(1, parallel))
        self.queue = max(0, queue)
        self.waiting = 0

    async def __aenter__(self):
        if self._slots.locked() and self.waiting >= self.queue:
            raise Busy("too many logins at once")
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        return self

    async def __aexit__(self, *exc):
        self._slots.release()
        return False
