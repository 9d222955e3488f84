"""Member and device ids are never used twice, and every change to the household is counted.

* ``members`` and ``devices`` are rebuilt with ``AUTOINCREMENT``. A plain ``INTEGER PRIMARY
  KEY`` hands out max(id) + 1, so removing the newest device and adding one gave the new
  device the old id, and whatever still held the old id (a phone's cached login in the
  service) wrote into the new device. Rows, ids and every reference to them are kept: the
  tables are copied under their own schema text (with any column a later migration added)
  and renamed back, foreign keys off meanwhile so that nothing cascades.
* ``accounts_version`` counts changes to members, devices and visibility, bumped by triggers
  whatever writes them (the service, or the ``selfdata`` command in another process), so the
  service's caches of logins, topics and replies notice at their next lookup.
"""
from __future__ import annotations

import re

from . import run_script

FOREIGN_KEYS_OFF = True  # dropping the old tables must not cascade to fixes, trips...

_PRIMARY_KEY = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b(?!\s+AUTOINCREMENT)", re.I)

VERSION = """
CREATE TABLE accounts_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO accounts_version (id, version) VALUES (1, 0);
"""
# What the service caches depends on: who logs in with what, under which name and topic,
# with which key; who sees whom. Not last_seen_ts and cards, which change on every batch.
WATCHED = {
    "devices": ("INSERT", "DELETE",
                "UPDATE OF member_id, name, tid, secret_hash, encryption_key"),
    "members": ("INSERT", "DELETE", "UPDATE OF name, display_name"),
    "visibility": ("INSERT", "DELETE", "UPDATE"),
}


def _rebuild_with_autoincrement(conn, table: str) -> None:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (table,)).fetchone()[0]
    new_sql, n = _PRIMARY_KEY.subn("id INTEGER PRIMARY KEY AUTOINCREMENT", sql, count=1)
    if n == 0:
        return  # already done
    extras = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL", (table,))]
    new_sql = re.sub(rf"^CREATE TABLE\s+\"?{table}\"?", f"CREATE TABLE {table}_rebuilt", new_sql)
    conn.execute(new_sql)
    conn.execute(f"INSERT INTO {table}_rebuilt SELECT * FROM {table}")  # ids kept
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for extra in extras:
        conn.execute(extra)


def _triggers(conn, table: str, events: tuple[str, ...]) -> str:
    # On a box where m0004 has not run yet, visibility is still called shares; a trigger
    # follows its table through the rename.
    on = table if _exists(conn, table) else "shares"
    out = []
    for event in events:
        name = f"{table}_{event.split()[0].lower()}_counted"
        out.append(f"CREATE TRIGGER {name} AFTER {event} ON {on} BEGIN "
                   "UPDATE accounts_version SET version = version + 1 WHERE id = 1; END;")
    return "\n".join(out) + "\n"


def _exists(conn, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (table,)).fetchone() is not None


def up(conn):
    for table in ("members", "devices"):
        _rebuild_with_autoincrement(conn, table)
    run_script(conn, VERSION)
    for table, events in WATCHED.items():
        run_script(conn, _triggers(conn, table, events))
