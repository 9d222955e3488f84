"""Importing into the store: containers, idempotence, truncation, refusals, devices."""
from __future__ import annotations

import json
import zipfile

import pytest

from gateway import accounts
from portability_helpers import fixes_of, gz, run_import, write

T0 = 1714636800


def records(n: int, start: int = T0, step: int = 60) -> dict:
    return {"locations": [{"latitudeE7": 461600000 + 1000 * i, "longitudeE7": -11500000,
                           "accuracy": 10, "timestamp": _iso(start + step * i)}
                          for i in range(n)]}


def _iso(ts: int) -> str:
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def test_rerunning_an_import_adds_nothing(store, tmp_path):
    path = write(tmp_path / "Records.json", records(50))
    first = run_import(store, path, batch_size=7)
    before = fixes_of(store)
    second = run_import(store, path, batch_size=7)
    assert first.totals()["fixes_imported"] == 50
    assert (second.totals()["fixes_imported"], second.totals()["duplicates_skipped"]) == (0, 50)
    assert fixes_of(store) == before


def test_default_device_is_created_on_demand(store, tmp_path):
    report = run_import(store, write(tmp_path / "a.json", records(2)))
    assert report.devices_created == ["import"]
    assert report.files[0].device == "import"
    report = run_import(store, write(tmp_path / "b.json", records(2, T0 + 999)), device="bike")
    assert report.devices_created == ["bike"]
    assert accounts.get_device(store.conn, "alice", "bike").member == "alice"


def test_truncated_file_imports_what_it_can_and_says_where_it_stopped(store, tmp_path):
    text = json.dumps(records(40), indent=1)
    cut = text[: int(len(text) * 0.6)]
    report = run_import(store, write(tmp_path / "Records.json", cut))
    f = report.files[0]
    assert 20 <= f.fixes < 40
    assert f.stopped and "stopped near byte" in f.stopped and f"after {f.fixes}" in f.stopped
    assert not report.ok
    assert len(fixes_of(store)) == f.fixes


