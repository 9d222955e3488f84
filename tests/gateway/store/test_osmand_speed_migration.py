"""Migration m0015: OsmAnd's own speeds, stored as knots before round 13, in m/s. A store of
the previous schema holds what the previous receiver made of four requests (every query's
speed read as knots): OsmAnd's (``hdop``; a millisecond timestamp) come out at the speed
the phone sent, Traccar Client's query (knots) and JSON body (m/s) as they were, and the
members whose fixes changed are rebuilt at their next fix (``pipeline_state`` cleared)."""
from __future__ import annotations

import pytest

from gateway import accounts
from gateway.ingest import traccar
from gateway.store import Store, insert_fixes

TS = 1_714_636_800
KNOT = 1852 / 3600
REQUESTS = {  # timestamp offset -> (query or JSON body, the speed the phone measured, m/s)
    0: ({"id": "alice/phone", "lat": "46.16", "lon": "-1.15", "timestamp": str(TS * 1000),
         "hdop": "8.0", "speed": "13.9"}, 13.9),                            # OsmAnd
    60: ({"id": "alice/phone", "lat": "46.16", "lon": "-1.15", "timestamp": str(TS + 60),
          "hdop": "8.0", "speed": "12.5"}, 12.5 * KNOT),                    # hdop, seconds: not OsmAnd
    240: ({"id": "alice/phone", "lat": "46.16", "lon": "-1.15", "timestamp": str(TS * 1000 + 240_000),
           "hdop": "0.9", "speed": "27", "accuracy": "4.0"}, 27 * KNOT),     # ESP32 TraccarClient
    120: ({"id": "alice/phone", "lat": "46.16", "lon": "-1.15", "timestamp": str(TS + 120),
           "speed": "27.0", "accuracy": "0.0", "batt": "80"}, 27.0 * KNOT),  # Traccar Client
    180: (b'{"device_id": "alice/phone", "location": {"timestamp": "2024-05-02T08:03:00Z", '
          b'"coords": {"latitude": 46.16, "longitude": -1.15, "speed": 13.9}}}', 13.9),
}


def _as_before_m0015(store: Store) -> None:
    """What the previous gateway stored: every query's speed read as knots."""
    with store.transaction() as conn:
        phone, _ = accounts.add_device(conn, "alice", "phone")
        accounts.add_device(conn, "bob", "phone")
        for request, _ in REQUESTS.values():
            body = request if isinstance(request, bytes) else None
            report = traccar.read_report({} if body else request, body, speed_unit="kn")
            insert_fixes(conn, phone, traccar.to_submission(report, phone).fixes, "osmand")
        for name in ("alice", "bob"):
            conn.execute("INSERT INTO pipeline_state (member_id, resume_ts, updated_ts) "
                         "SELECT id, NULL, 0 FROM members WHERE name = ?", (name,))
        conn.execute("DELETE FROM schema_migrations WHERE number = 15")
        conn.execute("PRAGMA user_version = 14")


def test_osmand_s_speeds_stored_as_knots_are_metres_a_second_after_it(tmp_path):
    path = tmp_path / "data" / "selfdata.db"
    store = Store(path).open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", None)
        accounts.add_member(conn, "bob", None)
    _as_before_m0015(store)
    before = dict(store.conn.execute("SELECT ts - ?, vel FROM fixes", (TS,)).fetchall())
    assert before[0] == pytest.approx(13.9 * KNOT)     # a car at 50 km/h stored at 26
    store.close()

    store = Store(path).open()
    assert store.schema_version() == 15
    after = dict(store.conn.execute("SELECT ts - ?, vel FROM fixes", (TS,)).fetchall())
    assert after == {k: pytest.approx(v) for k, (_, v) in REQUESTS.items()}
    rebuilt = {r[0] for r in store.conn.execute(
        "SELECT m.name FROM members m LEFT JOIN pipeline_state p ON p.member_id = m.id "
        "WHERE p.member_id IS NULL")}
    assert rebuilt == {"alice"}
    store.close()


def test_its_memory_stays_flat_however_many_fixes_the_store_holds():
    """10 M fixes on a Pi: the migration reads BATCH at a time, so 100k OsmAnd fixes peak no
    higher than 10k (all read before: 100 MiB for 200k, killed at start-up, every start)."""
    import json
    import sqlite3
    import tracemalloc

    from gateway.store.migrations import m0015_osmand_speed as m

    def peak(n):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE fixes (id INTEGER PRIMARY KEY, member_id INT, source TEXT, "
                     "vel REAL, raw TEXT)")
        conn.execute("CREATE TABLE pipeline_state (member_id INT)")
        conn.executemany("INSERT INTO fixes (member_id, source, vel, raw) VALUES (?, 'osmand', ?, ?)",
                         ((1 + k % 4, 13.9 * KNOT, json.dumps(
                             {"id": "alice/phone", "lat": "46.16", "lon": "-1.15", "hdop": "8.0",
                              "timestamp": str(TS * 1000 + 2000 * k), "speed": "13.9"}))
                          for k in range(n)))
        tracemalloc.start()
        m.up(conn)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert conn.execute("SELECT min(vel), max(vel) FROM fixes").fetchone() == (
            pytest.approx(13.9), pytest.approx(13.9))
        return top

    small, large = peak(10_000), peak(100_000)
    assert large < 1.5 * small and large < 8 * 2**20
