"""The review's takeover through the upload page, as a hostile member would do it: alice
uploads, over real HTTP to a real service, her own genuine archive edited to write what is
not hers (a visibility row making bob share with her, a new admin account, a point in bob's
track, bob's device with a secret), and the box's own backup (its SQLite file, bare, in a
tar.gz or a zip). Each job ends refused with what and where; the household's accounts,
visibility, devices and bob's track are exactly as before, and the account the archive
tried to create cannot log in. A whole box is restored by an administrator on the box,
never by an upload."""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
import zipfile
from pathlib import Path

import aiohttp
import pytest

from gateway.portability import archive
from gateway.store import Store
from harness import PASSWORD, base_url
from helpers import basic, location, wait_for
from test_import_limits import ALICE, finished, started, upload

T0 = 1714636800


def crafted(genuine: Path, dst: Path, add=None, edit=None) -> Path:
    """A copy of ``genuine`` with JSON-lines files added or JSON documents edited, its
    manifest recomputed to match (checksums and counts, as an attacker would)."""
    with zipfile.ZipFile(genuine) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json"}
        manifest = json.loads(zf.read("manifest.json"))
    for name, fn in (edit or {}).items():
        files[name] = json.dumps(fn(json.loads(files[name]))).encode()
    for name, rows in (add or {}).items():
        files[name] = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    manifest["files"] = [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d),
                          "rows": d.count(b"\n") if n.endswith(".jsonl") else 0}
                         for n, d in files.items()]
    manifest["counts"] = {n.rsplit("/", 1)[-1][:-len(".jsonl")]: d.count(b"\n")
                          for n, d in files.items() if n.endswith(".jsonl")}
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            zf.writestr(name, data)
    return dst


def household_state(db: Path) -> dict:
    """Everything a takeover would change: accounts, who sees whom, devices and their
    secrets, bob's track."""
    conn = sqlite3.connect(db)
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("members", "devices", "visibility")} | {
            "bob's fixes": conn.execute("SELECT * FROM fixes WHERE member_id = "
                                        "(SELECT id FROM members WHERE name = 'bob') "
                                        "ORDER BY id").fetchall()}
    finally:
        conn.close()


def ids(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {name: mid for mid, name in conn.execute("SELECT id, name FROM members")} | {
            "bob/phone": conn.execute("SELECT d.id FROM devices d JOIN members m ON "
                                      "m.id = d.member_id WHERE m.name = 'bob'").fetchone()[0]}
    finally:
        conn.close()


def _fix_row(ts, **extra):
    return {"device": "phone", "ts": ts, "lat": 46.2, "lon": -1.2, "source": "owntracks-http",
            "received_ts": ts, **extra}


ATTACKS = {
    # bob shares his track with alice
    "visibility": lambda g, d, i: crafted(g, d, add={"tables/visibility.jsonl": [
        {"owner_id": i["bob"], "viewer_id": i["alice"]}]}),
    # the review's table name from the zip member's name
    "shares": lambda g, d, i: crafted(g, d, add={"tables/shares.jsonl": [
        {"owner_id": i["bob"], "viewer_id": i["alice"]}]}),
    # a new administrator who could log in
    "members": lambda g, d, i: crafted(g, d, add={"tables/members.jsonl": [
        {"id": 99, "name": "mallory", "is_admin": 1,
         "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"}]}),
    # a point in bob's track, by his member and device ids
    "foreign fix": lambda g, d, i: crafted(g, d, add={"fixes.jsonl": [
        _fix_row(T0 + 3600, member_id=i["bob"], device_id=i["bob/phone"])]}),
    # bob's device, with a secret alice chose
    "device secret": lambda g, d, i: crafted(g, d, edit={"devices.json": lambda devs: devs + [
        {"name": "bobs-phone", "member_id": i["bob"], "secret_hash": "x" * 40}]}),
}


def backup_file(db: Path, kind: str, dst: Path) -> Path:
    """The box's own data file, as a backup of the whole box would carry it."""
    copy = dst.parent / "selfdata.db"
    src, out = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(out)
    src.close(), out.close()
    if kind == "db":
        return copy
    if kind == "tar.gz":
        with tarfile.open(dst, "w:gz") as tf:
            tf.add(copy, arcname="var/lib/selfdata/selfdata.db")
        return dst
    with zipfile.ZipFile(dst, "w") as zf:
        zf.write(copy, "selfdata.db")
        zf.writestr("gateway.toml", "[gateway]\n")
    return dst


@pytest.fixture
async def box(household, tmp_path):
    gw = await started(household)
    secret = household.secrets["alice/phone"]
    async with aiohttp.ClientSession() as s:
        for i in range(2):
            r = await s.post(base_url(gw) + "/pub", json=location(T0 + 60 * i),
                             headers=basic("alice/phone", secret))
            assert r.status == 200
    store = Store(gw.config.db_path).open()
    genuine = tmp_path / "alice.zip"
    archive.write_archive(store, ids(gw.config.db_path)["alice"], genuine)
    store.close()
    gw.genuine = genuine
    yield gw
    await gw.stop()


async def _upload_job(gw, path: Path) -> dict:
    async with aiohttp.ClientSession() as s:
        r = await upload(s, gw, path)
        assert r.status == 202, await r.text()
        job = await finished(s, gw, (await r.json())["id"])
    await wait_for(lambda: gw.imports.running() == 0)
    return job


@pytest.mark.parametrize("attack", ATTACKS)
async def test_a_crafted_archive_upload_takes_nothing(box, tmp_path, attack):
    db = box.config.db_path
    before = household_state(db)
    path = ATTACKS[attack](box.genuine, tmp_path / f"{attack}.zip", ids(db))
    job = await _upload_job(box, path)
    (f,) = job["report"]["files"]
    assert f["refused"].startswith("archive refused, nothing restored: "), f["refused"]
    assert household_state(db) == before
    async with aiohttp.ClientSession() as s:       # the account it tried to make
        r = await s.get(base_url(box) + "/api/1/imports", headers=basic("mallory", PASSWORD))
        assert r.status == 401


async def test_the_genuine_archive_restores_into_alice_only(box):
    db = box.config.db_path
    before = household_state(db)
    job = await _upload_job(box, box.genuine)
    (f,) = job["report"]["files"]
    assert f["refused"] is None and f["duplicates_skipped"] == 2     # her own points, already here
    assert household_state(db) == before


@pytest.mark.parametrize("kind", ["db", "tar.gz", "zip"])
async def test_a_whole_box_backup_is_not_an_upload(box, tmp_path, kind):
    """The box's own data file restores nothing through an upload, bare or packed as a
    backup would be: a whole box is restored by an administrator on the box."""
    db = box.config.db_path
    before = household_state(db)
    path = backup_file(db, kind, tmp_path / f"backup.{kind}")
    job = await _upload_job(box, path)
    assert job["status"] == "done" and job["fixes"] == 0
    files = job["report"]["files"]
    assert files and all(f["fixes_imported"] == 0 for f in files)
    said = " ".join(f["refused"] or "" for f in files)
    assert said, files
    if kind == "tar.gz":      # unpacked, its selfdata.db is the bare case
        assert said == "a tar archive: unpack it and import the files it holds"
    else:
        assert "a SQLite database (a box's own data file or its backup): an import never " \
               "reads one; an administrator restores a whole box on the box itself" in said
    assert household_state(db) == before
