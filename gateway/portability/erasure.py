"""Erasure: a member deletes a period, a day, one bad point or everything they own.

Deletion is real: connections run with ``PRAGMA secure_delete = ON`` (freed cells and pages
are zeroed), the WAL is checkpointed with TRUNCATE afterwards so old page images do not
linger in ``selfdata.db-wal``, and erasing everything also VACUUMs. What was derived from
the deleted fixes is deleted with them and then recomputed by the trip engine from what is
left (corrections in the period go too: they describe trips that no longer exist).

Tables are found by their columns, so the trip engine's tables (stays, trips, legs...) are
covered without this module naming them: any table of member data
(``gateway.store.tables.member_tables``: a ``member_id`` column, not an account or bookkeeping
table) with ``ts`` or ``start_ts``/``end_ts``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..store.tables import member_tables
from ..store.writes import delete_fix


@dataclass
class Erased:
    rows: dict = field(default_factory=dict)       # table -> rows deleted
    checkpoint: str = ""
    pipeline: str = ""

    @property
    def fixes(self) -> int:
        return self.rows.get("fixes", 0)

    def as_dict(self) -> dict:
        return {"deleted": self.rows, "fixes": self.fixes, "checkpoint": self.checkpoint,
                "pipeline": self.pipeline}


def day_range(day: date, tz: str = "Europe/Paris") -> tuple[int, int]:
    """[start, end) epoch seconds of a calendar day in the household's time zone (23 or 25
    hours long on daylight-saving days)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, datetime.min.time(), zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
    return int(start.timestamp()), int(end.timestamp())


def _delete_period(conn, table: str, cols: set, member_id: int, start: int, end: int) -> int:
    if "ts" in cols:
        where = "ts >= ? AND ts < ?"
        args = (start, end)
    elif {"start_ts", "end_ts"} <= cols:
        where = "start_ts < ? AND end_ts >= ?"      # anything overlapping the period
        args = (end, start)
    else:
        return 0
    cur = conn.execute(f"DELETE FROM {table} WHERE member_id = ? AND {where}",
                       (member_id, *args))
    return cur.rowcount


def erase_range(store, member_id: int, start: int, end: int, *, recompute=True) -> Erased:
    """Delete everything of the member's timed in [start, end), then recompute around it."""
    out = Erased()
    with store.transaction() as conn:
        for table, cols in member_tables(conn):
            n = _delete_period(conn, table, cols, member_id, start, end)
            if n:
                out.rows[table] = n
    out.checkpoint = checkpoint(store)
    if recompute:
        out.pipeline = _rebuild(store, member_id, start, end)
    return out


def erase_fix(store, member_id: int, fix_id: int, *, recompute=True) -> Erased:
    """One bad point (a GPS jump): the fix goes, the trip around it is recomputed."""
    out = Erased()
    with store.transaction() as conn:
        ts = delete_fix(conn, member_id, fix_id)
        if ts is None:
            raise LookupError(f"no fix {fix_id} belongs to this member")
    out.rows["fixes"] = 1
    out.checkpoint = checkpoint(store)
    if recompute:
        out.pipeline = _rebuild(store, member_id, ts, ts + 1)
    return out


def erase_all(store, member_id: int) -> Erased:
    """Everything the member owns except their account and devices (remove those with
    `selfdata member remove`), then VACUUM so the file itself shrinks."""
    out = Erased()
    with store.transaction() as conn:
        for table, _cols in member_tables(conn):
            n = conn.execute(f"DELETE FROM {table} WHERE member_id = ?", (member_id,)).rowcount
            if n:
                out.rows[table] = n
        n = conn.execute("DELETE FROM import_jobs WHERE member_id = ?", (member_id,)).rowcount
        if n:
            out.rows["import_jobs"] = n
    store.conn.execute("VACUUM")
    out.checkpoint = checkpoint(store)
    return out


def checkpoint(store, attempts: int = 20) -> str:
    """Copy the WAL into the database and truncate it to zero bytes. A reader holding an
    old snapshot (the web page mid-query) makes it busy: retry briefly, then say so."""
    for _ in range(attempts):
        busy, _log, _done = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return "write-ahead log checkpointed and truncated"
        time.sleep(0.1)
    return ("write-ahead log busy (a reader is open): old pages stay in it until the next "
            "checkpoint")


def _rebuild(store, member_id: int, start: int, end: int) -> str:
    from ..trips import pipeline    # the engine, only when something is rebuilt
    pipeline.process_range(store, member_id, start, end)
    return "trips recomputed for the erased period"
