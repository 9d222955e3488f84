"""`selfdata import|export|delete|retention` end to end on a temporary data directory."""
from __future__ import annotations

import json
import zipfile

import pytest

from gateway import accounts
from gateway.cli import main
from gateway.store import Store
from portability_helpers import write

T0 = 1714636800


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    s = Store(d / "selfdata.db").open()
    with s.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    s.close()
    return d


def cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def records(n):
    return {"locations": [{"latitudeE7": 461600000 + i, "longitudeE7": -11500000,
                           "timestampMs": str((T0 + 60 * i) * 1000)} for i in range(n)]}


def test_import_json_report_and_rerun(capsys, tmp_path, data_dir):
    path = write(tmp_path / "Zeitachse.json", records(12))
    code, out, _ = cli(capsys, "import", str(path), "--member", "alice", "--data-dir",
                       str(data_dir), "--json")
    report = json.loads(out)
    assert code == 0 and report["fixes_imported"] == 12
    assert report["devices_created"] == ["import"]
    assert report["files"][0]["format"] == "google-records"
    code, out, _ = cli(capsys, "import", str(path), "--member", "alice", "--data-dir",
                       str(data_dir), "--json")
    assert json.loads(out)["duplicates_skipped"] == 12 and json.loads(out)["fixes_imported"] == 0


def test_import_plain_summary_and_refusal_exit_code(capsys, tmp_path, data_dir):
    good = write(tmp_path / "a.csv", "ts,lat,lon\n1714636800,46.1,-1.1\nnope,1,1\n")
    bad = write(tmp_path / "b.json", {"timelineEdits": []})
    code, out, _ = cli(capsys, "import", str(good), str(bad), "--member", "alice",
                       "--data-dir", str(data_dir))
    assert code == 1
    assert "1 fixes imported" in out and "1 rejected: unreadable time 'nope' (e.g. line 3)" in out
    assert "REFUSED" in out and "Timeline Edits" in out


def test_unknown_member_is_a_user_error(capsys, tmp_path, data_dir):
    path = write(tmp_path / "a.json", records(1))
    code, _, err = cli(capsys, "import", str(path), "--member", "zoe", "--data-dir", str(data_dir))
    assert code == 1 and "no member named 'zoe'" in err


def test_export_delete_and_archive_restore(capsys, tmp_path, data_dir):
    cli(capsys, "import", str(write(tmp_path / "r.json", records(5))), "--member", "alice",
        "--data-dir", str(data_dir))
    code, out, _ = cli(capsys, "export", "--member", "alice", "--format", "csv",
                       "--data-dir", str(data_dir))
    assert code == 0 and len(out.splitlines()) == 6
    archive = tmp_path / "alice.zip"
    code, _, _ = cli(capsys, "export", "--member", "alice", "--format", "archive", "--out",
                     str(archive), "--data-dir", str(data_dir))
    assert code == 0 and "manifest.json" in zipfile.ZipFile(archive).namelist()

    code, _, err = cli(capsys, "delete", "--member", "alice", "--day", "2024-05-02",
                       "--data-dir", str(data_dir))
    assert code == 1 and "--yes" in err                 # never without confirmation
    code, out, _ = cli(capsys, "delete", "--member", "alice", "--day", "2024-05-02", "--yes",
                       "--json", "--data-dir", str(data_dir))
    assert code == 0 and json.loads(out)["fixes"] == 5

    empty = tmp_path / "empty"
    code, out, _ = cli(capsys, "import", str(archive), "--member", "alice", "--data-dir",
                       str(empty), "--json")
    report = json.loads(out)
    assert code == 0 and report["member_created"] and report["restored"]["fixes"] == 5


def test_retention_command(capsys, data_dir):
    code, out, _ = cli(capsys, "retention", "--member", "alice", "--months", "6", "--json",
                       "--data-dir", str(data_dir))
    assert code == 0 and json.loads(out)["months"] == 6
    code, out, _ = cli(capsys, "retention", "--member", "alice", "--off", "--data-dir",
                       str(data_dir))
    assert "kept forever" in out
