"""Retention: a member may keep raw fixes for N months only; trips are kept forever.

``apply_all(store)`` is what the service calls once a day. Trips, legs and stays are left
alone (they are the summary the member keeps); the trip engine must therefore not rebuild
before ``cutoff_ts`` (it would find no fixes there and lose the trips): ``cutoff_ts`` tells it
where raw history ends.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from ..store.writes import delete_fixes_before
from .erasure import checkpoint

SLICE = 20000      # fixes deleted per transaction: the write lock is never held long


def set_months(conn, member_id: int, months: int | None) -> None:
    """Keep ``months`` of raw fixes (None: keep everything)."""
    if months is None:
        conn.execute("DELETE FROM retention WHERE member_id = ?", (member_id,))
        return
    if months < 1:
        raise ValueError("retention is at least 1 month")
    conn.execute("INSERT INTO retention (member_id, months, updated_ts) VALUES (?, ?, ?) "
                 "ON CONFLICT (member_id) DO UPDATE SET months = excluded.months, "
                 "updated_ts = excluded.updated_ts", (member_id, months, int(time.time())))


def get_months(conn, member_id: int) -> int | None:
    row = conn.execute("SELECT months FROM retention WHERE member_id = ?", (member_id,)).fetchone()
    return row[0] if row else None


def months_before(now: float, months: int) -> int:
    """The same day and time ``months`` calendar months earlier (UTC), clamped to the
    month's last day (31 March minus one month is 28/29 February)."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return int(moment.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            continue
    return int(moment.replace(year=year, month=month, day=min(moment.day, 28)).timestamp())


def cutoff_ts(conn, member_id: int, now: float | None = None) -> int | None:
    """Fixes before this time are deleted by retention (None: no retention)."""
    months = get_months(conn, member_id)
    return months_before(time.time() if now is None else now, months) if months else None


def apply(store, member_id: int, now: float | None = None) -> int:
    """Delete the member's fixes older than their retention; return how many went."""
    cutoff = cutoff_ts(store.conn, member_id, now)
    if cutoff is None:
        return 0
    deleted = 0
    while True:   # in slices: the write lock is never held long on a Pi
        with store.transaction() as conn:
            gone = delete_fixes_before(conn, member_id, cutoff, SLICE)
            deleted += gone
            conn.execute("UPDATE retention SET last_applied_ts = ? WHERE member_id = ?",
                         (int(time.time()), member_id))
        if gone < SLICE:
            break
    return deleted


def apply_all(store, now: float | None = None) -> dict[int, int]:
    """Every member's retention; the WAL is checkpointed so deleted rows leave the disk."""
    members = [r[0] for r in store.conn.execute("SELECT member_id FROM retention")]
    done = {m: apply(store, m, now) for m in members}
    if any(done.values()):
        checkpoint(store)
    return done
