"""Scenario families: physically realistic days for every mode and situation the engine
must handle, each under every sampling regime, with their ground truth.

A family is a function that writes one member's day into an `Itinerary` (stays, then a
trip out and back, or a chain of errands); `scenario_days()` runs every family under
every regime of `simulation.phones.REGIMES` with a few seeds and returns `Day`s holding
the fixes and the truth, which `write_day` stores as the shared scorers expect
(`points.csv` + `truth.json`, fine modes). Seeds drive everything: the same call gives
the same days.
"""
import csv
import json
import math
import os
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from simulation import motion
from simulation.gtfs import write_feed
from simulation.itinerary import Itinerary, heading_to
from simulation.motion import KINEMATICS as K
from simulation.phones import REGIMES, doppler_speeds, observe
from simulation.routes import Frame, Route, metro_line, point_at, smooth_line, streets

TZ = "Europe/Paris"
ORIGIN = Frame(46.1591, -1.1520)       # La Rochelle
FIRST_DAY = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo(TZ))
# The share of the street routes walked, cycled or driven that a bus line of the town's
# feed also runs along (Itinerary.bus_line_along): in a French town of La Rochelle's size
# the bus network covers the main streets, and half of a member's routes sharing one over
# their whole length is the hard case for a feed (a route followed, stops passed).
DECOY_SHARE = 0.5
# The share of those routes that a tram line runs along over their whole length
# (Itinerary.tram_line_along), as in a tram town: Helsinki has ~39 km of double track
# (2017, 11 lines, Wikipedia "Helsinki tram network") in a city street network of the
# order of 1,200 km, ~3 % of the streets' length, but the trams run the arterials
# (Mannerheimintie, Hämeentie), and arterials, a fifth of an urban network's length, carry
# about two thirds of its traffic (FHWA functional classification: urban arterials
# ~15-25 % of mileage, ~60-70 % of vehicle-miles), so ~3 x 3.5 ~ 10-12 % of the
# street-kilometres driven or cycled in such a town are beside a tram (Amsterdam ~200 km
# of tram track, Melbourne ~250 km of double track and Lyon's ~70 km are of the same order
# against their street networks). 0.15: the hard case, whole routes on the line.
TRAM_DECOY_SHARE = 0.15


@dataclass
class Day:
    name: str
    family: str
    regime: str
    fixes: list          # [(ts, lat, lon, acc)]
    truth: dict
    lines: list = ()     # the town's GTFS lines seen that day (simulation.gtfs)
    vels: list = ()      # per fix, the phone's Doppler speed (m/s) or None (phones.doppler_speeds)


# ---- building blocks ------------------------------------------------------------------

@contextmanager
def trip(it: Itinerary):
    it.begin_trip()
    yield
    it.end_trip()


def _far(rng: random.Random, xy: tuple, lo: float, hi: float) -> tuple:
    return point_at(xy, rng.uniform(lo, hi), rng.uniform(0, 2 * math.pi))


def walk(it: Itinerary, rng, xy: tuple, env: str = "street") -> None:
    route = streets(it.xy, xy, rng, block=(60, 180))
    it.bus_line_along(route, DECOY_SHARE)
    it.tram_line_along(route, TRAM_DECOY_SHARE)
    it.leg("walk", route, K["walk"], rng, env=env,
           stops=motion.lights(route, rng, 0.3, (5, 40)))


def walk_for(it: Itinerary, rng, seconds: tuple, env: str = "street") -> None:
    """A short walk of about this long in some direction (to the car, the bike shed)."""
    d = rng.uniform(*seconds) * 1.35 / 1.25
    walk(it, rng, _far(rng, it.xy, d * 0.8, d), env)


def road(it: Itinerary, rng, label: str, kin, xy: tuple, lights: float, red: tuple,
         stops: list = (), jam: bool = False, block=(80, 250)) -> None:
    route = streets(it.xy, xy, rng, block=block)
    it.bus_line_along(route, DECOY_SHARE)
    it.tram_line_along(route, TRAM_DECOY_SHARE)
    halts = motion.lights(route, rng, lights, red) + list(stops)
    limit = []
    if jam:   # congestion over most of the route: a queue that stops and goes
        a, b = 0.1 * route.length, 0.9 * route.length
        halts += motion.congestion(route.length, rng, a, b, every=(80, 400), halt=(5, 30))
        limit = [(a, b, rng.uniform(6.0, 9.0))]
    it.leg(label, route, kin, rng, stops=halts, limit=limit)


