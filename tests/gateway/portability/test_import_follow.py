"""`selfdata import` with its trip phase in a second process beside the storing
(gateway/trips/follow.py): the same stays, trips, legs, places and pipeline state, row for
row and id for id, as the phase run after storing; the cases it cannot follow fall back to
that phase; an import stopped part-way leaves no state, and the next run rebuilds."""
from __future__ import annotations

import functools
import json

import pytest

from gateway import accounts
from gateway.store import Store
from gateway.trips import follow, pipeline
from portability_helpers import run_import

DAYS = 45          # two months of the pipeline's grid (31 days each)
BATCH = 400        # many commits: the trip process reads months while the import goes on
DERIVED = ("stays", "trips", "legs", "places")


@functools.lru_cache(maxsize=1)
def _points() -> tuple:
    from simulation.household import iter_member_days
    return tuple(p for day, _truth in iter_member_days("alice", DAYS) for p in day)


def _csv(path, points) -> str:
    path.write_text("ts,lat,lon,acc\n" + "".join(f"{p.ts},{p.lat},{p.lon},{p.acc}\n"
                                                 for p in points))
    return path


def _fresh(tmp_path, name: str) -> Store:
    store = Store(tmp_path / name / "selfdata.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    return store


def derived(store) -> dict:
    """Every derived row with its id, and the member's pipeline state."""
    conn = store.conn
    out = {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY id")] for t in DERIVED}
    out["state"] = [tuple(r) for r in conn.execute(
        "SELECT member_id, resume_ts, last_fix_id, places_digest FROM pipeline_state")]
    return out


def without_ids(rows: dict) -> dict:
    """The derived rows without their ids, each leg naming its trip by the trip's start."""
    trip_start = {r[0]: r[2] for r in rows["trips"]}   # trips: id, member_id, start_ts, ...
    out = {t: sorted(r[1:] for r in rows[t]) for t in DERIVED if t != "legs"}
    out["legs"] = sorted((trip_start[r[1]],) + r[2:] for r in rows["legs"])
    return out


class Watch:
    """Records each Follower the importer makes, to see how it ended."""

    def __init__(self, monkeypatch):
        self.made = []
        real = follow.Follower
        watch = self

        class Recorded(real):
            def __init__(self, *a, **kw):
                super().__init__(*a, **kw)
                watch.made.append(self)
        monkeypatch.setattr(follow, "Follower", Recorded)


@pytest.fixture
def sequential(tmp_path):
    """The rows the phase after storing gives for the whole history."""
    store = _fresh(tmp_path, "sequential")
    report = run_import(store, _csv(tmp_path / "all.csv", _points()), run_pipeline=True,
                        follow=False, batch_size=BATCH)
    assert "recomputed" in report.pipeline
    rows = derived(store)
    store.close()
    assert len(rows["trips"]) > 40 and rows["state"][0][2] > 0
    return rows


def test_trip_process_gives_the_rows_of_the_phase_after_storing(tmp_path, monkeypatch,
                                                                  sequential):
    watch = Watch(monkeypatch)
    store = _fresh(tmp_path, "followed")
    busy = store.conn.execute("PRAGMA busy_timeout").fetchone()[0]
    report = run_import(store, _csv(tmp_path / "all.csv", _points()), run_pipeline=True,
                        batch_size=BATCH)
    (follower,) = watch.made
    assert follower.proc is not None and follower.proc.returncode == 0 and not follower.failed
    assert "recomputed" in report.pipeline
    assert derived(store) == sequential
    # the longer wait for the trip process's transactions ends with the import
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == busy
    store.close()


def test_small_steps_back_in_time_are_still_followed(tmp_path, monkeypatch, sequential):
    """Records out of order by up to six hours (within follow.SLACK_S), across batches."""
    points = sorted(_points(), key=lambda p: (p.ts // 21600, -p.ts))
    assert any(b.ts < a.ts - 3600 for a, b in zip(points, points[BATCH:]))
    watch = Watch(monkeypatch)
    store = _fresh(tmp_path, "steps-back")
    run_import(store, _csv(tmp_path / "shuffled.csv", points), run_pipeline=True,
               batch_size=BATCH)
    (follower,) = watch.made
    assert not follower.failed and follower.proc.returncode == 0
    assert derived(store) == sequential
    store.close()


def test_files_out_of_time_order_fall_back_to_the_phase_after_storing(tmp_path, monkeypatch,
                                                                       sequential):
    points = _points()
    half = len(points) // 2
    later, earlier = _csv(tmp_path / "later.csv", points[half:]), _csv(tmp_path / "earlier.csv",
                                                                       points[:half])
    watch = Watch(monkeypatch)
    store = _fresh(tmp_path, "disorder")
    report = run_import(store, later, earlier, run_pipeline=True, batch_size=BATCH)
    (follower,) = watch.made
    assert follower.failed and follower.proc.returncode is not None
    assert "recomputed" in report.pipeline
    got = derived(store)
    # The same rows; their ids may differ where the trip process had written before it
    # was stopped (the phase after storing rewrites by difference), and so may the trip
    # a leg names: each leg is compared by its trip's start instead.
    assert without_ids(got) == without_ids(sequential)
    assert got["state"] == sequential["state"]
    store.close()


def test_a_member_with_trips_already_is_not_followed(tmp_path, monkeypatch):
    points = _points()
    store = _fresh(tmp_path, "existing")
    run_import(store, _csv(tmp_path / "first.csv", points[:len(points) // 3]),
               run_pipeline=True, batch_size=BATCH)
    member = accounts.get_member(store.conn, "alice").id
    assert not pipeline.can_follow(store.conn, member)
    watch = Watch(monkeypatch)
    report = run_import(store, _csv(tmp_path / "rest.csv", points[len(points) // 3:]),
                        run_pipeline=True, batch_size=BATCH)
    assert watch.made == [] and "recomputed" in report.pipeline
    assert store.conn.execute("SELECT count(*) FROM trips").fetchone()[0] > 40
    store.close()


def test_an_import_stopped_part_way_leaves_no_state_and_the_next_run_rebuilds(tmp_path,
                                                                             sequential):
    """The trip process told that a month and more is committed, then its stdin closed
    without `end` (the importer died, or gave up): it stops between months, having written
    whole months at most, and saves no pipeline state; the live path then rebuilds the
    member from the fixes, to the rows a full import gives."""
    store = _fresh(tmp_path, "stopped")
    run_import(store, _csv(tmp_path / "all.csv", _points()), run_pipeline=False)
    member = accounts.get_member(store.conn, "alice").id
    conn = store.conn
    first, last = conn.execute("SELECT min(ts), max(ts) FROM fixes").fetchone()
    watcher = follow.Follower(store.path, member)
    watcher.committed(first, first + pipeline.MONTH_S + follow.SLACK_S + 86400)
    proc = watcher.proc
    watcher.stop()
    assert proc.returncode == follow.STOPPED_EXIT
    assert conn.execute("SELECT count(*) FROM pipeline_state").fetchone()[0] == 0
    written = conn.execute("SELECT max(start_ts) FROM trips").fetchone()[0]
    assert written is None or written < first + pipeline.MONTH_S + 86400
    assert pipeline.process_new(store, member) > 0
    assert without_ids(derived(store)) == without_ids(sequential)
    store.close()


def test_a_trip_process_that_dies_falls_back_to_the_phase_after_storing(tmp_path, monkeypatch,
                                                                          sequential):
    real_committed = follow.Follower.committed

    def killed_after_first(self, lo, hi):
        real_committed(self, lo, hi)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
    monkeypatch.setattr(follow.Follower, "committed", killed_after_first)
    watch = Watch(monkeypatch)
    store = _fresh(tmp_path, "killed")
    report = run_import(store, _csv(tmp_path / "all.csv", _points()), run_pipeline=True,
                        batch_size=BATCH)
    (follower,) = watch.made
    assert follower.failed and "recomputed" in report.pipeline
    got = derived(store)
    assert [len(got[t]) for t in DERIVED] == [len(sequential[t]) for t in DERIVED]
    assert got["state"] == sequential["state"]
    store.close()


def test_the_trip_process_says_what_it_computed(tmp_path):
    """Run on its own over a stored history: the counts of what it wrote, as JSON."""
    store = _fresh(tmp_path, "alone")
    run_import(store, _csv(tmp_path / "all.csv", _points()), run_pipeline=False)
    member = accounts.get_member(store.conn, "alice").id
    proc = follow._start(str(store.path), member)
    out, _ = proc.communicate("hw 0\nend\n", timeout=300)
    assert proc.returncode == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert result["trips"] == store.conn.execute("SELECT count(*) FROM trips").fetchone()[0] > 40
    store.close()


def test_the_trip_process_dies_with_the_import(tmp_path):
    """SIGKILL of the importing process takes its trip process with it (a month's open
    transaction rolled back), leaving no pipeline state."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path
    store = _fresh(tmp_path, "killed-parent")
    run_import(store, _csv(tmp_path / "all.csv", _points()), run_pipeline=False)
    member = accounts.get_member(store.conn, "alice").id
    first = store.conn.execute("SELECT min(ts) FROM fixes").fetchone()[0]
    script = (
        "import sys, time\n"
        "from gateway.trips import follow\n"
        f"f = follow.Follower({str(store.path)!r}, {member})\n"
        f"f.committed({first}, {first + follow.SLACK_S + 86400})\n"
        "print(f.proc.pid, flush=True)\n"
        "time.sleep(600)\n")
    root = str(Path(follow.__file__).resolve().parents[2])
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=root))
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/status") as f:
                gone = "State:\tZ" in f.read()
        except FileNotFoundError:
            gone = True
        if gone:
            break
        time.sleep(0.05)
    assert gone, "the trip process outlived the import"
    assert store.conn.execute("SELECT count(*) FROM pipeline_state").fetchone()[0] == 0
    store.close()
