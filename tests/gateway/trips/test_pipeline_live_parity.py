"""The gateway's live path, fed a sparse phone's fixes as they come, stores every leg's mode
and confidence as a rebuild does (bench/live_parity.py is the engine's sweep)."""
from __future__ import annotations

import os
import sys

from gateway.trips import pipeline

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))
import live_parity  # noqa: E402


def _legs(box, member):
    return box.store.conn.execute(
        "SELECT l.start_ts, l.end_ts, l.mode, round(l.confidence, 3) FROM legs l JOIN trips t "
        "ON t.id = l.trip_id WHERE t.member_id = ? ORDER BY l.start_ts",
        (box.ids[member],)).fetchall()


def test_a_ride_out_of_the_resume_stay_is_stored_as_the_rebuild_decides_it(box):
    # the first trip after the resume point starts with that stay's own first fixes: it left
    # the stay before, where the bike was (pipeline._stay_before), as in the rebuild
    fixes = live_parity.history("plane", "sparse", 0, 3)
    alice = box.ids["alice"]
    for k in range(0, len(fixes), 5):
        box.add("alice", fixes[k:k + 5])
        pipeline.process_new(box.store, alice)
    live = [tuple(r) for r in _legs(box, "alice")]
    assert len(live) > 5
    pipeline.rebuild_member(box.store, alice)
    assert live == [tuple(r) for r in _legs(box, "alice")]


def test_the_walk_home_a_distance_filter_reported_stays_stored_after_a_junk_fix(box):
    # OwnTracks' significant changes: home, a report 520 m out, silence at the shop, a
    # report back home (the walk home, read from how the shop was reached), then a fix the
    # cleaning drops (5 km accuracy). The run after it restarts from the stored resume
    # point: before, that was the shop, whose window lacks the fix before it, and the walk
    # home was deleted (one trip stored, the rebuild two).
    from carbon.fix import Fix
    t0 = 1_772_000_000
    home = Fix(t0, 46.16, -1.15, 10.0)
    out = Fix(t0 + 2200, home.lat + 520 / 111_000, home.lon, 20.0)
    back = Fix(out.ts + 2800, home.lat, home.lon, 20.0)
    alice = box.ids["alice"]
    box.add("alice", [home, out, back])
    pipeline.process_new(box.store, alice)
    assert len(box.trips("alice")) == 2
    box.add("alice", [Fix(back.ts + 300, home.lat, home.lon, 5000.0)])
    pipeline.process_new(box.store, alice)
    live = box.trips("alice")
    pipeline.rebuild_member(box.store, alice)
    assert live == box.trips("alice")
    assert len(live) == 2


def test_a_late_window_starting_at_the_arrival_airport_stores_the_taxi_as_the_rebuild(monkeypatch):
    # the terminal's second stop and the taxi's start uploaded hours late: the window then
    # starts at the first arrival stop, and the gateway must read "still at the airport"
    # from the stored flight before it (pipeline._landed_at), or the taxi is joined as a
    # connection and stored as a bus (round 12, landed-mend)
    import random
    from carbon.timeline import build_timeline
    fixes = live_parity.history("plane", "sparse", 0, 3)
    tl = build_timeline(fixes)
    flight = next(t for t in tl.trips if any(g.mode == "plane" for g in t.legs))
    second = [s for s in tl.stays if s.start_ts >= flight.end_ts - 600][1]
    lo, hi = second.end_ts + 120, second.end_ts + 1500
    held = [f for f in fixes if lo <= f.ts < hi]
    rest = [f for f in fixes if not lo <= f.ts < hi]
    cut = next(k for k, f in enumerate(rest) if f.ts >= hi + 6 * 3600)
    order = [rest[k:k + 50] for k in range(0, cut, 50)] + [held] + \
        [rest[k:k + 50] for k in range(cut, len(rest), 50)]
    monkeypatch.setattr(live_parity, "late_order", lambda fx, rng, held=2: order)
    assert live_parity.gateway_late(fixes, random.Random(0)) == []


def test_a_late_window_after_a_change_of_buses_stores_the_second_bus_as_the_rebuild():
    # the fixes after the change stop's next stay uploaded hours late: the window must not
    # start at the change stop (two buses kept as two trips, decided as one journey), or the
    # second bus is stored as a car (before: car 0.49, rebuild bus 0.60; round 13,
    # long-restart: carbon.timeline.restart_stay cuts only at stays longer than LONG_STAY_S)
    from carbon.timeline import build_timeline
    fixes = live_parity.history("bus-change", "dense", 1, 2)
    full = build_timeline(fixes)
    stops = live_parity.short_stops(full)
    assert stops
    for k in stops:
        assert live_parity.gateway_late(fixes, None, live_parity.stop_order(fixes, full, k)) == []
