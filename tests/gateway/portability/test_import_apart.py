"""A large file parsed in a process of its own (gateway/portability/parsing.py): the same
rows, the same report, the same errors as parsed in the storing process; the decompression
budget of a zip shared across that process; and an import killed or interrupted part-way
leaves no reading process behind and completes when run again, nothing twice."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from gateway import accounts
from gateway.portability.importing import Importer
from gateway.store import Store

from portability_helpers import write

REPO = Path(__file__).resolve().parents[3]
T0 = 1_600_000_000
HERE = 1 << 62         # apart_bytes no file reaches: parsed in the storing process
COLUMNS = ("device_id, member_id, ts, lat, lon, acc, alt, vel, cog, batt, activity, source, "
           "raw, loc, ghash")


def record(i: int) -> dict:
    rec = {"latitudeE7": 461_600_000 + 37 * i, "longitudeE7": -11_500_000 - 53 * i,
           "accuracy": 5 + i % 40}
    if i % 4:
        rec["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + 30 * i)) + (
            ".250Z" if i % 2 else "Z")
    else:
        rec["timestampMs"] = str((T0 + 30 * i) * 1000)
    if i % 3 == 0:
        rec.update(velocity=i % 30, heading=i % 360, altitude=12.5)
    if i % 5 == 0:
        rec["activity"] = [{"activity": [{"type": "ON_BICYCLE", "confidence": 70},
                                         {"type": "STILL", "confidence": 30}]}]
    return rec


def history(n: int) -> list:
    """``n`` good records and, among them, the bad ones a real export has."""
    items = [record(i) for i in range(n)]
    items[10] = {"latitudeE7": 461_600_000, "timestamp": "2020-09-13T12:26:40Z"}
    items[20] = {"latitudeE7": 1_900_000_000 - (1 << 32) - 10, "longitudeE7": 2_000_000_000,
                 "timestamp": "2020-09-13T12:26:40Z"}
    items[30] = dict(record(30), timestamp="yesterday")
    items[40] = "not a record"
    items.append(record(n - 1))                # the same fix twice: one row
    return items


def fresh_store(path: Path) -> Store:
    store = Store(path).open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    return store


def imported(tmp_path: Path, name: str, files, apart_bytes: int, batch_size: int = 7):
    store = fresh_store(tmp_path / f"{name}.db")
    importer = Importer(store, "alice", run_pipeline=False, batch_size=batch_size,
                        apart_bytes=apart_bytes)
    report = importer.run([str(f) for f in files]).as_dict()
    rows = store.conn.execute(f"SELECT {COLUMNS} FROM fixes ORDER BY ts").fetchall()
    store.close()
    report.pop("elapsed_s", None)
    return importer, report, [tuple(r) for r in rows]


def test_a_file_parsed_apart_stores_the_same_rows_and_says_the_same(tmp_path):
    path = write(tmp_path / "Records.json", {"locations": history(3000)})
    here, report_here, rows_here = imported(tmp_path, "here", [path], HERE)
    apart, report_apart, rows_apart = imported(tmp_path, "apart", [path], 0)
    assert (here.files_apart, apart.files_apart) == (0, 1)
    assert apart.apart_cpu > 0
    assert rows_apart == rows_here
    assert len(rows_apart) == 2996                  # 3,001 records, 4 bad, 1 twice
    assert report_apart == report_here
    f = report_apart["files"][0]
    assert (f["fixes_imported"], f["duplicates_skipped"]) == (2996, 1)
    assert f["rejected"] == {"no coordinates": 1, "coordinates out of range": 1,
                             "unreadable time 'yesterday'": 1, "malformed record": 1}
    assert f["rejected_examples"]["malformed record"] == ["locations[40]"]
    # Batches of 7 rows were made from messages of 1,000: the imported span is whole.
    assert (report_apart["first_ts"], report_apart["last_ts"]) == (T0, T0 + 30 * 2999)


def test_a_truncated_file_stops_at_the_same_place_and_keeps_what_came_before(tmp_path):
    text = json.dumps({"locations": history(2000)}, indent=2)
    path = write(tmp_path / "Records.json", text[:len(text) * 2 // 3])
    _, report_here, rows_here = imported(tmp_path, "here", [path], HERE)
    apart, report_apart, rows_apart = imported(tmp_path, "apart", [path], 0)
    assert apart.files_apart == 1
    assert rows_apart == rows_here and len(rows_apart) > 1000
    stopped = report_apart["files"][0]["stopped"]
    assert stopped == report_here["files"][0]["stopped"]
    assert stopped.startswith("stopped near byte ")


def test_zip_members_are_read_in_process_within_one_decompression_budget(tmp_path):
    # Two members of 40 MiB (mostly blanks): each alone is within the 64 MiB a small zip
    # may expand to, both together are not, so the second stops. They are read in the
    # storing process whatever their size: a forked reader would move the archive's file
    # offset behind its buffered reader's back.
    blanks = b" " * (40 << 20)
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, name in enumerate(("a/Records.json", "b/Records.json")):
            head = json.dumps({"locations": [record(k)]}).encode()[:-1]
            zf.writestr(name, head + blanks + b"}")
    _, report_here, rows_here = imported(tmp_path, "here", [path], HERE, batch_size=5000)
    apart, report_apart, rows_apart = imported(tmp_path, "apart", [path], 0, batch_size=5000)
    assert apart.files_apart == 0
    assert report_apart == report_here and rows_apart == rows_here
    first, second = report_apart["files"]
    assert first["fixes_imported"] == 1 and first["stopped"] is None
    assert "takeout.zip expands past 67 MB" in second["stopped"]
    assert second["stopped"].endswith("a compression bomb, reading stopped")


_IMPORT = """
import signal, sys
# Ctrl-C at a terminal: a shell starts a background job with SIGINT ignored, which Python
# then keeps (no KeyboardInterrupt); a terminal's foreground command has it.
signal.signal(signal.SIGINT, signal.default_int_handler)
from gateway.portability.importing import Importer
from gateway.store import Store
Importer(Store(sys.argv[1]).open(), "alice", run_pipeline=False).run([sys.argv[2]])
"""


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def committed(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM fixes").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("how", ["SIGKILL to the importing process", "Ctrl-C (SIGINT to all)"])
def test_an_import_stopped_part_way_leaves_no_reader_and_completes_when_run_again(tmp_path,
                                                                                   how):
    n = 150_000
    path = write(tmp_path / "Records.json", {"locations": [record(i) for i in range(n)]})
    db = tmp_path / "box.db"
    fresh_store(db).close()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", _IMPORT, str(db), str(path)], env=env,
                            start_new_session=True, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while committed(db) < 5000 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        # Held still at once, so that a busy machine cannot let it finish while this test
        # looks for its reader (the reader then waits on the full pipe).
        os.kill(proc.pid, signal.SIGSTOP)
        readers = children(proc.pid)
        assert proc.poll() is None and len(readers) == 1, "the import ended before its test"
        assert committed(db) < n, "the import ended before its test"
        if how.startswith("SIGKILL"):
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGINT)      # pending until it runs again
            os.kill(proc.pid, signal.SIGCONT)
        proc.wait(30)
        # The reading process does not outlive the import (its death signal, or reaped).
        deadline = time.monotonic() + 10
        while alive(readers[0]) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(readers[0])
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
    kept = committed(db)
    assert 0 < kept < n
    store = Store(db).open()
    report = Importer(store, "alice", run_pipeline=False).run([str(path)]).as_dict()
    assert report["files"][0]["fixes_imported"] == n - kept
    assert report["files"][0]["duplicates_skipped"] == kept
    assert committed(db) == n
    store.close()


class _Count:
    count = 0


def test_a_reader_out_of_memory_is_this_process_out_of_memory(tmp_path):
    # What an upload's child turns into its "needed more memory" stop (child.py).
    from gateway.portability.parsing import Apart

    def items():
        yield "one item"
        yield bytearray(1 << 46)             # 64 TiB: no machine allocates it
    apart = Apart(items, lambda item: None, (OSError,), _Count())
    with pytest.raises(MemoryError):
        list(apart)
    assert apart.cpu > 0                     # the reader was reaped: no process left


_CPU_BOUND = """
import resource, sys
from gateway.portability.parsing import Apart
class Count:
    count = 0
