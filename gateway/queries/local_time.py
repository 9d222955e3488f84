"""The household's local time of many fixes at once, in SQL.

SQLite knows no time zones, but a zone is only a UTC offset that changes a few times a
year. The offsets in force over a history are found once in Python (``periods``), then
written into the query as a ``CASE`` on ``ts``: 200,000 points get their local time without
200,000 ``datetime`` objects. tests/gateway/queries/test_local_time.py holds it to
``datetime.fromtimestamp(ts, zone)`` across changes, half-hour zones and pre-1900 offsets.
"""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_STEP_S = 6 * 3600     # no zone changes its offset twice within six hours
# Within what datetime (and SQLite's strftime) can show, a year of margin for the offset.
_FIRST_YEAR, _LAST_YEAR = 2, 9998


def household_zone(name: str | None) -> ZoneInfo | None:
    """The household's time zone, or None when the configured name is not a known zone
    (then ``tzname``/``isolocal`` are left out rather than wrong)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def offset_text(seconds: int) -> str:
    """A UTC offset as ``strftime('%z')`` writes it: ``+0100``, ``-0930``, ``+000921``."""
    sign, a = ("-" if seconds < 0 else "+"), abs(seconds)
    text = f"{sign}{a // 3600:02d}{a % 3600 // 60:02d}"
    return text + (f"{a % 60:02d}" if a % 60 else "")


def periods(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int]]:
    """(start ts, UTC offset s) of each period between ``lo`` and ``hi``, oldest first; the
    first one applies before its start too."""
    first = max(_FIRST_YEAR, _year(lo))
    last = min(_LAST_YEAR, _year(hi))
    out: list[tuple[int, int]] = []
    for year in range(first, last + 1):
        for start, offset in _year_periods(zone.key, year):
            if start > hi:
                break
            if out and start <= lo:   # a later period still starts before the window
                out.clear()
            if not out or offset != out[-1][1]:
                out.append((start, offset))
    return out


def isolocal_sql(zone: ZoneInfo, lo: int, hi: int, column: str = "ts") -> str:
    """An SQL expression giving ``isolocal`` (``2026-03-29T03:00:00+0200``) of ``column``,
    exact for times between ``lo`` and ``hi``. Only integers from ``periods`` are written
    into it, never text from outside."""
    spans = periods(zone, lo, hi)
    offset = _case(column, [(start, str(off)) for start, off in spans])
    text = _case(column, [(start, f"'{offset_text(off)}'") for start, off in spans])
    return f"strftime('%Y-%m-%dT%H:%M:%S', {column} + {offset}, 'unixepoch') || {text}"


def _case(column: str, spans: list[tuple[int, str]]) -> str:
    if len(spans) == 1:
        return spans[0][1]
    whens = " ".join(f"WHEN {column} < {start} THEN {value}"
                     for (start, _), (_, value) in zip(spans[1:], spans[:-1]))
    return f"(CASE {whens} ELSE {spans[-1][1]} END)"


def _year(ts: int) -> int:
    try:
        return datetime.fromtimestamp(ts, timezone.utc).year
    except (OverflowError, ValueError, OSError):
        return _FIRST_YEAR if ts < 0 else _LAST_YEAR


@functools.lru_cache(maxsize=128)
def _year_periods(key: str, year: int) -> tuple[tuple[int, int], ...]:
    """The offset at the start of the (UTC) year, then each change within it, to the second:
    step six hours, bisect where the offset differs."""
    zone = ZoneInfo(key)
    start = int(datetime(year, 1, 1, tzinfo=timezone.utc).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    current = _offset(zone, start)
    out = [(start, current)]
    t = start
    while t < end:
        nxt = min(t + _STEP_S, end)
        offset = _offset(zone, nxt)
        if offset != current:
            a, b = t, nxt          # offset(a) == current != offset(b)
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (mid, b) if _offset(zone, mid) == current else (a, mid)
            out.append((b, offset))
            current = offset
        t = nxt
    return tuple(out)


def _offset(zone: ZoneInfo, ts: int) -> int:
    return int(datetime.fromtimestamp(ts, zone).utcoffset().total_seconds())
