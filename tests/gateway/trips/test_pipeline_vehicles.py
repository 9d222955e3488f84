"""Where the member's car and bike are (carbon.vehicles) reads the same from the stored trips
as the engine knows it from the fixes, and a leg the member corrected is certain there."""
from __future__ import annotations

import json
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


def _decided(box, member) -> list:
    """Every stored leg as the engine decided it: its trip, times, mode, confidence and
    probabilities."""
    return [tuple(r) for r in box.store.conn.execute(
        "SELECT t.start_ts, t.end_ts, l.seq, l.start_ts, l.end_ts, l.mode, l.confidence, "
        "l.detected_mode, l.detected_confidence, l.probs FROM legs l "
        "JOIN trips t ON t.id = l.trip_id WHERE t.member_id = ? ORDER BY t.start_ts, l.seq",
        (box.ids[member],))]


def test_the_live_path_decides_every_trip_as_a_rebuild_does(box, tmp_path):
    """The belief of where the vehicles are at the resume point is the engine's own, kept
    with pipeline_state: fed live in several batches (a day each; a phone's queue every few
    hours), every trip gets the modes and confidences a rebuild of the same fixes gives
    (before, four of Alice's 33 trips differed on the page's two decimals)."""
    from pipeline_helpers import Box, day_batches
    pts = points("alice")
    for b, batches in ((box, day_batches(pts)),
                       (Box(tmp_path / "queue.db"), [pts[k:k + 300] for k in range(0, len(pts), 300)])):
        for batch in batches:
            b.add("alice", batch)
            pipeline.process_new(b.store, b.ids["alice"])
        live = _decided(b, "alice")
        assert len({leg[0] for leg in live}) > 30
        assert any(leg[6] < 0.9 for leg in live)      # legs the belief weighs on
        pipeline.rebuild_member(b.store, b.ids["alice"])
        assert _decided(b, "alice") == live
        if b is not box:
            b.store.close()


def test_a_correction_before_the_resume_point_moves_the_car_on_the_live_path(box, monkeypatch):
    """The kept belief was computed before the member corrected a leg: the next live run
    reads the vehicles back from the stored trips instead, where that leg left the car for
    certain, and keeps the engine's belief again from the next resume point on."""
    from pipeline_helpers import day_batches
    alice = box.ids["alice"]
    batches = day_batches(points("alice"))
    for batch in batches[:4]:
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    conn = box.store.conn
    resume = conn.execute("SELECT resume_ts FROM pipeline_state WHERE member_id = ?",
                          (alice,)).fetchone()[0]
    ride = conn.execute(
        "SELECT l.start_ts, t.end_ts FROM legs l JOIN trips t ON t.id = l.trip_id "
        "WHERE t.member_id = ? AND t.end_ts < ? AND l.detected_mode IN ('bike', 'e-bike') "
        "AND t.end_ts > ? ORDER BY t.end_ts DESC LIMIT 1",
        (alice, resume, resume - vehicles.STALE_S)).fetchone()
    assert ride is not None, "no ride to correct before the resume point"
    seen = []
    real = pipeline._detect
    monkeypatch.setattr(pipeline, "_detect",
                        lambda window, since, mc, parked=None, earlier=(), landed=False:
                        seen.append(parked) or real(window, since, mc, parked, earlier, landed))
    box.add("alice", batches[4])
    pipeline.process_new(box.store, alice)
    kept = seen[-1]
    assert not any(t == ride[1] and p == 1.0 for _, _, t, p in kept.car)

    decisions.correct_leg(box.store, alice, ride[0] + 30, "car", similar=False)
    resume = conn.execute("SELECT resume_ts FROM pipeline_state WHERE member_id = ?",
                          (alice,)).fetchone()[0]
    box.add("alice", batches[5])
    pipeline.process_new(box.store, alice)
    assert seen[-1] == rows.parked_before(conn, alice, resume)
    assert any(t == ride[1] and p == 1.0 for _, _, t, p in seen[-1].car)
    # that run found the next resume point and kept the engine's belief there: the run
    # after it starts from that belief
    resume2, kept = conn.execute("SELECT resume_ts, parked FROM pipeline_state WHERE "
                                 "member_id = ?", (alice,)).fetchone()
    assert resume2 > resume and json.loads(kept)["at"] == resume2
    box.add("alice", batches[6])
    pipeline.process_new(box.store, alice)
    kept = json.loads(kept)
    assert seen[-1] == vehicles.Parked(tuple(map(tuple, kept["car"])),
                                       tuple(map(tuple, kept["bike"])))