# ---- families -------------------------------------------------------------------------

def walk_day(it, rng):
    home, dest = it.xy, _far(rng, it.xy, 350, 1900)
    out_and_back(it, rng, lambda: walk(it, rng, dest), lambda: walk(it, rng, home))


def run_day(it, rng):
    """Runs are loops from home (a recreational run goes round and comes back), at
    2.6-3.6 m/s, 4-10 km, mostly in the open (parks, the seafront)."""
    home = it.xy
    a = _far(rng, home, 1200, 2500)
    b = point_at(a, rng.uniform(800, 2000), heading_to(home, a) + rng.uniform(1.2, 2.0))
    legs = [streets(p, q, rng, block=(150, 400)) for p, q in ((home, a), (a, b), (b, home))]
    loop = Route([pt for k, r in enumerate(legs) for pt in (r.pts if k == 0 else r.pts[1:])])
    it.stay(rng.uniform(1200, 2400))
    with trip(it):
        it.leg("run", loop, K["run"], rng, env="open", cruise=rng.uniform(2.6, 3.6))
    it.stay(1800)


def bike_day(it, rng):
    """Commutes by bike: some slow and steady (3.2-3.5 m/s, no stops: the rider a runner
    would be mistaken for), some starting with a walk to the bike shed."""
    home, work = it.xy, _far(rng, it.xy, 2000, 6000)
    slow = rng.random() < 0.4

    def ride(xy):
        if rng.random() < 0.5:
            walk_for(it, rng, (40, 180))
        if slow:
            it.leg("bike", streets(it.xy, xy, rng, block=(150, 400)), K["bike_slow"], rng)
        else:
            road(it, rng, "bike", K["bike"], xy, 0.4, (5, 40))
        walk_for(it, rng, (20, 90))
    out_and_back(it, rng, lambda: ride(work), lambda: ride(home))


def ebike_day(it, rng):
    home, work = it.xy, _far(rng, it.xy, 4000, 10000)

    def ride(xy):
        road(it, rng, "e-bike", K["e-bike"], xy, 0.3, (5, 30))
        walk_for(it, rng, (20, 60))
    out_and_back(it, rng, lambda: ride(work), lambda: ride(home))


def car_day(it, rng):
    """Town driving with lights and corners; on some days in a jam."""
    home, dest = it.xy, _far(rng, it.xy, 2500, 8000)
    jam = rng.random() < 0.2

    def drive(xy):
        walk_for(it, rng, (30, 120))
        it.wait(rng.uniform(10, 40))
        road(it, rng, "car", K["car"], xy, 0.5, (10, 60), jam=jam)
        walk_for(it, rng, (40, 150))
    out_and_back(it, rng, lambda: drive(dest), lambda: drive(home))


def highway_day(it, rng):
    """A long drive: town, a motorway of 40-185 km, town (the 185 km "bike ride")."""
    length = rng.uniform(40_000, 185_000)
    bearing = rng.uniform(0, 2 * math.pi)
    jam = rng.random() < 0.3

    def drive():
        walk_for(it, rng, (30, 90))
        it.wait(rng.uniform(10, 30))
        road(it, rng, "car", K["car"], point_at(it.xy, rng.uniform(1500, 3000), bearing),
             0.5, (10, 50))
        route = smooth_line(it.xy, point_at(it.xy, length, bearing), rng, radius_m=800,
                            wiggle_m=1500)
        a, b = 0.3 * route.length, 0.4 * route.length
        limit = [(a, b, 6.0)] if jam else []
        stops = motion.congestion(route.length, rng, a, b) if jam else []
        it.leg("car", route, K["car_highway"], rng, env="open", stops=stops, limit=limit)
        road(it, rng, "car", K["car"], point_at(it.xy, rng.uniform(1000, 3000), bearing),
             0.5, (10, 50))
        walk_for(it, rng, (30, 90))
    one_way(it, rng, drive)


