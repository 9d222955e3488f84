"""The one SQLite file: connections, migrations and the write primitives of ingest.

One writer at a time (the ingest task, or a CLI command), many readers (WAL). Every write
function here takes a list and runs in the caller's transaction, so callers batch.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

from . import migrations
from .model import Event, Fix, Rejection

log = logging.getLogger(__name__)

FIX_COLUMNS = ("device_id", "member_id", "ts", "lat", "lon", "acc", "alt", "vel", "cog",
               "batt", "activity", "source", "received_ts", "raw")
_INSERT_FIX = (f"INSERT OR IGNORE INTO fixes ({', '.join(FIX_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(FIX_COLUMNS))})")
PAYLOAD_HEAD = 200


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas the gateway relies on (WAL, foreign keys, bounded cache)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                               isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    # A bounded page cache keeps the Pi Zero's 512 MB safe whatever the table sizes.
    conn.execute("PRAGMA cache_size = -8000")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on the card before a phone is told its fix is stored, power cut
        # included (NORMAL would lose acknowledged fixes then). Group commit keeps the
        # number of fsyncs to one per batch, not one per fix.
        conn.execute("PRAGMA synchronous = FULL")
        # Deleted rows are overwritten, not left in free pages: erasure is real.
        conn.execute("PRAGMA secure_delete = ON")
    return conn


class Store:
    """Owns the database path; hands out one connection per thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    def open(self) -> "Store":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.conn
        applied = migrations.migrate(conn)
        if applied:
            log.info("database %s migrated: %s", self.path, ", ".join(applied))
        return self

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def transaction(self):
        return _Transaction(self.conn)

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # ----- settings (small key/value facts the gateway keeps about itself)
    def get_setting(self, key: str, default=None):
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_setting(self, key: str, value) -> None:
        self.conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                          (key, json.dumps(value)))


class _Transaction:
    """``with store.transaction():`` BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


# ----- write primitives (called inside a transaction, by ingest and importers)

def fix_row(device_id: int, member_id: int, fix: Fix, source: str, received: float) -> tuple:
    return (device_id, member_id, int(fix.ts), fix.lat, fix.lon, fix.acc, fix.alt, fix.vel,
            fix.cog, fix.batt, fix.activity, source, received, fix.raw)


def insert_fix_rows(conn: sqlite3.Connection, rows: Sequence[tuple]) -> int:
    """Insert fix rows (see ``fix_row``); return how many were new (repeats are no-ops)."""
    before = conn.total_changes
    conn.executemany(_INSERT_FIX, rows)
    return conn.total_changes - before


def insert_fixes(conn, device_id: int, member_id: int, fixes: Iterable[Fix], source: str,
                 received: float | None = None) -> int:
    received = time.time() if received is None else received
    return insert_fix_rows(conn, [fix_row(device_id, member_id, f, source, received)
                                  for f in fixes])


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
