"""The review's crafted archives: a member restores a `selfdata-archive` zip made to write
what is not theirs. Each is refused before anything is written (the whole database is
compared before and after), with a message saying what and where; a genuine archive still
restores. The manifest of each crafted archive is consistent (checksums and counts
recomputed, as an attacker would): only the schema stands in the way."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile

import pytest

from carbon.fix import Fix
from gateway import accounts
from gateway.portability import archive
from gateway.store import insert_fixes
from portability_helpers import fixes_of, run_import

T0 = 1714636800


@pytest.fixture
def box(store):
    """alice (the attacker, one phone with two fixes) and bob (the victim: admin, a phone
    with a fix, and nobody sees him)."""
    with store.transaction() as conn:
        accounts.add_member(conn, "bob", "bobs password", is_admin=True)
        bob, _ = accounts.add_device(conn, "bob", "phone")
        insert_fixes(conn, bob, [Fix(ts=T0 - 3600, lat=46.1, lon=-1.1)],
                     "owntracks-http")
        phone, _ = accounts.add_device(conn, "alice", "phone")
        insert_fixes(conn, phone,
                     [Fix(ts=T0 + 60 * i, lat=46.2, lon=-1.2 + i / 1000) for i in range(2)],
                     "owntracks-http")
    return store


@pytest.fixture
def genuine(box, tmp_path):
    path = tmp_path / "alice.zip"
    archive.write_archive(box, 1, path)
    return path


def craft(src, dst, *, add=None, drop=(), edit=None, manifest=None):
    """A copy of archive ``src`` with files added (name -> rows, dict or bytes), dropped or
    edited (name -> function of the rows), and its manifest recomputed to match."""
    files = {}
    with zipfile.ZipFile(src) as zf:
        for name in zf.namelist():
            if name != "manifest.json" and name not in drop:
                files[name] = zf.read(name)
        real = json.loads(zf.read("manifest.json"))
    for name, fn in (edit or {}).items():
        files[name] = _encode(name, fn(_decode(name, files[name])))
    for name, content in (add or {}).items():
        files[name] = _encode(name, content)
    entries, counts = [], {}
    for name, data in files.items():
        rows = sum(1 for line in data.splitlines() if line.strip()) if name.endswith(".jsonl") else 0
        entries.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(),
                        "bytes": len(data), "rows": rows})
        if name.endswith(".jsonl"):
            counts[name.rsplit("/", 1)[-1][:-6]] = rows
    real.update(files=entries, counts=counts)
    if manifest:
        manifest(real)
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", json.dumps(real))
    return dst


def _decode(name, data):
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in data.splitlines() if line.strip()]
    return json.loads(data)


def _encode(name, content):
    if isinstance(content, bytes):
        return content
    if name.endswith(".jsonl"):
        return "".join(json.dumps(r) + "\n" for r in content).encode()
    return json.dumps(content).encode()


def dump(store) -> list[str]:
    """Every row of every table but the import's own job row."""
    conn = sqlite3.connect(store.path)
    try:
        return [line for line in conn.iterdump() if "import_jobs" not in line]
    finally:
        conn.close()


def restore_refused(store, path) -> str:
    """Restore ``path`` as alice; nothing written, the refusal returned."""
    before = dump(store)
    report = run_import(store, path)
    (f,) = report.files
    assert f.refused and f.refused.startswith("archive refused, nothing restored: "), f.refused
    assert dump(store) == before
    assert not report.ok
    return f.refused.removeprefix("archive refused, nothing restored: ")


def test_visibility_rows_are_refused(box, genuine, tmp_path):
    """The review's archive: tables/shares.jsonl made bob show his positions to alice."""
    for table in ("shares", "visibility"):
        crafted = craft(genuine, tmp_path / f"{table}.zip", add={
            f"tables/{table}.jsonl": [{"owner_id": 2, "viewer_id": 1}]})
        reason = restore_refused(box, crafted)
        assert reason.startswith(f"tables/{table}.jsonl: an archive restores only your "
                                 f"corrections, places and trip edits from tables/, never '{table}'")
    assert box.conn.execute("SELECT count(*) FROM visibility").fetchone()[0] == 0


def test_a_members_row_creates_no_account(box, genuine, tmp_path):
    evil = {"name": "evil", "password_hash": accounts.hash_password("evil password"), "is_admin": 1,
            "settings": "{}", "created_ts": 0}
    for name in ("tables/members.jsonl", "members.jsonl", "tables/sessions.jsonl",
                 "tables/pipeline_state.jsonl", "tables/import_jobs.jsonl",
                 "tables/trips.jsonl"):
        crafted = craft(genuine, tmp_path / "members.zip", add={name: [evil]})
        reason = restore_refused(box, crafted)
        assert name in reason
    assert [m.name for m in accounts.list_members(box.conn)] == ["alice", "bob"]
    assert accounts.check_login(box.conn, "evil", "evil password") is None


