"""What one device may make the box store: a message rate, bytes a day, and the size of the
copies kept beside the data. A hostile or broken device once stored 107 MiB in 2 s.

* Rate: a token bucket per device, one token per fix or event (or per refused message),
  ``device_burst`` at once then ``device_rate`` a second. OwnTracks sends what it queued
  offline as fast as it can, oldest first: the burst holds a week of one point every 30 s,
  and the rate is above what any phone sustains (a GPS gives one fix a second).
* Bytes: at most ``device_daily_bytes`` stored per device per UTC day (rows written,
  counted as their text plus a fixed overhead), kept by the writer (``DailyBytes``).
* Copies: a fix's raw message beyond ``max_raw_bytes`` is not kept (the fix is); a card's
  face beyond ``max_face_bytes`` is dropped (the card is kept: ``ingest.owntracks``).

Refusals are counted one by one, but stored (a rejection row) at most once a minute per
device and kind: a flood must not fill the card with its own refusals.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

from ..model import Rejection

log = logging.getLogger(__name__)

ROW_OVERHEAD = 128        # bytes a stored row costs besides its text (columns, indexes)
NOTE_EVERY_S = 60.0       # at most one stored refusal a minute per device and kind


@dataclass(frozen=True, slots=True)
class Limits:
    max_raw_bytes: int = 4096
    max_face_bytes: int = 64 * 1024
    device_burst: int = 20000
    device_rate: float = 5.0
    device_daily_bytes: int = 32 * 1024 * 1024

    @classmethod
    def from_config(cls, ingest) -> "Limits":
        return cls(ingest.max_raw_bytes, ingest.max_face_bytes, ingest.device_burst,
                   ingest.device_rate, ingest.device_daily_bytes)

    @property
    def rate_reason(self) -> str:
        return (f"over the device's rate quota ({self.device_burst} messages at once, then "
                f"{self.device_rate:g} a second)")

    @property
    def daily_reason(self) -> str:
        return f"over the device's daily quota ({self.device_daily_bytes} bytes stored today)"


class TokenBucket:
    def __init__(self, capacity: float, rate: float, now: float):
        self.capacity, self.rate = capacity, rate
        self.tokens, self.at = capacity, now

    def take(self, n: int, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if n > self.tokens:
            return False
        self.tokens -= n
        return True


class Notes:
    """Whether a refusal is the first of its minute for (device, kind), so worth a row."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._last: dict[tuple[int, str], float] = {}
        self.suppressed: Counter = Counter()

    def worth_storing(self, device_id: int, kind: str, who: str) -> bool:
        now = self._clock()
        last = self._last.get((device_id, kind))
        if last is not None and now - last < NOTE_EVERY_S:
            self.suppressed[(device_id, kind)] += 1
            return False
        n = self.suppressed.pop((device_id, kind), 0)
        if n:
            log.warning("refused %d more messages of %s over its %s quota in the last minute",
                        n, who, kind)
        self._last[(device_id, kind)] = now
        return True


class RateQuota:
    """The per-device token buckets, checked before a message is queued for the writer."""

    def __init__(self, limits: Limits, clock=time.monotonic):
        self.limits, self._clock = limits, clock
        self._buckets: dict[int, TokenBucket] = {}

    def admit(self, device_id: int, n: int) -> bool:
        now = self._clock()
        bucket = self._buckets.get(device_id)
        if bucket is None:
            bucket = self._buckets[device_id] = TokenBucket(
                self.limits.device_burst, self.limits.device_rate, now)
        return bucket.take(max(1, n), now)


class DailyBytes:
    """Bytes stored per device and UTC day; used by the writer thread only."""

    def __init__(self, limit: int, clock=time.time):
        self.limit, self._clock = limit, clock
        self._day = -1
        self._stored: Counter = Counter()

    def full(self, device_id: int) -> bool:
        self._roll()
        return self._stored[device_id] >= self.limit

    def add(self, device_id: int, rows: int, text_bytes: int) -> None:
        """Count rows stored (negative: rows counted ahead that turned out to be repeats)."""
        self._stored[device_id] = max(0, self._stored[device_id] + rows * ROW_OVERHEAD
                                      + text_bytes)

    def _roll(self) -> None:
        day = int(self._clock() // 86400)
        if day != self._day:
            self._day, self._stored = day, Counter()


def raw_note(source: str, device, size: int, limit: int, head: bytes) -> Rejection:
    return Rejection(source, f"raw copy not kept: {size} bytes > {limit}", head, device.id,
                     where=device.topic, partial=True)
