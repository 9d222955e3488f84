"""The write primitives of fixes, events and rejections (ingest, importers, erasure).

Every function runs in the caller's transaction and most take a list, so callers batch:
one transaction per batch is what makes thousands of fixes a second affordable on an SD card.
"""
from __future__ import annotations

import hashlib
import operator
import sqlite3
import time
from typing import Iterable, Protocol, Sequence

from carbon.fix import Fix

from ..model import Event, Rejection
from .locations import plain_location, position_ghash, stored_ghash, stored_location

FIX_COLUMNS = ("device_id", "member_id", "ts", "lat", "lon", "acc", "alt", "vel", "cog",
               "batt", "activity", "source", "received_ts", "raw", "loc", "ghash")
# Computed from the others when the fix is written, for the Recorder API (``locations``):
# a cache of the read side, never the member's data (archives leave them out).
DERIVED_FIX_COLUMNS = ("loc", "ghash")
_INSERT_FIX = (f"INSERT OR IGNORE INTO fixes ({', '.join(FIX_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(FIX_COLUMNS))})")
PAYLOAD_HEAD = 200


class DeviceRef(Protocol):
    """What a fix row needs of its device (``accounts.Device`` is one)."""

    id: int
    member_id: int
    tid: str


def fix_row(device: DeviceRef, fix: Fix, source: str, received: float,
            decoded: dict | None = None) -> tuple:
    """``decoded``: the fix's raw JSON as already decoded, if the caller has it
    (``locations.location_base``)."""
    return (device.id, device.member_id, int(fix.ts), fix.lat, fix.lon, fix.acc, fix.alt,
            fix.vel, fix.cog, fix.batt, fix.activity, source, received, fix.raw,
            stored_location(fix, device.tid, decoded), stored_ghash(fix))


_FIELDS = operator.attrgetter(*Fix.__slots__)


def fields(fix: Fix) -> tuple:
    """A fix's fields as a plain tuple (what pickles fastest): what a parsing process
    hands over (``portability.parsing``), made into its row by ``fields_row``."""
    return _FIELDS(fix)


def fields_row(device: DeviceRef, fields: tuple, source: str, received: float) -> tuple:
    """``fix_row`` of the fix with these ``fields``: the same row, without a ``Fix``."""
    ts, lat, lon, acc, alt, vel, cog, batt, activity, raw = fields
    loc = None if raw is not None else plain_location(ts, lat, lon, acc, alt, cog, batt, vel,
                                                      device.tid)
    if loc is None:     # a raw text to keep, or a number only the general path writes
        loc = stored_location(Fix(*fields), device.tid)
    return (device.id, device.member_id, int(ts), lat, lon, acc, alt, vel, cog, batt,
            activity, source, received, raw, loc, position_ghash(lat, lon))


def insert_fix_rows(conn: sqlite3.Connection, rows: Sequence[tuple]) -> int:
    """Insert fix rows (see ``fix_row``); return how many were new (repeats are no-ops)."""
    before = conn.total_changes
    conn.executemany(_INSERT_FIX, rows)
    return conn.total_changes - before


def insert_fixes(conn, device: DeviceRef, fixes: Iterable[Fix], source: str,
                 received: float | None = None) -> int:
    received = time.time() if received is None else received
    return insert_fix_rows(conn, [fix_row(device, f, source, received) for f in fixes])


def fill_locations(conn, limit: int = 2000) -> int:
    """Compute ``loc`` and ``ghash`` of at most ``limit`` fixes stored without them (before
    migration m0007); how many. One call is one short batch, found through the partial
    index ``fixes_unfilled``: the caller commits between calls, so the backfill of a million
    fixes holds ``limit`` rows in memory and never holds the writer for long."""
    rows = conn.execute(
        "SELECT f.id, f.ts, f.lat, f.lon, f.acc, f.alt, f.vel, f.cog, f.batt, f.raw, d.tid "
        "FROM fixes f JOIN devices d ON d.id = f.device_id "
        "WHERE f.ghash IS NULL ORDER BY f.id LIMIT ?", (limit,)).fetchall()
    conn.executemany("UPDATE fixes SET loc = ?, ghash = ? WHERE id = ?",
                     [(stored_location(r, r["tid"]), stored_ghash(r), r["id"]) for r in rows])
    return len(rows)


def event_digest(event: Event) -> str:
    return hashlib.sha1(f"{event.type}\0{event.ts}\0{event.payload}".encode()).hexdigest()


def insert_event(conn, device_id: int, member_id: int, event: Event, source: str,
                 received: float) -> bool:
    cur = conn.execute(
        "INSERT OR IGNORE INTO events (device_id, member_id, type, ts, topic, source, "
        "received_ts, digest, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (device_id, member_id, event.type, event.ts, event.topic, source, received,
         event_digest(event), event.payload))
    return cur.rowcount > 0


def delete_fix(conn, member_id: int, fix_id: int) -> int | None:
    """Delete one of the member's fixes; its time, or None when it is not theirs."""
    row = conn.execute("SELECT ts FROM fixes WHERE id = ? AND member_id = ?",
                       (fix_id, member_id)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM fixes WHERE id = ?", (fix_id,))
    return row["ts"]


def delete_fixes_before(conn, member_id: int, cutoff: int, limit: int) -> int:
    """Delete at most ``limit`` of the member's fixes older than ``cutoff``; how many went."""
    return conn.execute("DELETE FROM fixes WHERE id IN (SELECT id FROM fixes WHERE "
                        "member_id = ? AND ts < ? LIMIT ?)", (member_id, cutoff, limit)).rowcount


def payload_head(payload: bytes) -> str:
    """The first bytes of a payload, printable whatever they are."""
    head = payload[:PAYLOAD_HEAD]
    text = head.decode("utf-8", errors="backslashreplace")
    return text + ("…" if len(payload) > PAYLOAD_HEAD else "")


def insert_rejection(conn, rejection: Rejection, member_id: int | None,
                     received: float) -> None:
    reason = rejection.reason if not rejection.where else f"{rejection.where}: {rejection.reason}"
    conn.execute(
        "INSERT INTO rejections (received_ts, source, device_id, member_id, reason, "
        "payload_head) VALUES (?, ?, ?, ?, ?, ?)",
        (received, rejection.source, rejection.device_id, member_id, reason,
         payload_head(rejection.payload)))


def prune_rejections(conn, keep: int) -> None:
    conn.execute("DELETE FROM rejections WHERE id <= "
                 "(SELECT id FROM rejections ORDER BY id DESC LIMIT 1 OFFSET ?)", (keep,))
