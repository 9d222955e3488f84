"""A whole box back from a backup: a household with history, trips, a correction, an enrolled
member's outbox and ledger, and phones paired over HTTP and MQTT, backed up while its real
`selfdata serve` runs against a real mosquitto, is restored on an empty data directory (a
new card). The restored box answers the phones' old credentials (HTTP /pub and MQTT: no
re-pairing), the members' passwords, and holds the same trips, correction, outbox, ledger
and keys. A damaged, foreign or too-new file is refused with a specific error, and nothing
on the box changes; a restore while the gateway runs is refused."""
from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import subprocess
import tarfile
import time
from pathlib import Path

import aiohttp
import pytest

from harness import PASSWORD, Mosquitto, free_port, require
from helpers import Phone, basic, location
from gateway import accounts
from gateway.accounts import broker
from gateway.backup import archive
from gateway.store import Store, migrations
from gateway_process import SELFDATA, GatewayProcess, write_config
from link_boxes import Member, make_box

LINK = {"send_interval_s": 0.2, "jitter_s": 0.0, "backoff_min_s": 1.0, "backoff_max_s": 2.0,
        "timeout_s": 10.0}
HOST = "maison-dupont"


def selfdata(config: Path, *args, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(SELFDATA), *args, "--config", str(config)], capture_output=True,
                          text=True, timeout=180)
    if check:
        assert proc.returncode == 0, f"selfdata {' '.join(args)}: {proc.stderr}"
    return proc


def rows(db: Path, sql: str, *args) -> list:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return [tuple(r) for r in conn.execute(sql, args).fetchall()]
    finally:
        conn.close()


def snapshot(db: Path, data_dir: Path) -> dict:
    keys = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((data_dir / "keys").glob("*"))}
    return {
        "members": rows(db, "SELECT id, name, password_hash FROM members ORDER BY id"),
        "devices": rows(db, "SELECT * FROM devices ORDER BY id"),
        "fixes": rows(db, "SELECT count(*), min(ts), max(ts) FROM fixes"),
        "trips": rows(db, "SELECT member_id, start_ts, end_ts FROM trips ORDER BY 1, 2"),
        "legs": rows(db, "SELECT mode, count(*) FROM legs GROUP BY mode ORDER BY mode"),
        "corrections": rows(db, "SELECT * FROM corrections ORDER BY 1"),
        "links": rows(db, "SELECT * FROM links ORDER BY id"),
        "consents": rows(db, "SELECT * FROM consents ORDER BY 1"),
        "outbox": rows(db, "SELECT * FROM outbox ORDER BY id"),
        "ledger": rows(db, "SELECT * FROM ledger ORDER BY id"),
        "keys": keys,
    }


def backed_up_db(backup_file: Path, tmp_path: Path) -> Path:
    with tarfile.open(backup_file, "r:gz") as tar:
        copy = tmp_path / "backed-up.db"
        copy.write_bytes(tar.extractfile("db/" + archive.DB_NAME).read())
    return copy


class Site:
    """One card: a data dir, its mosquitto, its `selfdata serve`."""

    def __init__(self, data_dir: Path, *, link: bool = True):
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.mqtt_port = free_port()
        self.gateway = GatewayProcess(data_dir, free_port(), mqtt_port=self.mqtt_port)
        self.gateway.config_path.unlink()   # /etc/selfdata/gateway.toml: outside the data
        self.gateway.config_path = data_dir.parent / f"{data_dir.name}.toml"
        self.config_path = write_config(self.gateway.config_path, {
            "gateway": {"data_dir": str(data_dir), "zeroconf": False, "hostname": HOST},
            "web": {"host": "127.0.0.1", "port": self.gateway.web_port},
            "mqtt": {"enabled": True, "host": "127.0.0.1", "port": self.mqtt_port,
                     "retry_seconds": 0.5},
            "link": {**LINK, "enabled": link}})
        from gateway.config import load
        self.config = load(self.config_path, env={})
        self.broker = None

    @property
    def db(self) -> Path:
        return self.data_dir / "selfdata.db"

    def start(self):
        # What the gateway writes at its start, the broker reads at its own: write it first.
        store = Store(self.db).open()
        broker.sync_broker_files(self.config, store.conn)
        store.close()
        self.broker = Mosquitto(self.config, self.mqtt_port).start()
        self.gateway.start()
        return self

    def stop(self):
        self.gateway.stop()
        if self.broker:
            self.broker.stop()


