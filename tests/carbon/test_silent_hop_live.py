"""The flight a silence reveals (carbon.silence) is decided alike on the live path and in a
rebuild: its evidence is read from fixes after the trip, so no resume point may freeze it
before they are in (carbon.timeline._resume_ts, recompute_from)."""
from carbon.fix import Fix
from carbon.timeline import CONTEXT_S, build_timeline, recompute_from, update_timeline
from test_silent_hop import DEP, T0, _drive, _east

LANDED = T0 + 84 * 60
ARR = _east(DEP, 191.0)


def _flight(taxi):
    """At the airport, 84 silent minutes, 45 minutes at the arrival airport, then `taxi`."""
    fixes = [Fix(T0 - 1800, DEP[0] + 0.0003, DEP[1], 15.0),
             Fix(T0 - 900, DEP[0], DEP[1] + 0.0002, 20.0), Fix(T0, *DEP, 20.0),
             Fix(LANDED, *ARR, 40.0)]
    fixes += [Fix(LANDED + dt, ARR[0] + 0.0001 * (i % 2), ARR[1], 20.0)
              for i, dt in enumerate((300, 900, 1800, 2700))]
    return fixes + taxi


def _driven_to_the_airport():
    """A night at home, a drive to the airport, the flight, a taxi into town."""
    home = _east(DEP, -6.0)
    night = [Fix(T0 - 8 * 3600 + k * 600, home[0] + 0.0001 * (k % 2), home[1], 15.0)
             for k in range(37)]
    night += _drive(home, night[-1].ts, 10, 60, 0.6)[:-1]
    gate = [Fix(T0 - 2 * 3600 + 700 + k * 600, DEP[0] + 0.0001 * (k % 2), DEP[1], 15.0)
            for k in range(10)]
    taxi = _drive(ARR, LANDED + 2700, 8, 300, 2.0, north=0.3)
    taxi += [Fix(taxi[-1].ts + 1200, taxi[-1].lat + 0.0002, taxi[-1].lon, 15.0),
             Fix(taxi[-1].ts + 2400, taxi[-1].lat, taxi[-1].lon + 0.0002, 15.0)]
    fixes = night + gate + _flight(taxi)[2:]
    return sorted({f.ts: f for f in fixes}.values(), key=lambda f: f.ts)


def _modes(tl):
    return [(t.start_ts, [leg.mode for leg in t.legs]) for t in tl.trips]


def test_a_taxi_whose_network_fixes_a_hotel_later_drops_does_not_settle_the_flight():
    # five moving steps from 90 m fixes: enough to read the phone's step until the hotel's
    # GPS fixes come in and the cleaning drops those fixes as imprecise
    taxi = _drive(ARR, LANDED + 2700, 5, 300, 1.0, north=0.3, acc=90.0)
    end = taxi[-1]
    hotel = [Fix(end.ts + 300 * k, end.lat + 0.00005 * (k % 2), end.lon, 10.0)
             for k in range(1, 80)]
    fixes = _flight(taxi) + hotel
    tl = build_timeline(fixes[:4])
    for k in range(5, len(fixes) + 1):
        since = tl.resume_ts
        tl = update_timeline(tl, [p for p in fixes[:k] if since is None or p.ts >= since - CONTEXT_S])
    assert _modes(tl) == _modes(build_timeline(fixes))


def test_a_late_fix_from_the_arrival_airport_does_not_freeze_the_open_flight():
    fixes = _driven_to_the_airport()
    k0 = next(i for i, f in enumerate(fixes) if f.ts > LANDED + 3000)   # the taxi has begun
    tl = build_timeline(fixes[:k0])
    late = Fix(LANDED + 1200, ARR[0] + 0.0001, ARR[1] + 0.0001, 20.0)
    have = sorted(fixes[:k0] + [late], key=lambda f: f.ts)
    since = recompute_from(tl, late.ts)
    assert since is None or since <= tl.resume_ts
    tl = update_timeline(tl, [p for p in have if since is None or p.ts >= since - CONTEXT_S],
                         since=since)
    for f in fixes[k0:]:
        have.append(f)
        s = tl.resume_ts
        tl = update_timeline(tl, [p for p in have if s is None or p.ts >= s - CONTEXT_S])
    full = build_timeline(have)
    assert [m for _, m in _modes(full)] == [["car"], ["plane"], ["car"]]
    assert _modes(tl) == _modes(full)
