"""The one SQLite file: connections with the pragmas the box relies on, one per thread,
transactions, and the small settings the gateway keeps about itself.

One writer at a time (the ingest task, or a CLI command), many readers (WAL).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path

from . import migrations
from .pages import PAGE_SIZE

log = logging.getLogger(__name__)

# None bound as NULL through a registered adapter: the sqlite3 module binds ints, floats
# and strings directly but looks None up through its whole adaptation protocol (failed
# attribute lookups on the protocol and on None) before binding NULL, ~0.5 us a value
# (measured, Python 3.11). A fix row holds five or six of them (altitude, heading,
# battery, activity, raw...): most of an import's insert. The adapter is one dictionary
# lookup and a call in C ({}.get returns None for any key); the NULL stored is the same.
sqlite3.register_adapter(type(None), {}.get)


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
    # A small page cache per connection (the service has one per thread): the kernel's
    # page cache holds the file anyway, and 8 MB a connection left the box 6 MB heavier
    # after the trip engine's first pass over a million fixes (bench/ingest.py).
    conn.execute("PRAGMA cache_size = -2000")
    if not readonly:
        # Small pages for a new file (set before WAL mode writes its header; a file that
        # exists keeps its own): half the bytes per commit on the card (pages.py).
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on the card before a phone is told its fix is stored, power cut
        # included (NORMAL would lose acknowledged fixes then). Group commit keeps the
        # number of fsyncs to one per batch, not one per fix.
        conn.execute("PRAGMA synchronous = FULL")
        # After a checkpoint the WAL is cut back to 4 MiB: a large import must not leave a
        # WAL of hundreds of MB on the card (the WAL is reused from its start either way,
        # so steady writes are the same; docs/operations.md, "Wear").
        conn.execute("PRAGMA journal_size_limit = 4194304")
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
            # A migration that rebuilds a table leaves a WAL the size of that table (m0011:
            # 320 MB for half a million fixes): back into the database and off the card now.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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