def test_admin_in_member_json_is_ignored(box, genuine, tmp_path):
    """member.json says is_admin (every genuine archive does, true or false): a restore
    never gives rights, nor renames the member, nor writes another member's profile."""
    crafted = craft(genuine, tmp_path / "admin.zip", edit={"member.json": lambda m: {
        **m, "name": "bob", "is_admin": True, "display_name": "Alice A."}})
    report = run_import(box, crafted)
    assert report.files[0].refused is None
    rows = box.conn.execute("SELECT name, is_admin, display_name FROM members ORDER BY id")
    assert [tuple(r) for r in rows] == [("alice", 0, "Alice A."), ("bob", 1, None)]


def test_a_fix_for_another_members_device_is_refused(box, genuine, tmp_path):
    bob_device = accounts.get_device(box.conn, "bob", "phone").id
    point = {"ts": T0 + 3600, "lat": 48.85, "lon": 2.35, "source": "owntracks-http",
             "received_ts": T0 + 3600}
    for extra, said in (({"device_id": bob_device}, "unknown column 'device_id'"),
                        ({"device": "phone", "member_id": 2}, "unknown column 'member_id'"),
                        ({"device": "phone", "id": 1}, "unknown column 'id'")):
        crafted = craft(genuine, tmp_path / "foreign.zip",
                        edit={"fixes.jsonl": lambda rows: rows + [{**point, **extra}]})
        reason = restore_refused(box, crafted)
        assert reason.startswith("fixes.jsonl line 3: " + said)
    crafted = craft(genuine, tmp_path / "table.zip", add={
        "tables/fixes.jsonl": [{**point, "device_id": bob_device, "member_id": 2}]})
    assert "never 'fixes'" in restore_refused(box, crafted)
    assert fixes_of(box, "bob") == [(T0 - 3600, 46.1, -1.1, None, None, None, None, None, None)]


def test_devices_are_matched_by_name_within_the_member(box, genuine, tmp_path):
    """bob also has a device named phone: alice's archive writes only into hers."""
    with box.transaction() as conn:
        accounts.remove_device(conn, "alice", "phone")
    point = {"device": "phone", "ts": T0 + 3600, "lat": 48.85, "lon": 2.35,
             "source": "owntracks-http", "received_ts": T0 + 3600}
    crafted = craft(genuine, tmp_path / "named.zip",
                    edit={"fixes.jsonl": lambda rows: rows + [point]})
    report = run_import(box, crafted)
    assert report.restored["fixes"] == 3 and report.devices_created == ["phone"]
    assert len(fixes_of(box, "alice")) == 3
    assert len(fixes_of(box, "bob")) == 1
    # The device made for the archive holds history only: it has no secret to log in with.
    assert box.conn.execute("SELECT secret_hash FROM devices WHERE member_id = 1").fetchone()[0] \
        == accounts.NO_SECRET
    assert "alice/phone" not in dict(accounts.device_secret_hashes(box.conn))


def test_a_fix_naming_a_device_the_archive_does_not_list(box, genuine, tmp_path):
    crafted = craft(genuine, tmp_path / "unlisted.zip", edit={"fixes.jsonl": lambda rows: rows + [
        {"device": "watch", "ts": T0, "lat": 46.0, "lon": -1.0, "source": "x",
         "received_ts": T0}]})
    assert restore_refused(box, crafted) == ("fixes.jsonl line 3: device 'watch' is not in "
                                             "devices.json")


@pytest.mark.parametrize("key, value", [("secret_hash", "$7$101$c2FsdA==$aGFzaA=="),
                                        ("encryption_key", "k" * 32), ("id", 2),
                                        ("member_id", 2)])
def test_a_device_with_a_secret_or_an_id_is_refused(box, genuine, tmp_path, key, value):
    crafted = craft(genuine, tmp_path / "secret.zip", edit={"devices.json": lambda ds: [
        {**d, key: value} for d in ds]})
    reason = restore_refused(box, crafted)
    assert reason.startswith(f"devices.json [0]: unknown column '{key}'")


@pytest.mark.parametrize("name", ["../../selfdata.db", "/etc/cron.d/x", "tables/../../x.jsonl",
                                  "..\\..\\x.jsonl", "fixes.jsonl/../members.jsonl"])
def test_path_traversal_names_are_refused(box, genuine, tmp_path, name):
    crafted = craft(genuine, tmp_path / "traversal.zip", add={name: b"{}\n"})
    reason = restore_refused(box, crafted)
    assert reason.startswith((f"{name!r} is not a file of a selfdata archive", f"{name}: "))
    assert not (tmp_path / "selfdata.db").exists() and not (tmp_path.parent / "x.jsonl").exists()


