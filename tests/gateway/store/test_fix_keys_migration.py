"""Migration m0011: fixes keep one index, (member_id, ts, device_id), instead of two.

A box from before it (two members, three devices, fixes at the same times on two devices)
is migrated: every row and id is kept, repeats are still refused per device, the same
time on another device is still a fix of its own, and reads by device and by member find
exactly what they found before. A stored fix then writes two b-tree pages, not three
(what bench/wear.py measures)."""
from __future__ import annotations

import sqlite3

from carbon.fix import Fix
from gateway import accounts
from gateway.queries import devices as device_queries
from gateway.queries import recorder
from gateway.queries.fixes import member_fixes
from gateway.store import Store, insert_fixes, migrations
from harness import Household, make_config

T0 = 1_700_000_000


def _before_m0011(tmp_path, monkeypatch) -> tuple[Household, list[tuple]]:
    everything = migrations.available()
    monkeypatch.setattr(migrations, "available",
                        lambda: [m for m in everything if m[1] != "m0011_fix_keys"])
    household = Household(make_config(tmp_path / "data"))
    store = Store(household.config.db_path).open()
    conn = store.conn
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'fixes_member_ts'").fetchone()
    member = conn.execute("SELECT id FROM members WHERE name = 'alice'").fetchone()[0]
    tablet, _secret = accounts.add_device(conn, "alice", "tablet")
    phone = accounts.get_device(conn, "alice", "phone")
    bob = accounts.get_device(conn, "bob", "phone")
    with store.transaction():
        for device, step in ((phone, 30), (tablet, 60), (bob, 30)):
            insert_fixes(conn, device, [Fix(T0 + k * step, 46.1 + k * 1e-4, -1.1, acc=10)
                                        for k in range(200)], "owntracks-http")
    rows = conn.execute("SELECT * FROM fixes ORDER BY id").fetchall()
    store.close()
    monkeypatch.setattr(migrations, "available", lambda: everything)
    assert member
    return household, [tuple(r) for r in rows]


def test_rows_kept_one_index_left_and_repeats_still_refused(tmp_path, monkeypatch):
    household, before = _before_m0011(tmp_path, monkeypatch)
    store = Store(household.config.db_path).open()
    conn = store.conn
    assert [tuple(r) for r in conn.execute("SELECT * FROM fixes ORDER BY id")] == before
    indexes = {r[0]: r[1] for r in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fixes'")}
    assert "fixes_member_ts" not in indexes and "fixes_unfilled" in indexes
    (unique,) = [n for n in indexes if n.startswith("sqlite_autoindex_fixes")]
    assert [r[2] for r in conn.execute(f"PRAGMA index_info({unique})")] == [
        "member_id", "ts", "device_id"]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    phone = accounts.get_device(conn, "alice", "phone")
    tablet = accounts.get_device(conn, "alice", "tablet")
    with store.transaction():
        again = insert_fixes(conn, phone, [Fix(T0, 46.1, -1.1), Fix(T0 + 30, 46.1, -1.1)],
                             "owntracks-mqtt")
        # T0 + 90 is a phone fix already (k = 3), never a tablet one (60 s steps): new
        other = insert_fixes(conn, tablet, [Fix(T0 + 90, 46.2, -1.2), Fix(T0 + 120, 1, 1)],
                             "owntracks-mqtt")
    assert (again, other) == (0, 1)


def test_reads_by_device_and_by_member_find_what_they_found(tmp_path, monkeypatch):
    household, before = _before_m0011(tmp_path, monkeypatch)
    store = Store(household.config.db_path).open()
    conn = store.conn
    alice = conn.execute("SELECT id FROM members WHERE name = 'alice'").fetchone()[0]
    phone = accounts.get_device(conn, "alice", "phone")
    tablet = accounts.get_device(conn, "alice", "tablet")

    names = {phone.id: "phone", tablet.id: "tablet"}
    by_device = sorted((r[1], r[3]) for r in before if r[2] == alice)   # device id, then ts
    assert [(r["device"], r["ts"]) for r in member_fixes(conn, alice)] == [
        (names[d], ts) for d, ts in by_device]
    assert [r["ts"] for r in member_fixes(conn, alice, T0 + 100 * 60, T0 + 102 * 60)] == [
        T0 + 100 * 60, T0 + 101 * 60]                   # the phone's fixes ended before

    newest = {d["device"]["name"]: d["fix"]["ts"]
              for d in device_queries.last_fix_per_device(conn, [alice])}
    assert newest == {"phone": T0 + 199 * 30, "tablet": T0 + 199 * 60}
    counts = {d["name"]: d["fixes"] for d in device_queries.member_devices(conn, alice)}
    assert counts == {"phone": 200, "tablet": 200}
    page = {d["name"]: (d["fixes"], d["newest_ts"]) for d in device_queries.devices_page(conn, alice)}
    assert page == {"phone": (200, T0 + 199 * 30), "tablet": (200, T0 + 199 * 60)}

    info = recorder.device_info(conn, tablet.id)
    window = [r[0] for r in recorder.iter_fixes(conn, info, from_ts=T0 + 59, to_ts=T0 + 181)]
    assert window == [T0 + 60, T0 + 120, T0 + 180]
    assert recorder.month_names(conn, tablet.id) == ["2023-11"]


def test_a_stored_fix_writes_two_btree_pages(tmp_path):
    """The WAL's frames of one commit of one fix: the table's leaf and its one index's."""
    household = Household(make_config(tmp_path / "data"))
    store = Store(household.config.db_path).open()
    conn = store.conn
    phone = accounts.get_device(conn, "alice", "phone")
    with store.transaction():
        insert_fixes(conn, phone, [Fix(T0, 46.1, -1.1)], "owntracks-http")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with store.transaction():
        insert_fixes(conn, phone, [Fix(T0 + 30, 46.1, -1.1)], "owntracks-http")
    wal = (household.config.db_path.parent / (household.config.db_path.name + "-wal"))
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    frames = (wal.stat().st_size - 32) // (page + 24)
    assert frames == 2
    store.close()
    assert sqlite3.connect(household.config.db_path).execute(
        "SELECT count(*) FROM fixes").fetchone()[0] == 2
