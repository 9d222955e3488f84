"""The database's page size, and the way an older box's file moves to the small pages.

Every commit writes whole pages to the WAL, and the kernel writes whole 4 kB blocks: with
4 kB pages a stored fix (the fixes table's leaf and its index's leaf, two frames of 4,120
bytes) touches three blocks, with 1 kB pages (two frames of 1,048 bytes) one or two. New
databases are made with `PAGE_SIZE` (`database.connect` sets it before the first table);
a file made before keeps its pages until `convert` rewrites it (`selfdata compact`, the
gateway stopped): SQLite changes the page size only by a VACUUM outside WAL mode
(docs/operations.md, "Wear").
"""
from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = 1024
# A VACUUM builds the new file beside the old one (a temporary copy) and journals the
# old pages while it copies back: room for about twice the file, with a margin.
ROOM = 2.2


class PagesError(Exception):
    """The file could not be converted; nothing was changed (what, and why)."""


@dataclass(frozen=True)
class Converted:
    before: int          # page size before, bytes
    after: int
    size_before: int     # file size, bytes
    size_after: int


def page_size(conn) -> int:
    return conn.execute("PRAGMA page_size").fetchone()[0]


def convert(path: str | Path, size: int = PAGE_SIZE) -> Converted:
    """Rewrite the database at ``path`` with pages of ``size`` bytes (a no-op when it has
    them). Needs every other connection closed (the gateway stopped): leaving WAL mode is
    refused otherwise, and then nothing is changed. Crash-safe: the VACUUM runs with a
    rollback journal, so a power cut midway leaves the old file."""
    path = Path(path)
    before = path.stat().st_size
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        old = page_size(conn)
        if old == size:
            return Converted(old, old, before, before)
        free = shutil.disk_usage(path.parent).free
        if free < ROOM * before:
            raise PagesError(f"{path}: {free / 1e6:.0f} MB free, the rewrite needs about "
                             f"{ROOM * before / 1e6:.0f} MB: free some space first")
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:      # "database is locked"
            mode = None
        if mode != "delete":
            raise PagesError(f"{path} is open in another process (the gateway?): stop it first")
        try:
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA page_size = {int(size)}")
            conn.execute("VACUUM")
        finally:
            conn.execute("PRAGMA journal_mode = WAL")
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise PagesError(f"{path}: integrity_check after the rewrite: {problems[:3]}")
        return Converted(old, page_size(conn), before, path.stat().st_size)
    finally:
        conn.close()
