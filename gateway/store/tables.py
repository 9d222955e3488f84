"""What each table is, by name: who owns it, and which ones hold a member's data.

Erasure and exports walk "every table holding a member's rows" (``member_tables``), so a
capability that adds a table of member data is covered without those modules naming it. The
tables they must leave alone are declared here, by name: the household's accounts and
settings, and the box's own bookkeeping. Every table has exactly one owning package, the
only one that writes it (tests/test_layering.py checks the writes; tests/gateway/store
checks that every table of the schema is declared here).
"""
from __future__ import annotations

import sqlite_utils

# The household's accounts and a member's settings: never erased by a period, exported as
# member.json/devices.json rather than as rows.
ACCOUNT = frozenset({"members", "devices", "visibility", "retention", "sessions"})
# This box's own bookkeeping, not the member's data: exports, restores and erasure by period
# skip them (`selfdata delete --all` clears the member's import jobs explicitly).
BOOKKEEPING = frozenset({"settings", "schema_migrations", "pipeline_state", "import_jobs",
                         "accounts_version", "link_studies"})
# Rebuilt from fixes and corrections by the trip engine: an archive carries them for
# reading only, a restore recomputes them.
DERIVED = frozenset({"stays", "trips", "legs"})
# The city link's state, tied to the keys in this box's data dir: a member's data (exported
# for them to read, erased with them) but never restored into another box, where the keys
# are not: a new box enrols again with a new token (docs/city-link.md).
LINK = frozenset({"links", "consents", "consent_log", "outbox", "ledger"})

# table -> the package (under gateway/) that owns its SQL writes.
OWNERS = {
    "fixes": "store", "events": "store", "rejections": "store", "settings": "store",
    "schema_migrations": "store",
    "members": "accounts", "devices": "accounts", "visibility": "accounts",
    "sessions": "accounts",
    "accounts_version": "accounts",  # bumped by triggers (m0006) on the three above
    "stays": "trips", "trips": "trips", "legs": "trips", "places": "trips",
    "corrections": "trips", "pipeline_state": "trips", "transit_feed": "trips",
    "import_jobs": "portability", "labelled_segments": "portability", "retention": "portability",
    "links": "outbox", "link_studies": "outbox", "consents": "outbox", "consent_log": "outbox",
    "outbox": "outbox", "ledger": "outbox",
}


def member_tables(conn) -> list[tuple[str, set]]:
    """(table, columns) of every table holding a member's data (a ``member_id`` column, not
    an account or bookkeeping table), children before parents so foreign keys never block a
    delete."""
    db = sqlite_utils.Database(conn)
    tables = {t.name: set(t.columns_dict) for t in db.tables
              if "member_id" in t.columns_dict and t.name not in ACCOUNT | BOOKKEEPING}
    parents = {n: {fk.other_table for fk in db[n].foreign_keys} & tables.keys()
               for n in tables}
    ordered = []
    while parents:
        # A table goes once every table that references it has gone.
        ready = sorted(n for n in parents
                       if not any(n in refs for other, refs in parents.items() if other != n))
        ready = ready or sorted(parents)      # a reference cycle: order no longer matters
        for n in ready:
            ordered.append((n, tables[n]))
            del parents[n]
    return ordered
