"""The store: migrations run once each, in order, even when one lands late."""
from __future__ import annotations

import pytest

from gateway.store import migrations
from gateway.store import Store


def test_a_new_database_gets_every_migration_once(tmp_path):
    store = Store(tmp_path / "s.db").open()
    names = [r[0] for r in store.conn.execute("SELECT name FROM schema_migrations ORDER BY number")]
    assert names == [name for _, name in migrations.available()]
    assert store.schema_version() == migrations.latest()
    assert migrations.migrate(store.conn) == []  # a restart applies nothing
    mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    store.close()


def test_a_migration_numbered_below_one_already_applied_still_runs(tmp_path, monkeypatch):
    everything = migrations.available()
    # One that no later migration builds on (m0004 renames a column of m0002's tables,
    # m0012 adds columns to m0003's import_jobs): the outbox's tables, landed on main
    # while boxes ran branches with higher numbers.
    late = next(m for m in everything if m[1] == "m0010_outbox")
    # A database made while that migration's branch had not landed yet...
    monkeypatch.setattr(migrations, "available", lambda: [m for m in everything if m != late])
    Store(tmp_path / "s.db").open().close()
    monkeypatch.setattr(migrations, "available", lambda: everything)
    # ...gets it when the gateway that has it starts.
    store = Store(tmp_path / "s.db").open()
    names = {r[0] for r in store.conn.execute("SELECT name FROM schema_migrations")}
    assert late[1] in names and len(names) == len(everything)
    store.close()


def test_a_database_from_a_newer_gateway_is_refused_not_damaged(tmp_path):
    store = Store(tmp_path / "s.db").open()
    store.conn.execute(f"PRAGMA user_version = {migrations.latest() + 5}")
    store.close()
    with pytest.raises(RuntimeError, match="newer than this gateway knows"):
        Store(tmp_path / "s.db").open()


def test_the_names_migration_keeps_who_sees_whom_and_where_trips_resume(tmp_path, monkeypatch):
    everything = migrations.available()
    before = [m for m in everything if m[1] != "m0004_names"]
    monkeypatch.setattr(migrations, "available", lambda: before)
    store = Store(tmp_path / "s.db").open()       # a box from before visibility had its name
    with store.transaction() as conn:
        for k, name in enumerate(("alice", "bob"), 1):
            conn.execute("INSERT INTO members (id, name, created_ts) VALUES (?, ?, 0)", (k, name))
        conn.execute("INSERT INTO shares (owner_id, viewer_id) VALUES (2, 1)")
        conn.execute("INSERT INTO pipeline_state (member, resume_ts, updated_ts) VALUES (2, 77, 0)")
    store.close()
    monkeypatch.setattr(migrations, "available", lambda: everything)
    store = Store(tmp_path / "s.db").open()
    assert [tuple(r) for r in store.conn.execute("SELECT owner_id, viewer_id FROM visibility")] \
        == [(2, 1)]
    state = store.conn.execute("SELECT member_id, resume_ts FROM pipeline_state").fetchone()
    assert (state["member_id"], state["resume_ts"]) == (2, 77)
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "shares" not in tables
    store.close()


def test_every_table_is_declared_with_its_owner(tmp_path):
    """A new table must say which package owns it and whether it is member data (erasure and
    exports walk member data by columns; bookkeeping is skipped by name)."""
    from gateway.store import tables
    store = Store(tmp_path / "s.db").open()
    schema = {r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
    store.close()
    assert schema == set(tables.OWNERS)
    declared = tables.ACCOUNT | tables.BOOKKEEPING | tables.DERIVED
    assert declared <= schema
    member_data = {name for name, _ in tables.member_tables(Store(tmp_path / "s.db").open().conn)}
    assert member_data & (tables.ACCOUNT | tables.BOOKKEEPING) == set()
    assert {"fixes", "events", "stays", "trips", "legs", "places", "corrections"} <= member_data


def test_the_devices_migration_keeps_rows_and_references_and_never_reuses_an_id(tmp_path,
                                                                                monkeypatch):
    from carbon.fix import Fix
    from gateway import accounts
    from gateway.store import insert_fixes
    everything = migrations.available()
    monkeypatch.setattr(migrations, "available",
                        lambda: [m for m in everything if m[1] != "m0006_devices"])
    store = Store(tmp_path / "s.db").open()          # a box from before
    with store.transaction() as conn:
        for name in ("alice", "bob"):
            accounts.add_member(conn, name, "correct horse battery")
        alice, _ = accounts.add_device(conn, "alice", "phone")
        bob, _ = accounts.add_device(conn, "bob", "phone")
        accounts.show_to(conn, "bob", "alice")
        insert_fixes(conn, bob, [Fix(ts=100, lat=46.1, lon=-1.1)], "test")
    store.close()
    monkeypatch.setattr(migrations, "available", lambda: everything)
    store = Store(tmp_path / "s.db").open()
    conn = store.conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert [d.username for d in accounts.list_devices(conn)] == ["alice/phone", "bob/phone"]
    assert accounts.device_by_id(conn, bob.id).username == "bob/phone"
    assert conn.execute("SELECT device_id FROM fixes").fetchone()[0] == bob.id
    assert accounts.visible_member_ids(conn, alice.member_id) == [alice.member_id, bob.member_id]
    assert "AUTOINCREMENT" in conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'devices'").fetchone()[0]

    with store.transaction() as conn:   # the newest device goes, another comes
        before = accounts.accounts_version(conn)
        accounts.remove_device(conn, "bob", "phone")
        assert conn.execute("SELECT count(*) FROM fixes").fetchone()[0] == 0  # cascade kept
        tablet, _ = accounts.add_device(conn, "alice", "tablet")
        accounts.remove_member(conn, "bob")
        member = accounts.add_member(conn, "carol", "correct horse battery")
    assert tablet.id > bob.id and member.id > bob.member_id
    assert accounts.accounts_version(store.conn) >= before + 3
    store.close()


def test_a_fix_without_altitude_heading_or_activity_is_stored_with_nulls(tmp_path):
    """None is bound through the adapter the store registers (database.py, for speed): a
    fix's missing fields must still be NULL, found by IS NULL and read back as None."""
    from carbon.fix import Fix
    from gateway import accounts
    from gateway.store import insert_fixes
    store = Store(tmp_path / "s.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "ada", None)
        device = accounts.add_history_device(conn, "ada", "import")
        insert_fixes(conn, device, [Fix(1_700_000_000, 46.5, 6.6, 20.0)], "import:test", 1.0)
    row = store.conn.execute(
        "SELECT alt, vel, cog, batt, activity, raw, typeof(alt), typeof(activity) FROM fixes "
        "WHERE alt IS NULL AND activity IS ? AND raw IS NULL", (None,)).fetchone()
    assert tuple(row) == (None, None, None, None, None, None, "null", "null")
    store.close()
