"""Where the member's car and bike are (carbon.vehicles) reads the same from the stored trips
as the engine knows it from the fixes, and a leg the member corrected is certain there."""
from __future__ import annotations

from dataclasses import replace

from carbon import vehicles
from carbon.timeline import build_timeline
from gateway.trips import context as member_context, decisions, pipeline, rows

from pipeline_helpers import points, to_fix

DAYS_S = 2 * 86400


def _rounded(parked) -> tuple:
    return tuple(tuple((round(a, 5), round(b, 5), t, round(p, 4)) for a, b, t, p in spots)
                 for spots in (parked.car, parked.bike))


def test_stored_trips_say_where_the_vehicles_are_as_the_engine_does(box):
    alice = box.ids["alice"]
    pts = [p for p in points("alice") if p.ts < points("alice")[0].ts + DAYS_S]
    box.add("alice", pts)
    pipeline.rebuild_member(box.store, alice)
    conn = box.store.conn
    ride = conn.execute(
        "SELECT l.start_ts, t.end_ts FROM legs l JOIN trips t ON t.id = l.trip_id "
        "WHERE t.member_id = ? AND l.detected_mode IN ('bike', 'e-bike') "
        "ORDER BY l.start_ts LIMIT 1", (alice,)).fetchone()
    assert ride is not None, "no ride to correct"
    # She drove that day: the car, not the bike, went there, for certain.
    decisions.correct_leg(box.store, alice, ride[0] + 30, "car", similar=False)
    pipeline.rebuild_member(box.store, alice)
    stored = rows.parked_before(conn, alice, ride[1])
    assert stored.car and stored.car[0][2] == ride[1] and stored.car[0][3] == 1.0
    assert not stored.bike or stored.bike[0][2] != ride[1]

    mc = member_context.load(box.store, alice)
    tl = build_timeline([to_fix(p) for p in pts],
                        context=replace(mc.detect, corrections=mc.corrections))
    engine = vehicles.from_trips([t for t in tl.trips if t.end_ts <= ride[1]], tl.stays)
    assert _rounded(stored) == _rounded(engine)
    # and after the two days, every leg's probabilities counted (a spot per trip that may
    # have moved a vehicle)
    end = tl.trips[-1].end_ts
    engine = vehicles.from_trips(tl.trips, tl.stays)
    assert len(engine.car) + len(engine.bike) > 2
    assert _rounded(rows.parked_before(conn, alice, end)) == _rounded(engine)