async def post(site: Site, user: str, secret: str, tst: int) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.post(site.gateway.url + "/pub", json=location(tst),
                             headers=basic(user, secret)) as r:
            return r.status


def mqtt_publish(site: Site, username: str, secret: str, topic: str, tst: int) -> None:
    phone = Phone(site.mqtt_port, username, secret)
    assert phone.connected == 0, f"the broker refused {username}: {phone.connected}"
    info = phone.publish(topic, location(tst))
    info.wait_for_publish(10)
    assert info.is_published()
    phone.close()


async def until(predicate, timeout=60.0):
    for _ in range(int(timeout / 0.2)):
        if predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("not reached in time")


async def test_a_restored_box_has_its_household_and_phones_keep_working(tmp_path, city):
    require("mosquitto")
    # The phones report now: a month still running, which the outbox does not send, so the
    # outbox and ledger cannot change between the backup and the old box's stop (a closed
    # month's positions would queue its summary at any moment of that window).
    now = int(time.time()) - 3600
    box = make_box(tmp_path / "old", HOST, [Member("alice"), Member("bob", "bob")])
    store = box.store()
    with store.transaction() as conn:
        for name in ("alice", "bob"):
            accounts.set_password(conn, name, PASSWORD)
        http_dev, http_secret = accounts.add_device(conn, "alice", "pocket")
        mqtt_dev, mqtt_secret = accounts.add_device(conn, "bob", "pocket")
    store.close()
    old = Site(box.data_dir)
    # A member's correction, kept across rebuilds: it must come back too.
    (leg_start,) = rows(old.db, "SELECT l.start_ts + 60 FROM legs l JOIN trips t ON "
                                "t.id = l.trip_id WHERE t.member_id = ? ORDER BY l.start_ts "
                                "LIMIT 1", box.ids["alice"])[0]
    await asyncio.to_thread(selfdata, old.config_path, "correct", "--member", "alice", "--leg", str(int(leg_start)),
             "--mode", "bus")
    for name, token in zip(("alice", "bob"), await city.tokens(2)):
        await asyncio.to_thread(selfdata, old.config_path, "link", "enrol", city.url, token, "--member", name)
        await asyncio.to_thread(selfdata, old.config_path, "link", "join", "--member", name, "--commune", "--from",
                 "2026-03")
    backups = tmp_path / "usb-stick"
    await asyncio.to_thread(old.start)
    try:
        await until(lambda: len(rows(old.db, "SELECT * FROM ledger")) == 4)
        assert await post(old, http_dev.username, http_secret, now) == 200
        await asyncio.to_thread(mqtt_publish, old, mqtt_dev.username, mqtt_secret,
                                mqtt_dev.topic, now + 100)
        await until(lambda: rows(old.db, "SELECT count(*) FROM fixes WHERE ts >= ?", now)
                    == [(2,)])
        # The backup is taken while the service runs and a phone keeps sending.
        sending = asyncio.gather(*(post(old, http_dev.username, http_secret, now + 1_000 + i)
                                   for i in range(20)))
        done = await asyncio.to_thread(selfdata, old.config_path, "backup", "--to",
                                       str(backups), "--json")
        assert set(await sending) == {200}
        made = json.loads(done.stdout)
    finally:
        await asyncio.to_thread(old.stop)
    backup_file = Path(made["path"])
    # What the backup holds, read from its own database copy: the old box went on working
    # after it (its outbox queues every month the city is owed as it comes due).
    expected = snapshot(backed_up_db(backup_file, tmp_path), old.data_dir)
    final = snapshot(old.db, old.data_dir)
    assert expected["corrections"] and len(expected["outbox"]) >= 4 and expected["keys"]
    # ...and the backup's messages are the first of the old box's, in the same order.
    assert ([r[0] for r in final["outbox"]][:len(expected["outbox"])]
            == [r[0] for r in expected["outbox"]])
    assert expected["links"] == final["links"]
    assert backup_file.parent == backups and backup_file.name.startswith(f"selfdata-backup-{HOST}-")

    new = Site(tmp_path / "new-card")
    out = await asyncio.to_thread(selfdata, new.config_path, "restore", str(backup_file))
    assert "restored" in out.stdout
    got = snapshot(new.db, new.data_dir)
    # Fixes that arrived while the copy was being taken may or may not be in it.
    taken = made["fixes"]
    assert got["fixes"][0][0] == taken <= final["fixes"][0][0]
    for key in ("members", "devices", "trips", "legs", "corrections", "links", "consents",
                "outbox", "ledger", "keys"):
        assert got[key] == expected[key], key
    assert rows(new.db, "PRAGMA integrity_check") == [("ok",)]

    await asyncio.to_thread(new.start)
    try:
        # The phones' old credentials, on the new card, with no re-pairing.
        assert await post(new, http_dev.username, http_secret, now + 2_000) == 200
        assert await post(new, http_dev.username, "not-the-secret", now + 2_001) == 401
        await asyncio.to_thread(mqtt_publish, new, mqtt_dev.username, mqtt_secret,
                                mqtt_dev.topic, now + 2_100)
        await until(lambda: rows(new.db, "SELECT count(*) FROM fixes WHERE ts IN (?, ?)",
                                         now + 2_000, now + 2_100) == [(2,)])
        async with aiohttp.ClientSession() as http:    # the members' own passwords
            async with http.get(new.gateway.url + "/api/0/list",
                                headers=basic("alice", PASSWORD)) as r:
                assert r.status == 200
                assert "alice" in (await r.json())["results"]
        # The members' keys still sign: the preview of what would go is made with them.
        preview = await asyncio.to_thread(selfdata, new.config_path, "link", "preview",
                                          "--member", "alice", "--month", "2026-03", "--json")
        assert json.loads(preview.stdout)["studies"]
    finally:
        await asyncio.to_thread(new.stop)