def items():
    yield "started"
    while True:
        pass
resource.setrlimit(resource.RLIMIT_CPU, (2, 30))
for part in Apart(items, lambda item: None, (OSError,), Count()):
    print(part, flush=True)
print("not reached", flush=True)
"""


def test_a_reader_stopped_by_the_processor_limit_stops_this_process_the_same_way(tmp_path):
    # The kernel's SIGXCPU for the reader: the import process ends by it too, which is
    # what an upload's runner reads as the processor limit.
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", _CPU_BOUND], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == -signal.SIGXCPU, done.stderr
    assert "not reached" not in done.stdout


_UNDER_LIMITS = """
import json, resource, sys
from gateway import accounts
from gateway.portability.importing import Importer
from gateway.store import Store
store = Store(sys.argv[1]).open()
with store.transaction() as conn:
    accounts.add_member(conn, "alice", None)
resource.setrlimit(resource.RLIMIT_CPU, (600, 605))     # as an upload's child does
importer = Importer(store, "alice", run_pipeline=False, apart_bytes=0)
report = importer.run([sys.argv[2]])
print(json.dumps([importer.files_apart, report.totals()["fixes_imported"]]))
"""


def test_under_an_uploads_limits_no_reader_is_forked(tmp_path):
    # Linux counts processor time and address space per process, and a forked reader
    # starts its processor time from zero: under an upload's limits a reader would let
    # the upload take twice what it may. The same file is imported, in process.
    path = write(tmp_path / "Records.json", {"locations": [record(i) for i in range(3000)]})
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", _UNDER_LIMITS, str(tmp_path / "u.db"),
                           str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0, 3000]
    _, _, rows_apart = imported(tmp_path, "apart", [path], 0)
    assert len(rows_apart) == 3000 == committed(tmp_path / "u.db")


_NO_FORK = """
import json, sys
from gateway import accounts
from gateway.portability.importing import Importer
from gateway.store import Store
store = Store(sys.argv[1]).open()
with store.transaction() as conn:
    accounts.add_member(conn, "alice", None)