def bus_day(it, rng):
    """Walk to the stop, wait, ride with stops every 300-500 m, walk; some buses in a jam
    (median 0.8 m/s, p85 ~6 m/s) through a congested centre. Not a whole ride at walking
    pace: the slowest bus routes on record average 6-8 km/h over a few kilometres (New
    York's crosstown M42/M50, ~4 mph, the Bus Turnaround Coalition's figures; central
    Paris and London at peak 9-11 km/h), and a rider would walk a 7 km line that took
    75 minutes (the generator once congested whole rides: 1.4-1.6 m/s over 6-8 km)."""
    home, dest = it.xy, _far(rng, it.xy, 3000, 9000)
    jam = rng.random() < 0.4

    def ride(xy):
        stop_a = _far(rng, it.xy, 150, 500)
        walk(it, rng, stop_a)
        it.wait(rng.uniform(120, 600))
        stop_b = _far(rng, xy, 150, 400)
        route = streets(it.xy, stop_b, rng)
        halts = motion.spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
        it.line(3, route, [s for s, _ in halts])
        halts += motion.lights(route, rng, 0.3, (10, 40))
        limit = []
        if jam:   # a congested centre: a third to two thirds of the ride stops and goes
            a = rng.uniform(0.0, 0.4) * route.length
            b = min(route.length, a + rng.uniform(0.3, 0.6) * route.length)
            halts += motion.congestion(route.length, rng, a, b)
            limit = [(a, b, rng.uniform(5.0, 7.0))]
        it.leg("bus", route, K["bus"], rng, stops=halts, limit=limit)
        walk(it, rng, xy)
    out_and_back(it, rng, lambda: ride(dest), lambda: ride(home))


def tram_day(it, rng):
    home, dest = it.xy, _far(rng, it.xy, 2000, 6000)

    def ride(xy):
        walk(it, rng, _far(rng, it.xy, 150, 400))
        it.wait(rng.uniform(60, 480))
        route = streets(it.xy, _far(rng, xy, 100, 300), rng, block=(200, 600))
        halts = motion.spaced_stops(route.length, rng, (400, 600), (15, 30))
        it.line(0, route, [s for s, _ in halts])
        halts += motion.lights(route, rng, 0.2, (10, 30))
        it.leg("tram", route, K["tram"], rng, stops=halts)
        walk(it, rng, xy)
    out_and_back(it, rng, lambda: ride(dest), lambda: ride(home))


def metro_day(it, rng):
    """Underground: nothing, or Wi-Fi/cell positions jumping by kilometres; the exit is
    kilometres from the entry. Some lines surface in the suburbs."""
    home, dest = it.xy, _far(rng, it.xy, 4000, 12000)
    open_air = rng.choice((0.0, 0.0, 0.4))

    def ride(xy):
        entry = _far(rng, it.xy, 200, 600)
        walk(it, rng, entry)
        walk_for(it, rng, (40, 90), env="underground")
        it.wait(rng.uniform(60, 300), env="underground")
        exit_ = _far(rng, xy, 200, 500)
        route, stations = metro_line(it.xy, exit_, rng, open_air=open_air)
        it.line(1, route, stations)
        dwell = [(s, rng.uniform(20, 40)) for s in stations[1:-1]]
        it.leg("metro", route, K["metro"], rng, stops=dwell, env="rail")
        walk_for(it, rng, (40, 90), env="underground")
        walk(it, rng, xy)
    out_and_back(it, rng, lambda: ride(dest), lambda: ride(home))


def _train(kin, spacing, dwell, length, radius):
    def ride(it, rng, xy_far, station_walk=True):
        if station_walk:
            walk(it, rng, _far(rng, it.xy, 300, 900))
        it.wait(rng.uniform(180, 600), env="open")
        span = length(rng)
        b = point_at(it.xy, span, rng.uniform(0, 2 * math.pi)) if xy_far is None else xy_far
        route = smooth_line(it.xy, b, rng, radius_m=radius, wiggle_m=0.02 * span)
        stops = motion.spaced_stops(route.length, rng, spacing, dwell)
        it.line(2, route, [s for s, _ in stops])
        it.leg("train", route, kin, rng, stops=stops, env="rail")
        if station_walk:
            walk(it, rng, _far(rng, it.xy, 300, 900))
    return ride


