"""Public transport told from physics (round 5): what a rail vehicle does that the features
must see, and what a phone underground reports that they must not believe."""
import math

from carbon.features import leg_features
from carbon.fix import Fix
from carbon.geo import distance_m, step_metres
from carbon.legs import split_legs
from carbon.speeds import window_speeds
from carbon.timeline import build_timeline
from simulation import scenarios

T0 = 1_772_000_000
LAT0, LON0 = 60.17, 24.94          # Helsinki
M_PER_DEG = 111_195.0


def _east(metres: float) -> float:
    return LON0 + metres / (M_PER_DEG * math.cos(math.radians(LAT0)))


def _north(metres: float) -> float:
    return LAT0 + metres / M_PER_DEG


def _metro_with_dwells(dwell_s: int, stations: int = 4, spacing_m: float = 1200.0,
                       cruise: float = 20.0, accel: float = 1.1) -> list:
    """1 Hz fixes of a metro along a straight line: accelerate, cruise, brake, stand
    `dwell_s` at each of `stations` intermediate stations."""
    out, t, s = [], T0, 0.0
    for leg in range(stations + 1):
        start, v = s, 0.0
        while s - start < spacing_m:
            left = spacing_m - (s - start)
            v = min(v + accel, cruise, math.sqrt(max(0.0, 2 * accel * left)) + 0.5)
            s = min(s + v, start + spacing_m)
            t += 1
            out.append(Fix(t, LAT0, _east(s), 5.0))
        if leg < stations:
            for _ in range(dwell_s):
                t += 1
                out.append(Fix(t, LAT0, _east(s), 5.0))
    return out


def _features(points):
    dists = step_metres(points)
    return leg_features(points, window_speeds(points, 20.0, dists), dists)


def test_a_metros_short_station_stops_are_counted():
    # a metro dwells 15-40 s at a station: stops of 25 s between runs at 20 m/s are its
    # stations (standing for ~20 s of them, the rest braking and starting), which a car on
    # a road does not make
    assert _features(_metro_with_dwells(25)).station_halts == 4
    assert _features(_metro_with_dwells(60)).station_halts == 4
    assert _features(_metro_with_dwells(0)).station_halts == 0


def test_a_walk_into_a_silent_tunnel_is_a_walk():
    # the last street fixes before the metro's entrance are walked: a speed window reaching
    # over the tunnel's silence made them a 20 s "bike" leg, and the journey a bike trip
    for seed in range(8):
        day = scenarios.make_day("metro", "1s", seed)
        rides = [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "metro"]
        if any(r["start_ts"] + 60 < f[0] < r["end_ts"] - 60 for r in rides for f in day.fixes):
            continue        # a tunnel full of network positions, not a silent one
        tl = build_timeline([Fix(*f) for f in day.fixes])
        modes = [g.mode for t in tl.trips for g in t.legs]
        assert not {"bike", "e-bike"} & set(modes), (seed, modes)


def test_a_position_no_vehicle_reached_does_not_lengthen_the_ride():
    # a fix every 30 s along a 6 km straight ride at 15 m/s; one of them is a Wi-Fi
    # position 1.1 km off the line that claims 30 m, as phones underground report
    points = [Fix(T0 + 30 * k, LAT0, _east(450.0 * k), 8.0) for k in range(14)]
    bad = points[7]
    points[7] = Fix(bad.ts, _north(1100.0), bad.lon, 30.0)
    legs = split_legs(points)
    ridden = sum(g.distance_m for g in legs)
    assert abs(ridden - 450.0 * 13) < 300.0, ridden
    assert distance_m(points[6].lat, points[6].lon, points[7].lat, points[7].lon) < 45 * 30


def test_a_phone_too_coarse_to_see_a_dwell_counts_no_missing_station():
    # the same metro seen every 30 s: a 25 s dwell falls between two fixes, so "no station
    # halt" is what any train looks like at that sampling, not evidence that it was a car;
    # at 10 s the dwells are seen and counted as evidence
    from carbon.likelihood import measurable
    ride = _metro_with_dwells(25)
    coarse = [f for f in ride if (f.ts - T0) % 30 == 0]
    f30 = _features(coarse)
    assert f30.station_halts == 0 and "stations" not in measurable(f30)
    f10 = _features([f for f in _metro_with_dwells(40) if (f.ts - T0) % 10 == 0])
    assert f10.station_halts and measurable(f10)["stations"] == f10.station_halts



