from datetime import datetime, timezone

from carbon.simulate import simulate_household
from carbon.timeline import build_timeline

from carbon_helpers import HOME, PERIGNY, still, straight_track

MIDNIGHT = int(datetime(2026, 3, 3, tzinfo=timezone.utc).timestamp())


def test_trip_crossing_midnight_is_one_trip():
    t0 = MIDNIGHT - 600
    points = still(t0 - 3600, HOME, 3600) + straight_track(t0, HOME, PERIGNY, 1200) + \
        still(t0 + 1200, PERIGNY, 3600)
    tl = build_timeline(points)
    assert len(tl.trips) == 1
    trip = tl.trips[0]
    assert trip.start_ts < MIDNIGHT < trip.end_ts
    assert abs(trip.distance_m - 3700) < 400


def test_long_gap_is_not_a_trip():
    # Evening at home, phone off all night, morning at the office 4 km away: no trip is made
    # up for the night, whatever happened.
    evening = still(MIDNIGHT - 4 * 3600, HOME, 3 * 3600)
    morning = still(MIDNIGHT + 8 * 3600, PERIGNY, 3 * 3600)
    tl = build_timeline(evening + morning)
    assert tl.trips == []
    assert len(tl.stays) == 2


def test_gap_during_a_drive_cuts_without_inventing_movement():
    t0 = MIDNIGHT + 3600
    drive = straight_track(t0, HOME, PERIGNY, 1200)
    silent = [p for p in drive if not (t0 + 300 <= p.ts < t0 + 1100)]    # 13 min, 2.6 km
    tl = build_timeline(still(t0 - 3600, HOME, 3600) + silent + still(t0 + 1200, PERIGNY, 3600))
    assert len(tl.trips) == 1                 # 3.2 m/s over the gap: still moving
    late = [p for p in drive if p.ts < t0 + 300] + [p for p in still(t0 + 6 * 3600, PERIGNY, 600)]
    tl = build_timeline(still(t0 - 3600, HOME, 3600) + late)
    assert all(t.end_ts <= t0 + 300 for t in tl.trips)   # the 6 h silence is no trip


def test_household_commutes_are_found():
    sim = simulate_household(days=7, seed=2)
    for member, device in sim.devices.items():
        truth = [t for t in sim.truth if t.member == member]
        found = build_timeline(sim.points[device]).trips
        matched = sum(1 for g in truth if any(abs(p.start_ts - g.start_ts) <= 300 and
                                              abs(p.end_ts - g.end_ts) <= 300 for p in found))
        assert matched >= 0.8 * len(truth), (member, matched, len(truth), len(found))
        assert len(found) <= 1.2 * len(truth)


def test_bus_commute_is_one_trip_despite_the_wait_at_the_stop():
    sim = simulate_household(days=14, seed=3)
    tl = build_timeline(sim.points[sim.devices["alice"]])
    bus_days = [t for t in sim.truth if t.member == "alice" and any(l.mode == "bus" for l in t.legs)]
    assert bus_days
    motor = {"bus", "car", "tram"}
    for g in bus_days:
        found = [p for p in tl.trips if p.start_ts < g.end_ts and p.end_ts > g.start_ts]
        assert len(found) == 1                  # the wait at the stop is no stay
        modes = [leg.mode for leg in found[0].legs]
        assert motor & set(modes)