TRAINS = {
    "regional": _train(K["train_regional"], (5000, 15000), (30, 120),
                       lambda r: r.uniform(20_000, 80_000), 1500),
    "intercity": _train(K["train_intercity"], (30_000, 60_000), (120, 360),
                        lambda r: r.uniform(150_000, 300_000), 2500),
    "highspeed": _train(K["train_highspeed"], (100_000, 250_000), (120, 300),
                        lambda r: r.uniform(300_000, 500_000), 5000),
}


def train_day(kind: str):
    def family(it, rng):
        one_way(it, rng, lambda: TRAINS[kind](it, rng, None))
    family.__name__ = f"train_{kind}_day"
    return family


def plane_day(it, rng):
    """From the terminal (indoors) to a gate, a silent flight of 190-900 km, the arrival
    terminal, then a taxi into town."""
    dest = point_at(it.xy, rng.uniform(190_000, 900_000), rng.uniform(0, 2 * math.pi))

    def fly():
        walk_for(it, rng, (120, 300), env="indoor")
        it.flight(dest, rng)
        walk_for(it, rng, (180, 480), env="indoor")
    one_way(it, rng, fly)
    taxi_into_town(it, rng)


def taxi_into_town(it, rng):
    """Out of the arrival terminal by taxi, 8-20 km into town, and a half hour's stay."""
    with trip(it):
        walk_for(it, rng, (60, 180))
        road(it, rng, "car", K["car"], _far(rng, it.xy, 8000, 20000), 0.4, (10, 50))
        walk_for(it, rng, (30, 90))
    it.stay(1800)


def ferry_day(it, rng):
    home = it.xy
    pier = _far(rng, it.xy, 300, 800)
    island = _far(rng, pier, 3000, 15000)

    def cross(a, b):
        walk(it, rng, a)
        it.wait(rng.uniform(180, 600), env="open")
        lane = smooth_line(it.xy, b, rng, radius_m=400, wiggle_m=300)
        it.line(4, lane, [])
        it.leg("boat", lane, K["boat"], rng, env="open")
    with trip(it):
        cross(pier, island)
        walk(it, rng, _far(rng, it.xy, 200, 600))
    it.stay(rng.uniform(1500, 2400))
    with trip(it):
        walk(it, rng, island)
        it.wait(rng.uniform(180, 600), env="open")
        lane = smooth_line(it.xy, pier, rng, radius_m=400, wiggle_m=300)
        it.line(4, lane, [])
        it.leg("boat", lane, K["boat"], rng, env="open")
        walk(it, rng, home)
    it.stay(1800)


def errands_day(it, rng):
    """Short stops at shops (3-15 minutes) between trips, on foot or by car: each stop
    ends a trip."""
    by_car = rng.random() < 0.5
    home = it.xy
    shops = [_far(rng, home, 600, 2500)]
    shops.append(_far(rng, shops[0], 500, 2000))
    it.stay(rng.uniform(1200, 2400))
    for xy in shops + [home]:
        with trip(it):
            if by_car:
                walk_for(it, rng, (20, 60))
                road(it, rng, "car", K["car"], xy, 0.5, (10, 50))
                walk_for(it, rng, (20, 60))
            else:
                walk(it, rng, xy)
        it.stay(rng.uniform(180, 900) if xy is not home else 1800)


def bike_train_day(it, rng):
    """Bike to the station, a regional train, bike on (a folding bike or a second one)."""
    def go():
        road(it, rng, "bike", K["bike"], _far(rng, it.xy, 1500, 4000), 0.4, (5, 30))
        walk_for(it, rng, (30, 90))
        TRAINS["regional"](it, rng, None, station_walk=False)
        walk_for(it, rng, (30, 90))
        road(it, rng, "bike", K["bike"], _far(rng, it.xy, 1500, 4000), 0.4, (5, 30))
    one_way(it, rng, go)


