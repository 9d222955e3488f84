"""Calendar months in the household's time zone: which month a moment is in, where a month
starts and ends, and when it has settled (over, plus the grace period for late fixes)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from carbon.summary_wire import check_month


def month_of(ts: float, tz) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m")


def add(month: str, n: int) -> str:
    """The month n months after (or before, n < 0) this one."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def bounds(month: str, tz) -> tuple[int, int]:
    """[start, end) epoch seconds of a local calendar month (DST included)."""
    first = date(int(month[:4]), int(month[5:]), 1)
    nxt = date.fromisoformat(add(month, 1) + "-01")
    return _midnight(first, tz), _midnight(nxt, tz)


def settles_at(month: str, tz, grace_days: int) -> int:
    """When a month may be sent: `grace_days` local days after it ends."""
    nxt = date.fromisoformat(add(month, 1) + "-01")
    return _midnight(nxt + timedelta(days=grace_days), tz)


def last_closed(now: float, tz) -> str:
    return add(month_of(now, tz), -1)


def parse(text: str) -> str:
    """A month a person typed, YYYY-MM, or ValueError saying so."""
    try:
        return check_month(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)") from None


def between(first: str, last: str) -> list[str]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = add(month, 1)
    return out


def _midnight(day: date, tz) -> int:
    return int(datetime.combine(day, datetime.min.time(), tz).timestamp())
