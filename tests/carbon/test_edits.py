"""A member's splits and merges are applied to the engine's trips, and applying them again
changes nothing (stored trips get them applied on every recomputation)."""
from carbon.edits import MERGE, SPLIT, TripEdit, apply_edits
from carbon.model import Leg, Stay, Trip


def _trip(t0, t1, *legs):
    return Trip(t0, t1, sum(g.distance_m for g in legs), list(legs), start=(46.0, -1.1),
                end=(46.1, -1.2))


def test_a_split_cuts_the_trip_and_the_leg_across_it():
    trip = _trip(0, 1000, Leg(0, 400, 400.0, "walk", 0.9), Leg(400, 1000, 6000.0, "bus", 0.7))
    stays, trips = apply_edits([], [trip], [TripEdit(SPLIT, 700, at=(46.05, -1.15))])
    assert [(t.start_ts, t.end_ts) for t in trips] == [(0, 700), (700, 1000)]
    assert [g.mode for g in trips[0].legs] == ["walk", "bus"]
    assert trips[0].legs[1].distance_m == 3000.0 and trips[1].legs[0].distance_m == 3000.0
    assert trips[0].end == trips[1].start == (46.05, -1.15)
    assert [(s.start_ts, s.lat) for s in stays] == [(700, 46.05)]
    again = apply_edits(stays, trips, [TripEdit(SPLIT, 700, at=(46.05, -1.15))])
    assert [(t.start_ts, t.end_ts) for t in again[1]] == [(0, 700), (700, 1000)]


def test_a_merge_joins_two_trips_and_drops_the_stop_between():
    a = _trip(0, 500, Leg(0, 500, 2000.0, "car", 0.8))
    b = _trip(800, 1200, Leg(800, 1200, 3000.0, "car", 0.8))
    stays = [Stay(-100, 0, 46.0, -1.1, 5), Stay(500, 800, 46.05, -1.15, 3),
             Stay(1200, 5000, 46.1, -1.2, 9)]
    edit = TripEdit(MERGE, 510, until_ts=790)          # a rebuild moved the ends a little
    stays2, trips = apply_edits(stays, [a, b], [edit])
    assert [(t.start_ts, t.end_ts, t.distance_m) for t in trips] == [(0, 1200, 5000.0)]
    assert [s.start_ts for s in stays2] == [-100, 1200]
    assert apply_edits(stays2, trips, [edit])[1][0].end_ts == 1200


def test_edits_apply_in_the_order_they_were_made():
    trip = _trip(0, 1000, Leg(0, 1000, 1000.0, "bike", 0.9))
    split = TripEdit(SPLIT, 500, at=(46.05, -1.15), created_ts=1)
    merge = TripEdit(MERGE, 500, until_ts=500, created_ts=2)
    _, trips = apply_edits([], [trip], [merge, split])
    assert len(trips) == 1 and trips[0].end_ts == 1000