def test_a_manifest_lying_about_counts_or_checksums(box, genuine, tmp_path):
    def fewer(m):
        m["counts"]["fixes"] = 1
    reason = restore_refused(box, craft(genuine, tmp_path / "counts.zip", manifest=fewer))
    assert reason == "manifest.json counts 'fixes': 1, but the archive holds 2 rows"

    def rows(m):
        next(e for e in m["files"] if e["name"] == "fixes.jsonl")["rows"] = 1
    reason = restore_refused(box, craft(genuine, tmp_path / "rows.zip", manifest=rows))
    assert reason == "fixes.jsonl holds 2 rows, manifest.json says 1: refused"

    def unlisted(m):
        m["files"] = [e for e in m["files"] if e["name"] != "tables/places.jsonl"]
    reason = restore_refused(box, craft(genuine, tmp_path / "unlisted.zip", manifest=unlisted))
    assert reason == ("'tables/places.jsonl' is in the zip but not in manifest.json: not "
                      "written by a gateway, refused")

    def wrong_hash(m):
        next(e for e in m["files"] if e["name"] == "fixes.jsonl")["sha256"] = "0" * 64
    reason = restore_refused(box, craft(genuine, tmp_path / "hash.zip", manifest=wrong_hash))
    assert reason == ("fixes.jsonl does not match its size and checksum in manifest.json: the "
                      "archive is damaged")


@pytest.mark.parametrize("row, said", [
    ({"lat": 123.0}, "lat 123.0 is out of range (-90 to 90)"),
    ({"ts": "yesterday"}, "ts is not a number"),
    ({"ts": 1.5}, "ts is not a whole number"),
    ({"raw": {"nested": True}}, "raw is not a text"),
    ({"source": "x" * 65}, "source is longer than 64 characters"),
    ({"lon": None}, "lon is missing"),
])
def test_rows_are_checked_column_by_column(box, genuine, tmp_path, row, said):
    def bad(rows):
        rows[1].update(row)
        return rows
    crafted = craft(genuine, tmp_path / "row.zip", edit={"fixes.jsonl": bad})
    assert restore_refused(box, crafted) == f"fixes.jsonl line 2: {said}"


def test_member_settings_are_checked(box, genuine, tmp_path):
    crafted = craft(genuine, tmp_path / "settings.zip", edit={"member.json": lambda m: {
        **m, "settings": {"vehicle": {"car_fuel": "plutonium"}}}})
    assert restore_refused(box, crafted).startswith(
        "member.json: settings: vehicle: fuel must be one of ")
    crafted = craft(genuine, tmp_path / "settings2.zip", edit={"member.json": lambda m: {
        **m, "settings": {"is_admin": True}}})
    assert restore_refused(box, crafted) == ("member.json: settings: unknown setting "
                                             "'is_admin' (accepted: vehicle, lang)")


def test_a_correction_with_a_mode_the_engine_does_not_know(box, genuine, tmp_path):
    crafted = craft(genuine, tmp_path / "correction.zip", add={"tables/corrections.jsonl": [
        {"kind": "leg_mode", "start_ts": T0, "end_ts": T0 + 60, "value": "teleport",
         "created_ts": 1}]})
    assert restore_refused(box, crafted).startswith(
        "tables/corrections.jsonl line 1: value 'teleport' is not a mode")


def test_a_whole_box_database_is_not_imported(box, tmp_path):
    """The appliance's data file uploaded as an import: refused by what it is."""
    report = run_import(box, box.path)
    assert report.files[0].refused.startswith("a SQLite database (a box's own data file")
    assert [m.name for m in accounts.list_members(box.conn)] == ["alice", "bob"]


def test_a_genuine_archive_restores_into_its_member_only(box, genuine, tmp_path):
    """The same archive restored for bob (an administrator's choice on the command line)
    writes into bob's rows, never alice's."""
    report = run_import(box, genuine, member="bob")
    assert report.restored["fixes"] == 2
    assert len(fixes_of(box, "bob")) == 3 and len(fixes_of(box, "alice")) == 2


def test_the_schema_covers_every_member_table_and_column(box):
    """A new table of member data, or a new column of a restored one, is a decision: carry
    it in archive_schema (export and restore follow) or say why not."""
    from gateway.portability import archive_schema as schema
    from gateway.store import DERIVED_FIX_COLUMNS
    from gateway.store.tables import DERIVED, LINK, member_tables
    restored = {table: columns for table, columns in schema.ROW_FILES.values()}
    tables = dict(member_tables(box.conn))
    assert set(tables) == set(restored) | set(schema.NOT_ARCHIVED) | DERIVED | LINK
    # The box's own ids and what the store derives itself (an event's digest, a fix's
    # Recorder object and geohash) never travel.
    own = {"id", "member_id", "device_id", "digest", *DERIVED_FIX_COLUMNS}
    for table, columns in restored.items():
        carried = {("device_id" if c == "device" else c) for c, col in columns.items()
                   if not col.ignored}
        assert tables[table] - own <= carried, table
        assert carried - {"device_id"} <= tables[table], table


def test_an_archive_zipped_again_with_folders_still_restores(box, genuine, tmp_path):
    """Unpacked and zipped again by a tool that adds folder entries: they hold nothing."""
    again = tmp_path / "again.zip"
    with zipfile.ZipFile(genuine) as src, zipfile.ZipFile(again, "w") as dst:
        for folder in ("tables/", "derived/"):
            dst.writestr(zipfile.ZipInfo(folder), b"")
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    other = run_import(box, again, member="bob")
    assert other.files[0].refused is None and other.restored["fixes"] == 2
