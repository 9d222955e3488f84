"""The review's hostile uploads, imported by the real importer in a child process: each one
is refused with a specific error, the good records beside it are imported, and the child's
peak resident memory stays under the 150 MB an import may use on a Pi Zero 2 W."""
from __future__ import annotations

import gzip
import json
import struct
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import bombs  # noqa: E402  (bench/bombs.py: shared with bench/import.py)

from portability_helpers import fixes_of, run_import, write  # noqa: E402

PEAK_MB = 150


def child_import(tmp_path, path):
    """Import ``path`` in a child; its single file's report, the totals and the peak."""
    out = bombs.import_in_child(tmp_path / "child.db", path)
    assert out["peak_mb"] < PEAK_MB, f"the import grew to {out['peak_mb']:.0f} MB"
    return out["report"], out["peak_mb"]


def only_file(report):
    assert len(report["files"]) == 1
    return report["files"][0]


@pytest.mark.parametrize("depth", [20_000, 2_000_000])
def test_nesting_bomb_is_refused_as_a_file(tmp_path, depth):
    path = bombs.deep_json(tmp_path / "Records.json.gz", depth)
    assert path.stat().st_size < 5000           # the review's was 105 bytes
    report, _ = child_import(tmp_path, path)
    f = only_file(report)
    assert f["refused"] == ("JSON nested deeper than 10,000 levels before anything could be "
                            "read: not a location history")
    assert report["fixes_imported"] == 0 and not report["ok"]


def test_too_deep_item_is_refused_and_its_neighbours_kept(tmp_path):
    path = bombs.deep_json(tmp_path / "Records.json.gz", 5_000, good=3)
    report, _ = child_import(tmp_path, path)
    f = only_file(report)
    assert f["rejected"] == {"nests deeper than 64 levels": 1}
    assert f["rejected_examples"] == {"nests deeper than 64 levels": ["locations[3]"]}
    assert f["fixes_imported"] == 6 and f["stopped"] is None


def test_nesting_bomb_after_good_records_stops_there(store, tmp_path):
    records = [json.dumps(bombs.record(bombs.T0 + 60 * i)) for i in range(3)]
    body = '{"locations": [' + ", ".join(records) + ", " + "[" * 20_000 + "]" * 20_000 + "]}"
    report = run_import(store, write(tmp_path / "Records.json", body))
    f = report.files[0]
    assert f.fixes == 3
    assert f.stopped.endswith("after 3 records: nesting deeper than 10,000 levels")


def test_item_of_thirty_million_numbers_is_skipped(tmp_path):
    path = bombs.many_numbers(tmp_path / "Records.json.gz")
    assert path.stat().st_size < 100_000        # 57 KiB in the review
    report, _ = child_import(tmp_path, path)
    f = only_file(report)
    assert f["rejected_examples"] == {"holds more than 100,000 values": ["locations[1]"]}
    assert f["fixes_imported"] == 2 and f["stopped"] is None and report["ok"]


def test_gpx_with_a_300_mib_description(tmp_path):
    path = bombs.gpx_desc(tmp_path / "ride.gpx.gz", mib=300)
    assert path.stat().st_size < 10_000_000
    report, _ = child_import(tmp_path, path)
    f = only_file(report)
    # the description is dropped as it streams; all three points are imported
    assert (f["format"], f["fixes_imported"], f["rejected"], f["stopped"]) == ("gpx", 3, {}, None)


def test_rec_with_a_300_mib_line(tmp_path):
    path = bombs.rec_line(tmp_path / "2024-05.rec.gz", mib=300)
    report, _ = child_import(tmp_path, path)
    f = only_file(report)
    assert f["rejected_examples"] == {"line longer than 8,192 bytes": ["line 2"]}
    assert f["fixes_imported"] == 2 and f["stopped"] is None


def test_takeout_of_4000_files_is_read_through_one_open_zip(tmp_path):
    path = bombs.many_members(tmp_path / "takeout.zip", 4000, location_every=400)
    report, peak = child_import(tmp_path, path)
    assert len(report["files"]) == 4000
    assert report["fixes_imported"] == 20 and report["labelled_segments"] == 10
    assert report["ok"]


