"""Local time in SQL (one CASE on ts per history) against Python's own zone arithmetic."""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.queries.local_time import isolocal_sql, offset_text, periods

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/St_Johns",
         "Asia/Kathmandu", "Pacific/Chatham", "America/Sao_Paulo", "UTC", "Africa/Casablanca"]


def _python(ts: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%dT%H:%M:%S%z")


def _sql(stamps: list[int], zone: ZoneInfo) -> list[str]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (ts INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(ts,) for ts in stamps])
    expr = isolocal_sql(zone, min(stamps), max(stamps))
    return [r[0] for r in conn.execute(f"SELECT {expr} FROM t ORDER BY rowid")]


@pytest.mark.parametrize("name", ZONES)
def test_sql_local_time_is_pythons_around_every_change(name):
    zone = ZoneInfo(name)
    lo, hi = -2_600_000_000, 2_200_000_000          # 1887 .. 2039
    rng = random.Random(name)
    stamps = [rng.randrange(lo, hi) for _ in range(3000)]
    for start, _ in periods(zone, lo, hi)[1:]:      # each change, to the second
        stamps += [start - 1, start, start + 1]
    assert _sql(stamps, zone) == [_python(ts, zone) for ts in stamps]


def test_offsets_are_written_as_strftime_does():
    assert [offset_text(s) for s in (3600, -34200, 561, -75, 0, 45 * 60 + 12 * 3600)] == [
        "+0100", "-0930", "+000921", "-000115", "+0000", "+1245"]


def test_a_window_without_a_change_is_a_constant():
    expr = isolocal_sql(ZoneInfo("Europe/Paris"), 1_700_000_000, 1_700_100_000)
    assert "CASE" not in expr and "3600" in expr
