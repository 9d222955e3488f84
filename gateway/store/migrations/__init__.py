"""Forward-only schema migrations, run in order on every start.

Each module ``mNNNN_<name>.py`` in this package defines ``up(conn)`` taking a
``sqlite3.Connection`` inside a transaction. A migration that rebuilds a table others point
at sets ``FOREIGN_KEYS_OFF = True``: with foreign keys on, dropping the old table would
delete, by cascade, every row that refers to it. The runner then turns them off around the
transaction (they cannot change inside one) and refuses to commit if any reference dangles
(SQLite's own procedure for schema changes, "Making Other Kinds Of Table Schema Changes"). The table ``schema_migrations`` records each
one applied, so a migration that lands with a lower number than one already applied (two
capabilities developed side by side) still runs; ``PRAGMA user_version`` holds the highest
number, for tools. Never edit a migration that has shipped: add the next number instead.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import sqlite3

_NAME = re.compile(r"^m(\d{4})_\w+$")


def run_script(conn, script: str) -> None:
    """Execute a multi-statement SQL script inside the caller's transaction.

    ``executescript`` would COMMIT first, and a naive split on ";" breaks on comments
    and strings, so statements are cut where SQLite itself says one is complete.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip() and not all(l.strip().startswith("--") or not l.strip()
                                   for l in pending.splitlines()):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending!r}")


def available() -> list[tuple[int, str]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        m = _NAME.match(info.name)
        if m:
            found.append((int(m.group(1)), info.name))
    found.sort()
    numbers = [n for n, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {found}")
    return found


def latest() -> int:
    return available()[-1][0] if available() else 0


def migrate(conn) -> list[str]:
    """Apply every migration this database has not had yet; return the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, "
                 "name TEXT NOT NULL, applied_ts INTEGER NOT NULL DEFAULT (unixepoch()))")
    done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > latest():
        raise RuntimeError(
            f"the database is at schema {current}, newer than this gateway knows ({latest()}): "
            "install the newer gateway or restore a backup")
    applied = []
    for number, name in available():
        if number in done:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        _apply(conn, module, number, name, current)
        current = max(number, current)
        applied.append(name)
    return applied


def _apply(conn, module, number: int, name: str, current: int) -> None:
    keys_off = getattr(module, "FOREIGN_KEYS_OFF", False)
    if keys_off:
        conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        module.up(conn)
        if keys_off:
            dangling = conn.execute("PRAGMA foreign_key_check").fetchall()
            if dangling:
                raise RuntimeError(f"{name} would leave {len(dangling)} dangling references, "
                                   f"e.g. {tuple(dangling[0])}")
        conn.execute("INSERT INTO schema_migrations (number, name) VALUES (?, ?)",
                     (number, name))
        conn.execute(f"PRAGMA user_version = {max(number, current)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        if keys_off:
            conn.execute("PRAGMA foreign_keys = ON")
