"""What the trip commands share: members by name, times typed by people, progress lines."""
from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import accounts
from ..trips.context import configure


def member_id(ctx, name: str) -> int:
    configure(ctx.store, ctx.config)
    return accounts.get_member(ctx.store.conn, name).id


def zone(ctx):
    return ZoneInfo(ctx.config.gateway.timezone)


def parse_when(text: str, tz) -> int:
    """Epoch seconds, or a local date-time ("2026-03-02 08:05", "2026-03-02T08:05:30")."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r} (epoch seconds or YYYY-MM-DD HH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


def day_bounds(first: str | None, last: str | None, tz) -> tuple:
    """[start, end) epoch seconds from inclusive local dates (either may be open)."""
    def midnight(d: date) -> int:
        return int(datetime.combine(d, datetime.min.time(), tz).timestamp())
    try:
        lo = midnight(date.fromisoformat(first)) if first else None
        hi = midnight(date.fromisoformat(last) + timedelta(days=1)) if last else None
    except ValueError as exc:
        raise ValueError(f"dates are YYYY-MM-DD: {exc}") from None
    return lo, hi


class Progress:
    """`done/total fixes` on stderr, at most a few times a second."""

    def __init__(self, label: str):
        self.label, self.last = label, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.3 and done < total:
            return
        self.last = now
        pct = 100 * done / total if total else 100
        print(f"\r{self.label}: {done:,}/{total:,} fixes ({pct:.0f} %)", end="", file=sys.stderr,
              flush=True)

    def close(self) -> None:
        print(file=sys.stderr)