@pytest.fixture
def small_box(tmp_path):
    """A box with a household (no history) and one backup of it."""
    site = Site(tmp_path / "box", link=False)
    store = Store(site.db).open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", PASSWORD)
        accounts.add_device(conn, "alice", "phone")
        broker.sync_broker_files(site.config, conn)
    store.close()
    made = archive.create(site.config, tmp_path / "backups")
    return site, made.path


def _rewrite(src: Path, dest: Path, change) -> Path:
    """A copy of a backup with one member or the manifest changed by ``change(name, data)``."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dest, "w:gz") as tout:
        for member in tin:
            data = tin.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            import io
            tout.addfile(member, io.BytesIO(data))
    return dest


def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(small_box, tmp_path):
    site, good = small_box
    before = rows(site.db, "SELECT name FROM members")
    flipped = tmp_path / "flipped.tar.gz"
    _rewrite(good, flipped, lambda n, d: d[:-10] + b"0123456789" if n == "data/mosquitto/passwd"
             else d)
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    newer = _rewrite(good, tmp_path / "newer.tar.gz", lambda n, d: json.dumps(
        {**json.loads(d), "schema": migrations.latest() + 1}).encode() if n == "manifest.json"
        else d)
    foreign = tmp_path / "photos.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(str(site.config_path), arcname="holiday.txt")
    cases = {
        flipped: "corrupted: data/mosquitto/passwd does not match its checksum",
        truncated: "corrupted: the archive is cut short or damaged",
        newer: f"newer than this gateway knows ({migrations.latest()}): upgrade the gateway first",
        foreign: "not a selfdata backup: manifest.json is not its first file",
        site.config_path: "not a selfdata backup: not a readable .tar.gz",
        tmp_path / "missing.tar.gz": "no such file",
    }
    for path, message in cases.items():
        proc = selfdata(site.config_path, "restore", str(path), check=False)
        assert proc.returncode == 1, proc.stdout
        assert message in proc.stderr, (path.name, proc.stderr)
        assert rows(site.db, "SELECT name FROM members") == before
    # The good one is accepted, and the box it replaced is kept as a backup; a WAL the
    # replaced database left (a box that crashed) is not replayed onto the restored one.
    conn = sqlite3.connect(site.db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE members SET name = 'mallory'")
    stale = site.data_dir / "selfdata.db-wal"
    kept = stale.read_bytes()
    conn.close()
    stale.write_bytes(kept)     # as a SIGKILLed gateway leaves it: uncheckpointed
    proc = selfdata(site.config_path, "restore", str(good))
    assert "the data it replaced is saved in" in proc.stdout
    assert rows(site.db, "SELECT name FROM members") == [("alice",)]
    assert rows(site.db, "PRAGMA integrity_check") == [("ok",)]


def test_a_restore_while_the_gateway_runs_is_refused(small_box):
    site, good = small_box
    site.gateway.start(wait_mqtt=False)
    try:
        proc = selfdata(site.config_path, "restore", str(good), check=False)
        assert proc.returncode == 1
        assert "in use by selfdata serve" in proc.stderr
        assert "stop the gateway first" in proc.stderr
        assert site.gateway.health() is not None           # untouched, still serving
    finally:
        site.gateway.stop()


def test_an_older_backup_is_migrated_forward(tmp_path):
    """A backup from a gateway at schema 6 (before the outbox): restored, it is at the
    current schema with its members, devices and fixes."""
    site = Site(tmp_path / "old", link=False)
    conn = sqlite3.connect(site.db, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT "
                 "NULL, applied_ts INTEGER NOT NULL DEFAULT (unixepoch()))")
    for number, name in migrations.available():
        if number <= 6:
            migrations._apply(conn, __import__(f"{migrations.__name__}.{name}",
                                               fromlist=["up"]), number, name, number - 1)
    conn.close()
    store = Store.__new__(Store)       # the old schema, written without migrating further
    store.path, store._local = site.db, __import__("threading").local()
    with store.transaction() as c:
        alice = accounts.add_member(c, "alice", PASSWORD)
        # The device as a schema-6 gateway wrote it (today's add_device knows later columns).
        device_id = c.execute(
            "INSERT INTO devices (member_id, name, tid, secret_hash, created_ts) "
            "VALUES (?, 'phone', 'PH', ?, 1780000000)",
            (alice.id, accounts.mosquitto_hash("a phone secret"))).lastrowid
        c.execute("INSERT INTO fixes (device_id, member_id, ts, lat, lon, acc, source, received_ts) "
                  "VALUES (?, ?, 1780000000, 46.1, -1.1, 5, 'http', 1780000001)",
                  (device_id, alice.id))
    store.close()
    assert rows(site.db, "PRAGMA user_version") == [(6,)]
    made = archive.create(site.config, tmp_path / "backups")
    new = Site(tmp_path / "new", link=False)
    proc = selfdata(new.config_path, "restore", str(made.path))
    assert "migrated forward: m0007_readside" in proc.stdout and "m0010_outbox" in proc.stdout
    assert rows(new.db, "PRAGMA user_version") == [(migrations.latest(),)]
    assert rows(new.db, "SELECT count(*) FROM fixes") == [(1,)]
    assert rows(new.db, "SELECT name FROM members") == [("alice",)]
