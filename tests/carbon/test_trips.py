import math
from datetime import datetime, timezone

from simulation.household import simulate_household
from carbon.fix import Fix
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


def _north(place, metres):
    return (place[0] + metres / 111_195.0, place[1])


def test_phone_asleep_at_a_stay_wakes_out_of_it_the_hop_is_the_trip():
    # Trackers sleep at a place and wake on a geofence ~150 m out, then record densely: the
    # silent hop is the walk leaving home, not missing data.
    t0 = MIDNIGHT + 8 * 3600
    there = _north(HOME, 180)
    points = still(t0, HOME, 1800, every=30) + still(t0 + 1800 + 7200, there, 1800, every=30)
    tl = build_timeline(points)
    assert len(tl.trips) == 1
    trip = tl.trips[0]
    woke = t0 + 1800 + 7200
    assert trip.end_ts == woke                              # the first fix at the new place
    assert woke - 200 <= trip.start_ts < woke               # walked 180 m just before
    assert [leg.mode for leg in trip.legs] == ["walk"]


def test_lone_fixes_after_long_silences_are_no_trip():
    # A passive location update every few hours (no dense recording after it) says the phone
    # is elsewhere, not that a trip was recorded.
    t0 = MIDNIGHT + 8 * 3600
    points = still(t0, HOME, 120, every=30) + still(t0 + 4 * 3600, _north(HOME, 230), 0) + \
        still(t0 + 5 * 3600, _north(HOME, 700), 0)
    assert build_timeline(points).trips == []


def test_trip_ends_when_the_member_arrives_not_at_the_edge_of_the_radius():
    t0 = MIDNIGHT + 8 * 3600
    walk = straight_track(t0, HOME, _north(HOME, 1000), 700, every=10)     # 1.4 m/s
    points = still(t0 - 1800, HOME, 1800, every=30) + walk + \
        still(t0 + 710, _north(HOME, 1000), 1800, every=30)
    trip = build_timeline(points).trips[0]
    assert abs(trip.end_ts - (t0 + 700)) <= 30              # not ~50 s early (75 m radius)
    assert abs(trip.start_ts - t0) <= 30


def test_short_stop_is_not_a_stay():
    # A 4-minute wait (a red light, a level crossing, a station platform) is part of the trip.
    t0 = MIDNIGHT + 8 * 3600
    mid = _north(HOME, 1500)
    points = still(t0 - 1800, HOME, 1800) + straight_track(t0, HOME, mid, 300) + \
        still(t0 + 310, mid, 230, every=10) + straight_track(t0 + 550, mid, PERIGNY, 600) + \
        still(t0 + 1160, PERIGNY, 1800)
    assert len(build_timeline(points).trips) == 1


def test_a_wifi_guess_far_off_in_a_stay_makes_no_trip():
    # a phone that reports from home every 15 minutes, once from a Wi-Fi position 500 m off
    # (its access point misplaced in the database): one stay, no walk there and back
    home = still(MIDNIGHT, HOME, 3 * 3600, every=900, acc=20.0)
    off = Fix(home[6].ts + 420, HOME[0] + 0.0045, HOME[1], 40.0)
    tl = build_timeline(home + [off])
    assert tl.trips == [] and len(tl.stays) == 1


def _resting(t0, place, seconds, every=1, acc=8.0):
    """A phone at rest: GPS errors drift slowly (correlated over minutes), a few metres."""
    m = 1 / 111_320
    return [Fix(t0 + k, place[0] + 6 * m * math.sin(k / 40), place[1] + 6 * m * math.cos(k / 55)
                * 1.45, acc) for k in range(0, seconds + 1, every)]


def test_a_walk_in_ends_when_the_walker_stops_not_at_the_place_core():
    # A 1 Hz logger: the member walks 1 km at 1.3 m/s and stops at the door. The last 25 m
    # (the wander of fixes at rest, the place's core) take ~19 s to walk: the arrival is
    # when the fixes stop closing in on the place by 12 m (0.6 m/s over 20 s: the slowest
    # walk), not when they cross into its core (19 s early, and 19 s late leaving, before).
    # Leaving, the same: the departure is the last fix before they start walking away.
    t0 = MIDNIGHT + 8 * 3600
    dest = _north(HOME, 1000)
    walk = straight_track(t0, HOME, dest, 770, every=1)[1:-1]
    points = _resting(t0 - 1800, HOME, 1800) + walk + _resting(t0 + 770, dest, 1800)
    trip = build_timeline(points).trips[0]
    assert abs(trip.end_ts - (t0 + 770)) <= 14
    assert abs(trip.start_ts - t0) <= 14
    assert [leg.mode for leg in trip.legs] == ["walk"]


def test_a_wander_whose_fixes_all_come_closer_to_its_centre_is_no_empty_stay():
    """Fourteen fixes of a random walk 20-120 s apart around a 100 m patch (found in
    bench/import.py's never-resting history): each fix of the run is still "walking in"
    towards the run's centre, so the arrival was moved past the stay's end and the stay
    came out with no fix (a division by zero that stopped the import's trip phase)."""
    rows = [(0, 46.154995, -1.199816, 15.0), (24, 46.154904, -1.200308, 19.0),
            (119, 46.155342, -1.200445, 14.0), (227, 46.154862, -1.20043, 3.0),
            (282, 46.154493, -1.200545, 38.0), (317, 46.154704, -1.199883, 13.0),
            (406, 46.154696, -1.200554, 28.0), (518, 46.154431, -1.199889, 10.0),
            (619, 46.154478, -1.199894, 7.0), (721, 46.154139, -1.200198, 24.0),
            (791, 46.154041, -1.200319, 43.0), (865, 46.154424, -1.200991, 30.0),
            (969, 46.154179, -1.201004, 20.0), (1077, 46.153986, -1.200369, 15.0)]
    t0 = 1_500_000_000
    points = [Fix(t0 + dt, lat, lon, acc) for dt, lat, lon, acc in rows]
    tl = build_timeline(points)
    assert tl.stays, "18 minutes within 100 m is a stay"
    for s in tl.stays:
        assert s.n_points >= 1 and t0 <= s.start_ts <= s.end_ts <= t0 + 1077
        assert abs(s.lat - 46.1546) < 0.001 and abs(s.lon + 1.2003) < 0.001


def test_a_stays_accuracy_is_read_from_the_fixes_that_give_one_weighed_by_their_time():
    """A stay's accuracy (what tells an indoor stop from a platform, carbon.transfers) is
    the time-weighted median of its fixes' accuracies: a fix without one is left out, and
    a fix stands for the time to the next (at most five minutes), so the minutes indoors
    outweigh the dense GPS fixes of the walk in."""
    from carbon.trips import make_stay
    t = 1_700_000_000
    walk_in = [Fix(t + k, 46.16, -1.15, acc=5.0) for k in range(60)]            # a minute
    indoors = [Fix(t + 60 + 240 * k, 46.16, -1.15, acc=None if k % 3 else 65.0)
               for k in range(12)]                                               # 48 min
    stay = make_stay(walk_in + indoors, 0, len(walk_in) + len(indoors) - 1)
    assert stay.acc == 65.0
    # without the fixes indoors that give one, the walk in is all the evidence left
    bare = [Fix(p.ts, p.lat, p.lon) for p in indoors]
    assert make_stay(walk_in + bare, 0, len(walk_in) + len(bare) - 1).acc == 5.0
    assert make_stay(bare, 0, len(bare) - 1).acc is None
