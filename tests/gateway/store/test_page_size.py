"""Small pages: a new database has them, an older one keeps its own until `selfdata compact`
rewrites it, with every row and WAL mode kept (docs/operations.md, "Wear")."""
from __future__ import annotations

import sqlite3

import pytest

from gateway import accounts
from gateway.cli import main
from gateway.store import Store, pages


def _old_box(path):
    """A database as boxes made it before: 4 kB pages, WAL, the whole schema, some fixes."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    store = Store(path).open()
    with store.transaction() as conn:
        member = accounts.add_member(conn, "alice", None).id
        device = accounts.add_device(conn, "alice", "phone")[0].id
        conn.executemany(
            "INSERT INTO fixes (device_id, member_id, ts, lat, lon, acc, source, received_ts) "
            "VALUES (?, ?, ?, ?, ?, 5, 'test', 0)",
            [(device, member, 1_700_000_000 + 30 * i, 46.15 + i * 1e-5, -1.15) for i in range(3000)])
    return store


def test_a_new_database_has_small_pages(tmp_path):
    store = Store(tmp_path / "new.db").open()
    assert pages.page_size(store.conn) == pages.PAGE_SIZE == 1024
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_older_database_keeps_its_pages_until_converted(tmp_path):
    path = tmp_path / "old.db"
    store = _old_box(path)
    assert pages.page_size(store.conn) == 4096           # opening never rewrites it
    rows = store.conn.execute("SELECT * FROM fixes ORDER BY id").fetchall()
    with pytest.raises(pages.PagesError, match="open in another process"):
        pages.convert(path)                              # the store's connection is open
    assert pages.page_size(store.conn) == 4096
    store.close()

    done = pages.convert(path)
    assert (done.before, done.after) == (4096, 1024)
    again = Store(path).open()
    assert pages.page_size(again.conn) == 1024
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [tuple(r) for r in again.conn.execute("SELECT * FROM fixes ORDER BY id")] == \
        [tuple(r) for r in rows]
    assert pages.convert(path).before == 1024            # a second time: nothing to do


def test_compact_refuses_while_the_gateway_runs_then_converts(tmp_path, capsys):
    from gateway.backup.lock import DataDirLock
    data = tmp_path / "data"
    data.mkdir()
    _old_box(data / "selfdata.db").close()
    config = tmp_path / "gateway.toml"
    config.write_text(f'[gateway]\ndata_dir = "{data}"\nzeroconf = false\n')
    lock = DataDirLock(data, "selfdata serve").acquire()
    assert main(["compact", "--config", str(config)]) == 1
    assert "stop the gateway first" in capsys.readouterr().err
    lock.release()
    assert main(["compact", "--config", str(config)]) == 0
    assert "rewritten as 1024" in capsys.readouterr().out
    conn = sqlite3.connect(data / "selfdata.db")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 1024
    assert conn.execute("SELECT count(*) FROM fixes").fetchone()[0] == 3000


def test_doctor_tells_an_older_box_how_to_compact(tmp_path):
    from gateway import doctor
    from gateway.config import load
    data = tmp_path / "data"
    data.mkdir()
    _old_box(data / "selfdata.db").close()
    config = tmp_path / "gateway.toml"
    config.write_text(f'[gateway]\ndata_dir = "{data}"\nzeroconf = false\n')
    cfg = load(config, env={})
    check = doctor.check_database(cfg)
    assert check.status == "warn" and "4096 bytes" in check.summary, check
    assert "selfdata compact" in check.advice
    pages.convert(data / "selfdata.db")
    assert doctor.check_database(cfg).status == "ok"