def test_truncated_gzip_stops_cleanly(store, tmp_path):
    data = gz(json.dumps(records(2000), indent=1).encode())
    report = run_import(store, write(tmp_path / "history.bin", data[: len(data) // 2]))
    f = report.files[0]
    assert f.kind == "google-records" and f.fixes > 100 and f.stopped


def test_failed_import_leaves_what_was_stored_untouched(store, tmp_path):
    run_import(store, write(tmp_path / "a.json", records(10)))
    before = [tuple(r) for r in store.conn.execute("SELECT * FROM fixes ORDER BY id")]
    # the same instants with other positions, then garbage: nothing stored may change
    other = records(10)
    for rec in other["locations"]:
        rec["latitudeE7"] += 5_000_000
    broken = json.dumps(other)[:-40] + "!!garbage"
    report = run_import(store, write(tmp_path / "b.json", broken))
    assert report.files[0].stopped
    assert [tuple(r) for r in store.conn.execute("SELECT * FROM fixes ORDER BY id")] == before


def test_refused_file_names_what_was_recognised(store, tmp_path):
    report = run_import(store, write(tmp_path / "Records.json", {"contacts": [], "name": "x"}))
    f = report.files[0]
    assert "'contacts', 'name'" in f.refused and not f.skipped and not report.ok
    assert fixes_of(store) == []


def test_timeline_edits_refused(store, tmp_path):
    report = run_import(store, write(tmp_path / "Timeline Edits.json",
                                     {"timelineEdits": [{"deviceId": "1"}]}))
    assert "Timeline Edits" in report.files[0].refused and not report.ok


def test_whole_takeout_zip(store, tmp_path):
    """A Takeout with localised names, other products' files and nested folders."""
    semantic = {"timelineObjects": [{"activitySegment": {
        "startLocation": {"latitudeE7": 461600000, "longitudeE7": -11500000},
        "endLocation": {"latitudeE7": 461700000, "longitudeE7": -11400000},
        "duration": {"startTimestamp": _iso(T0 + 7200), "endTimestamp": _iso(T0 + 7800)},
        "activityType": "IN_TRAIN"}}]}
    archive = tmp_path / "takeout-20240601T000000Z-001.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Takeout/archive_browser.html", "<!DOCTYPE html><html>index</html>")
        zf.writestr("Takeout/Historique des positions/Records.json", json.dumps(records(30)))
        zf.writestr("Takeout/Historique des positions/Semantic Location History/2024/"
                    "2024_MAI.json", json.dumps(semantic))
        zf.writestr("Takeout/Historique des positions/Timeline Edits.json",
                    json.dumps({"timelineEdits": []}))
        zf.writestr("Takeout/Profil/Profil.json", json.dumps({"displayName": "Alice"}))
        zf.writestr("Takeout/Google Photos/IMG_0001.jpg", b"\xff\xd8\xff\xe0" + bytes(100))
    report = run_import(store, archive)
    kinds = {f.name.rsplit("/", 1)[-1]: f for f in report.files}
    assert kinds["Records.json"].fixes == 30
    assert kinds["2024_MAI.json"].kind == "google-semantic"
    assert kinds["2024_MAI.json"].segments == 1
    skipped = {n for n, f in kinds.items() if f.skipped}
    assert skipped == {"archive_browser.html", "Timeline Edits.json", "Profil.json", "IMG_0001.jpg"}
    assert "'displayName'" in kinds["Profil.json"].refused
    assert report.ok          # skipping other products' files is not a failure
    assert len(fixes_of(store)) == 32


def test_owntracks_recorder_store_keeps_devices(store, tmp_path):
    root = tmp_path / "store"
    line = ('{ts}\t*                 \t{{"_type":"location","tst":{tst},"lat":46.1,"lon":-1.1,'
            '"tid":"ph"}}\n')
    for device, month, tst in (("phone", "2024-05", T0), ("phone", "2024-06", T0 + 40 * 86400),
                               ("tablet", "2024-05", T0)):
        write(root / "rec" / "alice" / device / f"{month}.rec",
              line.format(ts=_iso(tst), tst=tst))
    write(root / "last" / "alice" / "phone" / "alice-phone.json", {"lat": 1})
    write(root / "ghash" / "data.mdb", b"\x00\x01binary lmdb")
    report = run_import(store, root)
    assert sorted(report.devices_created) == ["phone", "tablet"]
    devices = dict(store.conn.execute(
        "SELECT d.name, count(*) FROM fixes f JOIN devices d ON d.id = f.device_id GROUP BY 1"))
    assert devices == {"phone": 2, "tablet": 1}   # the same instant on two phones: both kept


def test_gzip_detected_by_content(store, tmp_path):
    report = run_import(store, write(tmp_path / "export.dat", gz(json.dumps(records(5)).encode())))
    assert report.files[0].kind == "google-records" and report.files[0].fixes == 5


def test_progress_reports_bytes_and_finishes(store, tmp_path):
    path = write(tmp_path / "Records.json", records(300))
    seen = []
    run_import(store, path, progress=seen.append, batch_size=50)
    assert seen and seen[-1].bytes_done == seen[-1].bytes_total == path.stat().st_size
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(seen, seen[1:]))


@pytest.mark.parametrize("broken", [False, True])
def test_batches_skip_the_fsync_but_the_finished_job_is_committed_with_full(store, tmp_path,
                                                                         broken):
    """The import is acknowledged when it ends: its batches are committed with NORMAL,
    the transaction that finishes its job with FULL (whose fsync of the WAL covers every
    batch before it), and the connection is left at FULL for whatever comes next, also
    when the file stops half-way."""
    text = json.dumps(records(120))
    path = write(tmp_path / "Records.json", text[: len(text) // 2] if broken else text)
    statements = []
    store.conn.set_trace_callback(statements.append)
    try:
        report = run_import(store, path, batch_size=25)
    finally:
        store.conn.set_trace_callback(None)
    assert bool(report.files[0].stopped) == broken and report.files[0].fixes >= 25
    sync = [k for k, s in enumerate(statements) if s.startswith("PRAGMA synchronous")]
    assert [statements[k] for k in sync] == ["PRAGMA synchronous = NORMAL",
                                             "PRAGMA synchronous = FULL"]
    inserts = [k for k, s in enumerate(statements) if s.startswith("INSERT OR IGNORE INTO fixes")]
    finish = max(k for k, s in enumerate(statements) if s.startswith("UPDATE import_jobs"))
    assert sync[0] < min(inserts) and max(inserts) < sync[1] < finish
    assert "COMMIT" in statements[finish:]
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2     # FULL


def test_import_job_row_records_the_outcome(store, tmp_path):
    run_import(store, write(tmp_path / "Records.json", records(3)))
    job = store.conn.execute("SELECT * FROM import_jobs").fetchone()
    assert job["status"] == "done" and job["fixes"] == 3
    assert json.loads(job["report"])["files"][0]["fixes_imported"] == 3


def test_the_trip_engine_processes_the_imported_range(store, tmp_path):
    from simulation.household import iter_member_days
    points, truth = next(iter(iter_member_days("alice", 1)))
    path = tmp_path / "day.csv"
    path.write_text("ts,lat,lon,acc\n" + "".join(
        f"{p.ts},{p.lat},{p.lon},{p.acc}\n" for p in points))
    report = run_import(store, path, run_pipeline=True)
    assert "recomputed" in report.pipeline
    trips = store.conn.execute("SELECT start_ts, end_ts FROM trips ORDER BY start_ts").fetchall()
    assert len(trips) == len(truth) >= 2
    assert store.conn.execute("SELECT count(*) FROM legs").fetchone()[0] >= len(truth)
    assert all(t["start_ts"] >= points[0].ts and t["end_ts"] <= points[-1].ts for t in trips)


def test_missing_path_is_an_error(store, tmp_path):
    with pytest.raises(FileNotFoundError):
        run_import(store, tmp_path / "nope.json")