def _metro_half_underground(spacing_m: float, tunnel_m: float = 6000.0) -> list:
    """A metro seen by a phone every 10 s out in the open (four stations `spacing_m`
    apart, 25 s dwells, 20 m/s between them), then underground for `tunnel_m`: network
    positions every 20 s, claiming 300 m, scattered by up to a kilometre around the line, at
    a commercial speed of 11 m/s (40 km/h), and the exit seen again on the line (under ten
    minutes underground: not a hop of its own)."""
    import random
    rng = random.Random(7)
    open_air = [f for f in _metro_with_dwells(25, stations=4, spacing_m=spacing_m)
                if (f.ts - T0) % 10 == 0]
    last = open_air[-1]
    s0 = (last.lon - LON0) * M_PER_DEG * math.cos(math.radians(LAT0))
    out, t, s = list(open_air), last.ts, s0
    for k in range(1, int(tunnel_m / 11.0 / 20.0)):
        t += 20
        s = s0 + 11.0 * 20 * k
        out.append(Fix(t, _north(rng.uniform(-1000, 1000)), _east(s + rng.uniform(-1000, 1000)),
                       300.0))
    for k in range(6):          # out of the tunnel: braking into the terminus
        t += 10
        out.append(Fix(t, LAT0, _east(s0 + tunnel_m + 100.0 * k), 5.0))
    return out


def _ride_alone(points) -> tuple:
    """The longest leg's most probable mode on its own evidence, and its features."""
    from carbon.likelihood import posterior
    from carbon.mode_params import LEG_PRIOR
    ride = max(split_legs(points), key=lambda g: g.distance_m)
    assert ride.distance_m > 9000 and ride.features["blind"] > 0.4, ride.features
    probs = posterior(ride.loglik, LEG_PRIOR)
    return max(probs, key=probs.get), (probs, ride.features)


def test_halts_per_km_are_read_per_km_the_phone_saw():
    # four halts seen in the 4 km out in the open, a station every 800 m, then 6 km
    # underground with only network positions: the halts seen are a metro's (1.25 per km
    # seen), not a commuter train's (0.4 per km ridden); read per km ridden, a train's
    mode, why = _ride_alone(_metro_half_underground(800.0))
    assert mode == "metro", why


def _slow_to_the_platform_then_silent() -> list:
    """What a Helsinki phone showed of a metro ride (aalto_dev5): a fix every 10 s along
    2.5 minutes of a slow walk to the platform (0.8 m/s), nothing for 200 s and 1.15 km,
    one position, nothing for 316 s and 2.6 km, then the standing and shuffling out."""
    out, t, x = [], T0, 0.0
    for _ in range(15):
        t += 10
        x += 8.0
        out.append(Fix(t, LAT0, _east(x), 5.0))
    for dt, dx in ((200, 1150.0), (316, 2600.0)):
        t += dt
        x += dx
        out.append(Fix(t, LAT0, _east(x), 30.0))
    for _ in range(12):
        t += 10
        x += 12.0
        out.append(Fix(t, LAT0, _east(x), 10.0))
    return out


def test_a_ride_mostly_unseen_is_not_read_by_the_speed_of_what_was_seen():
    # the walk to the platform, too slow to be a leg of its own, is the only part of the
    # ride the phone saw moving: its walking pace was the ride's "cruise" (the tunnel's one
    # long step says how fast the member went on average, not how fast they cruised), and
    # the ride a car's (car 0.79, metro 0.12 on its own)
    from carbon.likelihood import posterior
    from carbon.mode_params import LEG_PRIOR
    ride = max(split_legs(_slow_to_the_platform_then_silent()), key=lambda g: g.distance_m)
    assert ride.features.get("silent", 0) >= 0.5 and "cruise" not in ride.features, \
        ride.features
    probs = posterior(ride.loglik, LEG_PRIOR)
    assert max(probs, key=probs.get) == "metro", (probs, ride.features)


def test_a_sparse_bus_trip_that_opens_waiting_at_the_stop_reads_one_bus_ride():
    """A phone reporting every 1-2 minutes saw nothing of the walk from the door to the
    stop, then the member standing there ~2 minutes before the ride (bus family, sparse,
    seed 1's second trip): the trip's first leg opens with a wait 100 m or more from the
    place left, which nobody spends beside their own car (carbon.legs._opening_wait).
    Before, that stand counted for nothing and the ride read bus, walk, bus, walk."""
    from carbon.fix import Fix
    from carbon.timeline import build_timeline
    from simulation.scenarios import make_day
    day = make_day("bus", "sparse", 1)
    tl = build_timeline([Fix(*f) for f in day.fixes])
    second = tl.trips[1]
    assert [g.mode for g in second.legs] == ["bus", "walk"], [g.mode for g in second.legs]
    assert second.legs[0].features.get("wait", 0) >= 60
