"""A metro a phone saw every 5-20 s (round 13, metro-dense): underground through network
positions for most of the ride, then out in the open for its last stations. The stations it
counted are those of the part it saw, so they are read per km seen: two or three halts in
the 4 km out of the tunnel are a metro's spacing (0.7-1.5 km), not a commuter train's."""
import math
import random

from carbon.fix import Fix
from carbon.timeline import build_timeline

T0 = 1_772_000_000
LAT0, LON0 = 60.17, 24.94          # Helsinki
M_PER_DEG = 111_195.0


def _at(x: float, y: float = 0.0, acc: float = 8.0, t: int = 0) -> Fix:
    return Fix(t, LAT0 + y / M_PER_DEG, LON0 + x / (M_PER_DEG * math.cos(math.radians(LAT0))),
               acc)


def _open_air_metro(rng, t: int, x: float, stations: int, spacing_m: float) -> tuple:
    """(fixes, t, x) of a metro out in the open at 1.1 m/s2 up to 21 m/s, dwelling 25-35 s
    at each of `stations` stations `spacing_m` apart, seen every 8-16 s by a phone that
    drops its fixes while standing (Android's motion sensors: the dwell is one long step)."""
    out, due = [], t + rng.randint(8, 16)
    for k in range(stations + 1):
        start, v = x, 0.0
        while x - start < spacing_m:
            left = spacing_m - (x - start)
            v = min(v + 1.1, 21.0, math.sqrt(max(0.0, 2.2 * left)) + 0.5)
            x = min(x + v, start + spacing_m)
            t += 1
            if t >= due:
                out.append(_at(x + rng.gauss(0, 4), rng.gauss(0, 4), rng.uniform(8, 30), t))
                due = t + rng.randint(8, 16)
        if k < stations:
            t += rng.randint(25, 35)
            due = max(due, t + 1)
    return out, t, x


def _metro_trip(seed: int) -> list:
    """Home, a 300 m walk to the entrance, 70 s down to the platform and 2 minutes' wait (no
    fix), 8 km of tunnel with network positions every 15-60 s (claiming 30-1200 m, off by
    0.1-1.5 km), 4 stations out in the open 1.2 km apart, then the 400 m walk out, and a stay."""
    rng = random.Random(seed)
    out, t, x = [], T0, 0.0
    for _ in range(30):                                   # at home
        t += 60
        out.append(_at(0.0, 0.0, 15.0, t))
    for _ in range(24):                                   # the walk to the entrance
        t += rng.randint(8, 16)
        x += 1.3 * 12
        out.append(_at(x, rng.gauss(0, 3), rng.uniform(5, 15), t))
    t += 70 + 120
    tunnel_end, speed = x + 8000.0, 10.0                  # 36 km/h with its dwells
    while x < tunnel_end - 300:
        dt = rng.randint(15, 60)
        t += dt
        x += speed * dt
        err, a = rng.uniform(100, 1500), rng.uniform(0, 2 * math.pi)
        out.append(_at(x + err * math.cos(a), err * math.sin(a),
                       rng.choice((30, 40, 150, 500, 800, 1200)), t))
    x = tunnel_end
    ride, t, x = _open_air_metro(rng, t, x, 3, 1200.0)
    out += ride
    for _ in range(25):                                   # the walk out
        t += rng.randint(8, 16)
        x += 1.3 * 12
        out.append(_at(x, 60 + rng.gauss(0, 3), rng.uniform(5, 15), t))
    for _ in range(30):                                   # the stay
        t += 60
        out.append(_at(x, 60.0, 15.0, t))
    return out


def test_a_metro_out_of_its_tunnel_for_its_last_stations_reads_metro():
    # on main 798599f two of these rides read train (2-3 stations counted over the 13-16 km
    # ridden: one every 5-8 km, a commuter train's); per km seen, one every 2-3.5 km
    for seed in range(4):
        tl = build_timeline(_metro_trip(seed))
        ride = max((g for trip in tl.trips for g in trip.legs), key=lambda g: g.distance_m)
        assert ride.distance_m > 9000, (seed, ride.distance_m)
        assert ride.mode == "metro", (seed, ride.probs, ride.features)