def test_zip_directory_is_read_a_fixed_number_of_times(store, tmp_path, monkeypatch):
    """Reading a zip's directory per member made 4,000 members take a minute."""
    reads = []
    real = zipfile.ZipFile._RealGetContents
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents",
                        lambda self: reads.append(1) or real(self))
    report = run_import(store, bombs.many_members(tmp_path / "t.zip", 300, location_every=3))
    assert report.totals()["labelled_segments"] == 100
    assert len(reads) == 2          # once to see whether it is our archive, once to read it


def test_zip_claiming_a_million_files_is_refused_before_reading_them(store, tmp_path):
    path = write(tmp_path / "takeout.zip", b"")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Takeout/Records.json", json.dumps({"locations": [bombs.record(bombs.T0)]}))
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, at + 8, 0xFFFF - 1, 0xFFFF - 1)   # 65,534 entries
    path.write_bytes(bytes(data))
    report = run_import(store, path)
    f = report.files[0]
    assert f.refused == ("cannot be opened: takeout.zip holds 65,534 files, more than the "
                         "10,000 read from one zip: export only Location History (Timeline) "
                         "from Takeout, or unzip it and import the folder")
    assert not report.ok


def test_zip_bomb_member_is_refused_and_the_records_beside_it_imported(tmp_path):
    path = bombs.zip_bomb(tmp_path / "takeout.zip", mib=256)
    report, _ = child_import(tmp_path, path)
    files = {f["file"].rsplit(":", 1)[1]: f for f in report["files"]}
    assert files["Takeout/Records.json"]["fixes_imported"] == 1
    assert files["Takeout/bomb.json"]["refused"].startswith(
        "cannot be opened: Takeout/bomb.json declares 268 MB from ")
    assert "more than 100 times: a zip bomb, not read" in files["Takeout/bomb.json"]["refused"]


def test_gzip_bomb_stops_at_the_expansion_budget(tmp_path):
    path = bombs.gzip_bomb(tmp_path / "Records.json.gz", mib=1024)
    report, _ = child_import(tmp_path, path)
    f = only_file(report)
    assert f["fixes_imported"] == 2
    assert f["stopped"].endswith("Records.json.gz expands past 108 MB (more than 100 times "
                                 "its 1.1 MB): a compression bomb, reading stopped")


def test_gzip_inside_a_zip_is_still_read(store, tmp_path):
    data = gzip.compress(json.dumps({"locations": [bombs.record(bombs.T0 + 60 * i)
                                                   for i in range(50)]}).encode())
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Takeout/Records.json.gz", data)
    report = run_import(store, path)
    assert report.files[0].kind == "google-records" and report.files[0].fixes == 50


@pytest.mark.parametrize("external", [False, True], ids=["billion-laughs", "xxe"])
def test_entity_attacks_are_refused(store, tmp_path, external):
    report = run_import(store, bombs.entity_gpx(tmp_path / "ride.gpx", external=external))
    f = report.files[0]
    name = "xxe" if external else "lol0"
    assert f.refused == (f"XML refused: the file declares the entity '{name}' at line 1: entity "
                         "declarations are refused (GPX and KML never need them; they carry "
                         "entity-expansion and external-entity attacks)")
    assert fixes_of(store) == []
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_suspicious_item_inside_a_zip_member_is_refused_in_place(store, tmp_path):
    """The fast path reads the member again from the start on the bounded one: through the
    zip member's stream, every good record is imported exactly once."""
    records = [json.dumps(bombs.record(bombs.T0 + 60 * i)) for i in range(2000)]
    body = ('{"locations": [' + ", ".join(records[:1000]) + ", " + "[" * 3000 + "]" * 3000
            + ", " + ", ".join(records[1000:]) + "]}")
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Takeout/Records.json", body)
    report = run_import(store, path)
    f = report.files[0]
    assert (f.fixes, f.duplicates) == (2000, 0)
    assert f.examples == {"nests deeper than 64 levels": ["locations[1000]"]}
