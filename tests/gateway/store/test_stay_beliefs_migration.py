"""Migration m0014: every stay keeps the vehicle belief a late batch restarts from
(stays.parked). A store made by the previous schema, with a member's trips computed, is
upgraded: every stay, trip and leg is kept as it was, the stays have no belief yet (read
back from the trips, as before), and the live path fed a batch hours late then still ends
as a rebuild does, and keeps the beliefs from then on."""
from __future__ import annotations

import os
import random
import sys

from gateway.trips import pipeline

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "trips"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))
import live_parity  # noqa: E402
from pipeline_helpers import Box  # noqa: E402


def _rows(conn, table, columns):
    return conn.execute(f"SELECT {columns} FROM {table} ORDER BY id").fetchall()


def _as_before_m0014(conn) -> None:
    """The schema the previous gateway made: stays without the column, m0014 not applied
    (the rows in the other tables are written alike by both)."""
    conn.execute("ALTER TABLE stays DROP COLUMN parked")
    conn.execute("DELETE FROM schema_migrations WHERE number = 14")
    conn.execute("PRAGMA user_version = 13")


def test_a_store_from_before_m0014_is_upgraded_and_ends_as_a_rebuild(tmp_path):
    path = tmp_path / "data" / "selfdata.db"
    box = Box(path)
    alice = box.ids["alice"]
    batches = live_parity.late_order(live_parity.history("ferry", "dense", 0, 3),
                                     random.Random(0))
    half = len(batches) // 2
    for batch in batches[:half]:
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    _as_before_m0014(box.store.conn)
    conn = box.store.conn
    assert box.store.schema_version() == 13
    assert "parked" not in {r[1] for r in conn.execute("PRAGMA table_info(stays)")}
    stays = _rows(conn, "stays", "*")
    trips, legs = _rows(conn, "trips", "*"), _rows(conn, "legs", "*")
    state = conn.execute("SELECT * FROM pipeline_state").fetchall()
    assert stays and trips
    box.store.close()

    box.store = type(box.store)(path).open()
    conn = box.store.conn
    assert box.store.schema_version() == 14
    assert [tuple(r)[:-1] for r in _rows(conn, "stays", "*")] == [tuple(r) for r in stays]
    assert conn.execute("SELECT count(*) FROM stays WHERE parked IS NOT NULL").fetchone()[0] == 0
    assert [tuple(r) for r in _rows(conn, "trips", "*")] == [tuple(r) for r in trips]
    assert [tuple(r) for r in _rows(conn, "legs", "*")] == [tuple(r) for r in legs]
    assert [tuple(r) for r in conn.execute("SELECT * FROM pipeline_state")] == \
        [tuple(r) for r in state]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    for batch in batches[half:]:
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    live = live_parity.stored(conn, alice)
    assert conn.execute("SELECT count(*) FROM stays WHERE parked IS NOT NULL").fetchone()[0]
    pipeline.rebuild_member(box.store, alice)
    assert live == live_parity.stored(conn, alice)
    box.store.close()