def bus_metro_day(it, rng):
    """Walk, bus, walk, metro, walk: connections inside one trip."""
    def go():
        walk(it, rng, _far(rng, it.xy, 150, 400))
        it.wait(rng.uniform(60, 400))
        route = streets(it.xy, _far(rng, it.xy, 2500, 6000), rng)
        halts = motion.spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
        it.line(3, route, [s for s, _ in halts])
        it.leg("bus", route, K["bus"], rng, stops=halts)
        walk(it, rng, _far(rng, it.xy, 100, 300))
        walk_for(it, rng, (40, 90), env="underground")
        it.wait(rng.uniform(60, 300), env="underground")
        route, stations = metro_line(it.xy, _far(rng, it.xy, 3000, 8000), rng)
        it.line(1, route, stations)
        it.leg("metro", route, K["metro"], rng, env="rail",
               stops=[(s, rng.uniform(20, 40)) for s in stations[1:-1]])
        walk_for(it, rng, (40, 90), env="underground")
        walk(it, rng, _far(rng, it.xy, 200, 600))
    one_way(it, rng, go)


def out_and_back(it, rng, there, back):
    it.stay(rng.uniform(1200, 2400))
    with trip(it):
        there()
    it.stay(rng.uniform(1800, 3600))
    with trip(it):
        back()
    it.stay(1800)


def one_way(it, rng, go):
    it.stay(rng.uniform(1200, 2400))
    with trip(it):
        go()
    it.stay(1800)


FAMILIES = {
    "walk": walk_day, "run": run_day, "bike": bike_day, "e-bike": ebike_day,
    "car": car_day, "car-highway": highway_day, "bus": bus_day, "tram": tram_day,
    "metro": metro_day, "train-regional": train_day("regional"),
    "train-intercity": train_day("intercity"), "train-highspeed": train_day("highspeed"),
    "plane": plane_day, "ferry": ferry_day, "errands": errands_day,
    "bike-train": bike_train_day, "bus-metro": bus_metro_day,
}


# ---- days for the live path's parity (bench/live_parity.py), not in FAMILIES ----------
# Each has a short stay (5-20 min) that a joint decision reads across, where a late batch
# must not restart (carbon.timeline.restart_stay); after the round-13 review's repro
# (review13 repro/plane_families.py). Not scored: the suite's figures stay as they were.

def bus_change_day(it, rng):
    """A bus, a change of 6-15 minutes at the kerb, a second bus (kept as two trips and
    decided as one journey, carbon.transfers._changed)."""
    it.stay(rng.uniform(1200, 2400))
    with trip(it):
        walk(it, rng, _far(rng, it.xy, 150, 400))
        it.wait(rng.uniform(60, 300))
        for n in range(2):
            route = streets(it.xy, _far(rng, it.xy, 2500, 6000), rng)
            halts = motion.spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
            it.line(3, route, [s for s, _ in halts])
            it.leg("bus", route, K["bus"], rng, stops=halts)
            if n == 0:
                it.wait(rng.uniform(360, 900))
        walk(it, rng, _far(rng, it.xy, 150, 400))
    it.stay(1800)


def _flights(it, rng, n: int):
    """n flights of 300-700 km, a 10-17 minute connection at each hub."""
    with trip(it):
        walk_for(it, rng, (120, 300), env="indoor")
        for k in range(n):
            if k:
                walk_for(it, rng, (240, 480), env="indoor")
                it.wait(rng.uniform(600, 1000), env="indoor")
            it.flight(point_at(it.xy, rng.uniform(300_000, 700_000),
                               rng.uniform(0, 2 * math.pi)), rng)
        walk_for(it, rng, (180, 480), env="indoor")
    it.stay(rng.uniform(300, 900))      # baggage claim


def plane_connect_day(it, rng):
    """Two flights with a connection at the hub, baggage claim, a taxi into town."""
    it.stay(rng.uniform(1200, 2400))
    _flights(it, rng, 2)
    taxi_into_town(it, rng)


