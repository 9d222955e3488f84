"""Exports read back by the importers give the same fixes; an archive restores a member."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from gateway import accounts
from gateway.portability import archive, export
from gateway.queries.fixes import member_fixes
from gateway.queries.trips import trips
from carbon.fix import Fix
from gateway.model import Event
from gateway.store import Store, insert_event, insert_fixes
from portability_helpers import fixes_of, run_import

T0 = 1714636800
FIXES = [
    Fix(ts=T0, lat=46.1591234, lon=-1.1512345, acc=8.0, alt=12.5, vel=1.4, cog=90.0, batt=77,
        activity="walk"),
    Fix(ts=T0 + 61, lat=46.16, lon=-1.15),                      # nothing optional
    Fix(ts=T0 + 3600 * 24 * 40, lat=-33.8567844, lon=151.2152967, acc=3.5, vel=0.0,
        activity="bus"),                                         # next month, other hemisphere
]


@pytest.fixture
def filled(store):
    with store.transaction() as conn:
        phone, _ = accounts.add_device(conn, "alice", "phone")
        insert_fixes(conn, phone.id, phone.member_id, FIXES, "owntracks-http", 1714000000.5)
    return store


def fresh(tmp_path, name="restore") -> Store:
    s = Store(tmp_path / name / "selfdata.db").open()
    with s.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    return s


@pytest.mark.parametrize("fmt", ["gpx", "geojson", "csv"])
def test_text_formats_round_trip(filled, tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    with open(path, "w", encoding="utf-8", newline="") as out:
        n = {"gpx": export.write_gpx, "geojson": export.write_geojson,
             "csv": export.write_csv}[fmt](out, member_fixes(filled.conn, 1))
    assert n == 3
    other = fresh(tmp_path)
    report = run_import(other, path)
    assert report.files[0].kind == fmt
    assert fixes_of(other) == fixes_of(filled)


def test_rec_round_trip(filled, tmp_path):
    export.write_rec(tmp_path / "store", "alice", member_fixes(filled.conn, 1))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "store").rglob("*.rec"))
    assert files == ["store/rec/alice/phone/2024-05.rec", "store/rec/alice/phone/2024-06.rec"]
    other = fresh(tmp_path)
    report = run_import(other, tmp_path / "store")
    assert report.devices_created == ["phone"]
    got, want = fixes_of(other), fixes_of(filled)
    # .rec speaks km/h like the phones: speed survives to the metre per hour
    assert [g[:5] + g[6:] for g in got] == [w[:5] + w[6:] for w in want]
    assert all((g[5] is None) == (w[5] is None) and (g[5] is None or abs(g[5] - w[5]) < 1e-3)
               for g, w in zip(got, want))


def test_owntracks_fix_keeps_its_original_message(store, tmp_path):
    raw = '{"_type":"location","tst":1714636800,"lat":46.1,"lon":-1.1,"vel":18,"SSID":"home"}'
    with store.transaction() as conn:
        phone, _ = accounts.add_device(conn, "alice", "phone")
        insert_fixes(conn, phone.id, 1, [Fix(ts=T0, lat=46.1, lon=-1.1, vel=5.0, raw=raw)],
                     "owntracks-mqtt", 0)
    row = next(member_fixes(store.conn, 1))
    assert json.loads(export.rec_payload(row)) == json.loads(raw)


ALL_COLUMNS = ("ts, lat, lon, acc, alt, vel, cog, batt, activity, source, received_ts, raw, "
               "(SELECT name FROM devices WHERE id = device_id)")


def test_archive_restores_into_an_empty_box(filled, tmp_path):
    with filled.transaction() as conn:
        phone = accounts.get_device(conn, "alice", "phone")
        insert_event(conn, phone.id, 1, Event("transition", T0, '{"event":"leave"}', "event"),
                     "owntracks-mqtt", 1.0)
        conn.execute("INSERT INTO labelled_segments (member_id, kind, start_ts, end_ts, label, "
                     "mode, source) VALUES (1, 'activity', ?, ?, 'IN_BUS', 'bus', 'import:x')",
                     (T0, T0 + 600))
        conn.execute("UPDATE members SET display_name = 'Alice', settings = '{\"lang\": \"fr\"}'")
        conn.execute("INSERT INTO retention (member_id, months, updated_ts) VALUES (1, 6, 0)")
        conn.execute("INSERT INTO corrections (member_id, kind, start_ts, end_ts, value, "
                     "created_ts) VALUES (1, 'leg_mode', ?, ?, 'bike', 5)", (T0, T0 + 600))
        conn.execute("INSERT INTO places (member_id, place_key, lat, lon, label, name, source) "
                     "VALUES (1, 'p1', 46.16, -1.15, 'home', 'Maison', 'member')")
    path = tmp_path / "alice.zip"
    manifest = archive.write_archive(filled, 1, path)
    from gateway.store.tables import LINK     # the city link's tables: exported, empty here
    assert manifest["counts"] == {"fixes": 3, "events": 1, "labelled_segments": 1,
                                  "corrections": 1, "places": 1, **dict.fromkeys(LINK, 0)}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {"README.md", "manifest.json", "member.json", "devices.json"} <= names
        member = json.loads(zf.read("member.json"))
        devices = zf.read("devices.json").decode()
    assert "password" not in json.dumps(member) and "secret" not in devices

    empty = Store(tmp_path / "empty" / "selfdata.db").open()      # no member at all
    from gateway.portability.importing import Importer, prepare_member
    assert prepare_member(empty, "alice", [path]) is True
    report = Importer(empty, "alice", run_pipeline=False).run([path])
    assert report.restored == {"fixes": 3, "events": 1, "labelled_segments": 1,
                               "corrections": 1, "places": 1}
    # What the member said survives the move: their correction and the place they named.
    assert [tuple(r) for r in empty.conn.execute("SELECT kind, value FROM corrections")] == [
        ("leg_mode", "bike")]
    assert [tuple(r) for r in empty.conn.execute("SELECT name, label, source FROM places")] == [
        ("Maison", "home", "member")]
    assert fixes_of(empty, columns=ALL_COLUMNS) == fixes_of(filled, columns=ALL_COLUMNS)
    m = empty.conn.execute("SELECT display_name, settings FROM members").fetchone()
    assert (m[0], json.loads(m[1])) == ("Alice", {"lang": "fr"})
    assert empty.conn.execute("SELECT months FROM retention").fetchone()[0] == 6
    assert empty.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    # restoring twice changes nothing
    again = Importer(empty, "alice", run_pipeline=False).run([path])
    assert again.files[0].fixes == 0 and again.files[0].duplicates == 3
    assert empty.conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 1
    assert empty.conn.execute("SELECT count(*) FROM places").fetchone()[0] == 1


def test_damaged_archive_is_refused_before_writing(filled, tmp_path):
    path = tmp_path / "alice.zip"
    archive.write_archive(filled, 1, path)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "fixes.jsonl":
                data = data.replace(b"46.16", b"46.17")
            dst.writestr(info, data)
    other = fresh(tmp_path)
    report = run_import(other, damaged)
    assert "checksum" in report.files[0].refused and fixes_of(other) == []


def test_trips_csv_one_row_per_leg(store):
    """Against the trip engine's own tables."""
    conn = store.conn
    conn.execute("INSERT INTO trips (id, member_id, start_ts, end_ts, distance_m, purpose, "
                 "start_place, end_place) VALUES (1, 1, ?, ?, 5200, 'work', 'home', 'work')",
                 (T0, T0 + 1800))
    conn.executemany("INSERT INTO legs (id, trip_id, member_id, seq, start_ts, end_ts, mode, "
                     "distance_m, co2_g, confidence, detected_mode, detected_confidence) "
                     "VALUES (?, 1, 1, ?, ?, ?, ?, ?, ?, 0.9, ?, 0.9)",
                     [(1, 0, T0, T0 + 300, "walk", 400, 0, "walk"),
                      (2, 1, T0 + 300, T0 + 1800, "bus", 4800, 489.6, "bus")])
    out = io.StringIO()
    assert export.write_legs_csv(out, trips(conn, 1)) == 2
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("trip_id,trip_start,trip_end,leg_start,leg_end,mode,distance_km")
    assert lines[2].split(",")[5:9] == ["bus", "4.8", "0.4896", "work"]
