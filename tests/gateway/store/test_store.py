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
    late = everything[1]
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