def plane_rail_day(it, rng):
    """A flight, baggage claim, then the airport's rail link."""
    it.stay(rng.uniform(1200, 2400))
    _flights(it, rng, 1)
    with trip(it):
        walk_for(it, rng, (60, 180), env="indoor")
        it.wait(rng.uniform(180, 600), env="open")
        span = rng.uniform(20_000, 45_000)
        b = point_at(it.xy, span, rng.uniform(0, 2 * math.pi))
        route = smooth_line(it.xy, b, rng, radius_m=1500, wiggle_m=0.02 * span)
        stops = motion.spaced_stops(route.length, rng, (8000, 15000), (30, 90))
        it.line(2, route, [s for s, _ in stops])
        it.leg("train", route, K["train_regional"], rng, stops=stops, env="rail")
        walk(it, rng, _far(rng, it.xy, 300, 900))
    it.stay(1800)


def plane_twice_day(it, rng):
    """Out and back by air in a day: a flight, a taxi into town, a meeting, a drive back to
    the airport, 10-18 minutes at security and the gate, the flight home, a taxi."""
    home = it.xy
    it.stay(rng.uniform(1200, 2400))
    _flights(it, rng, 1)
    airport = it.xy
    taxi_into_town(it, rng)
    it.stay(rng.uniform(3600, 7200))
    with trip(it):
        walk_for(it, rng, (30, 90))
        road(it, rng, "car", K["car"], airport, 0.4, (10, 50))
        walk_for(it, rng, (60, 180), env="indoor")
    it.stay(rng.uniform(600, 1100))
    with trip(it):
        walk_for(it, rng, (60, 200), env="indoor")
        it.flight(home, rng)
        walk_for(it, rng, (180, 480), env="indoor")
    it.stay(rng.uniform(300, 900))
    taxi_into_town(it, rng)


PARITY_DAYS = {"bus-change": bus_change_day, "plane-connect": plane_connect_day,
               "plane-rail": plane_rail_day, "plane-twice": plane_twice_day}


# ---- running them ---------------------------------------------------------------------

def make_day(family: str, regime: str, seed: int) -> Day:
    rng = random.Random(f"{family}/{regime}/{seed}")
    t0 = int(FIRST_DAY.timestamp()) + 86400 * (seed % 28)
    it = Itinerary(ORIGIN, t0)
    it.feed_rng = random.Random(f"{family}/{regime}/{seed}/feed")
    it.tram_rng = random.Random(f"{family}/{regime}/{seed}/tram")
    (FAMILIES.get(family) or PARITY_DAYS[family])(it, rng)
    tunnel = rng.choice(("silent", "network"))
    seen = []
    fixes = observe(it.samples, REGIMES[regime], ORIGIN, rng, tunnel=tunnel, seen=seen)
    # its own rng: the fixes, and every figure read without speeds, stay what they were
    vels = doppler_speeds(seen, random.Random(f"{family}/{regime}/{seed}/doppler"))
    name = f"{family}_{regime}_{seed}"
    return Day(name, family, regime, fixes, it.truth(name, TZ), it.lines, vels)


def scenario_days(families=None, regimes=None, seeds: int = 2):
    """Every family x regime x seed, lazily."""
    for family in families or FAMILIES:
        for regime in regimes or REGIMES:
            for seed in range(seeds):
                yield make_day(family, regime, seed)


def write_day(day: Day, root: str, vel: bool = False) -> str:
    """points.csv + truth.json under root/<day.name>/, as the shared scorers read them,
    and the day's GTFS feed in root/<day.name>/gtfs/ (read only when asked for). `vel`: a
    `vel` column, the phone's speed (empty where it sent none); off by default, as the real
    sets carry no speed."""
    folder = os.path.join(root, day.name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "points.csv"), "w", newline="") as f:
        w = csv.writer(f)
        if vel:
            w.writerow(("ts", "lat", "lon", "acc", "vel"))
            w.writerows((*fix, "" if v is None else v) for fix, v in zip(day.fixes, day.vels))
        else:
            w.writerow(("ts", "lat", "lon", "acc"))
            w.writerows(day.fixes)
    with open(os.path.join(folder, "truth.json"), "w") as f:
        json.dump(day.truth, f)
    write_feed(day.lines, os.path.join(folder, "gtfs"))
    return folder
