"""One index on fixes instead of two: a stored fix writes two b-tree pages, not three.

Every commit of a fix rewrote three pages into the WAL: the table's last leaf, the leaf of
``UNIQUE (device_id, ts)`` (idempotent ingest) and the leaf of ``fixes_member_ts``
(everything that reads a member's fixes by time). A device belongs to one member for
good (``devices.member_id`` is never changed), so ``UNIQUE (member_id, ts, device_id)``
refuses exactly the same repeats, and its first two columns serve every read by member
and time that ``fixes_member_ts`` served. Reads by device add the device's member
(``WHERE member_id = ? AND device_id = ?``), which the same index answers.
About a third fewer bytes on the SD card per fix (bench/wear.py; docs/operations.md,
"Wear").

The table is rebuilt under its own schema text (with any column a later migration added),
ids and rows kept, its other indexes recreated; foreign keys off meanwhile so that nothing
cascades. Measured on the development machine: 500,000 fixes (a 163 MB database) in 13.6 s
(2.5 s of CPU), the WAL at 320 MB until the checkpoint `Store.open` makes after migrating; a
Pi Zero is several times slower, and needs about twice the table's size free meanwhile.
The old table's pages stay in the file as free pages (overwritten: `secure_delete`), reused
by the fixes that come after; the file does not shrink without a VACUUM.
"""
from __future__ import annotations

import re

FOREIGN_KEYS_OFF = True

_OLD_KEY = re.compile(r"UNIQUE\s*\(\s*device_id\s*,\s*ts\s*\)", re.I)
NEW_KEY = "UNIQUE (member_id, ts, device_id)"
DROPPED = "fixes_member_ts"


def up(conn) -> None:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'fixes'"
                       ).fetchone()[0]
    new_sql, n = _OLD_KEY.subn(NEW_KEY, sql, count=1)
    if n == 0:
        raise RuntimeError("m0011: the fixes table has no UNIQUE (device_id, ts) to replace")
    extras = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'fixes' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL AND name != ?", (DROPPED,))]
    conn.execute(re.sub(r"^CREATE TABLE\s+\"?fixes\"?", "CREATE TABLE fixes_rebuilt", new_sql))
    conn.execute("INSERT INTO fixes_rebuilt SELECT * FROM fixes")  # ids kept
    conn.execute("DROP TABLE fixes")
    conn.execute("ALTER TABLE fixes_rebuilt RENAME TO fixes")
    for extra in extras:
        conn.execute(extra)
