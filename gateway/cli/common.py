"""What commands share: members by name, the one parser of times typed by people, progress
lines on standard error."""
from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .. import accounts
from ..trips.context import configure
from .context import UsageError


def member_id(ctx, name: str) -> int:
    configure(ctx.store, ctx.config)
    return accounts.get_member(ctx.store.conn, name).id


def zone(ctx):
    return ZoneInfo(ctx.config.gateway.timezone)


def parse_when(text: str, tz, *, end_of_day: bool = False) -> int:
    """The one way commands read a time a person typed, as epoch seconds:

    * epoch seconds (``1714550400``);
    * a day ``2024-05-01``: its first second in the household zone, or with ``end_of_day``
      the next day's (so that ``--to 2024-05-01`` includes the whole day);
    * a local date and time ``2024-05-01 08:30`` or ``2024-05-01T08:30:05``, in the
      household zone unless it carries an offset (``...+02:00``, ``...Z``).
    """
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return _midnight(day, tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date (YYYY-MM-DD), a time (YYYY-MM-DD HH:MM) or "
                         "epoch seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def day_bounds(first: str | None, last: str | None, tz) -> tuple:
    """[start, end) epoch seconds from inclusive local days (either may be open)."""
    lo = parse_when(first, tz) if first else None
    hi = parse_when(last, tz, end_of_day=True) if last else None
    return lo, hi


def _midnight(day: date, tz) -> int:
    return int(datetime.combine(day, datetime.min.time(), tz).timestamp())


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