sys.stdin.readline()          # moved into the cgroup that allows no second process
importer = Importer(store, "alice", run_pipeline=False, apart_bytes=0)
report = importer.run([sys.argv[2]])
print(json.dumps([importer.files_apart, report.totals()["fixes_imported"]]))
"""


def _pids_cgroup(tmp_path: Path) -> Path | None:
    """A cgroup (v1 ``pids`` controller) of this test's own, if this machine lets us make one."""
    root = Path("/sys/fs/cgroup/pids")
    if not (root / "cgroup.procs").exists() or not os.access(root, os.W_OK):
        return None
    group = root / f"selfdata-test-{os.getpid()}-{tmp_path.name}"[:200]
    try:
        group.mkdir()
    except OSError:
        return None
    return group


def test_a_reader_that_cannot_be_forked_leaves_the_file_read_here(tmp_path):
    # A full process table (the kernel's, or a cgroup's pids.max on a box that runs the
    # gateway in one) makes fork() fail: the file is read in process, to the same rows.
    group = _pids_cgroup(tmp_path)
    if group is None:
        pytest.skip("no pids cgroup can be made here")
    path = write(tmp_path / "Records.json", {"locations": history(3000)})
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", _NO_FORK, str(tmp_path / "n.db"), str(path)],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        (group / "pids.max").write_text("1")
        (group / "cgroup.procs").write_text(str(proc.pid))
        out, err = proc.communicate("go\n", timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        group.rmdir()
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == [0, 2996]
    assert "no process to read the file" in err and "reading it in this process" in err
    _, _, rows_here = imported(tmp_path, "here", [path], HERE)
    conn = sqlite3.connect(tmp_path / "n.db")
    rows = [tuple(r) for r in conn.execute(f"SELECT {COLUMNS} FROM fixes ORDER BY ts")]
    conn.close()
    assert rows == rows_here


def test_records_at_the_edges_of_the_globe_are_read_alike_apart_and_here(tmp_path):
    """A Records.json read apart goes straight from each record to its fields
    (``google_records.to_fields``), E7 integers on the globe divided in place: the poles
    and the antimeridian are kept, a step past them, null island, booleans and floats are
    what they were, whichever way the file is read."""
    stamp = lambda i: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 60 * i))  # noqa: E731
    edges = [(900_000_000, 1_800_000_000), (-900_000_000, -1_800_000_000),
             (900_000_001, 0), (0, -1_800_000_001), (0, 0), (True, 5), (4.5e8, 1.5e8),
             (1, (1 << 32) - 1_000), ("450000000", 60_000_000)]
    items = [record(i) for i in range(2000)] + [
        {"latitudeE7": lat, "longitudeE7": lon, "timestamp": stamp(3000 + k)}
        for k, (lat, lon) in enumerate(edges)]
    path = write(tmp_path / "Records.json", {"locations": items})
    _, report_here, rows_here = imported(tmp_path, "here", [path], HERE)
    _, report_apart, rows_apart = imported(tmp_path, "apart", [path], 0)
    assert rows_apart == rows_here and report_apart == report_here
    kept = {(r[3], r[4]) for r in rows_apart if r[2] >= T0 + 60 * 3000}
    assert kept == {(90.0, 180.0), (-90.0, -180.0), (1e-7, 5e-7), (45.0, 15.0),
                    (1e-07, -0.0001), (45.0, 6.0)}
    assert report_apart["files"][0]["rejected"] == {"coordinates out of range": 2,
                                                    "null island (0, 0)": 1}


def test_the_reader_runs_at_a_lower_priority_than_the_import_it_feeds():
    """Where cores are short (two, for the reader, the storing and the trip process of a
    first import), the trip process, the import's longest chain of work, gets one of its
    own: the reader is niced, and only waits when the others have work."""
    from gateway.portability import parsing

    class Counter:
        count = 0

    apart = parsing.Apart(lambda: iter([os.getpriority(os.PRIO_PROCESS, 0)]),
                          lambda nice: (nice,), (ValueError,), Counter())
    seen = [row for part in apart for row in part]
    here = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == [(min(19, here + parsing.READER_NICE),)]
    assert parsing.READER_NICE > 0
    assert os.getpriority(os.PRIO_PROCESS, 0) == here      # this process keeps its own
