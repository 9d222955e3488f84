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
from simulation.routes import Frame, Route, fairway, metro_line, point_at, smooth_line, streets

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
# The share of the town drives, taxi rides, bus rides and bike rides ridden at a big city's
# peak (`peak_drive`, `peak_bus`, `peak_bike`): stop-and-go waves over most of the way
# (`motion.stop_and_go`), Beijing's evening peak, where the held-out GeoLife days were
# logged (Microsoft Research Asia's staff and students, many of them commuting at 7-9 and
# 17-19 h, the hours that carry about two fifths of a large city's trips). An order of
# magnitude, drawn from its own generator (`Itinerary.peak_rng`): every other day is the
# day it was without it.
PEAK_SHARE = 0.3


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


def peak_drive(it: Itinerary, rng, xy: tuple) -> None:
    """A car or a taxi across a big city at its peak: stop-and-go waves over 60-95 % of the
    way (halts of 10-40 s, creeps at 0.5-2 m/s, bursts to 4-10 m/s at a car's 2 m/s2),
    lights with a long cycle's reds; 8-11 km/h door to door, the lower half of Beijing's
    taxis at peak (8-15 km/h; the network's average 20-25 km/h)."""
    route = streets(it.xy, xy, rng)
    it.bus_line_along(route, DECOY_SHARE)
    it.tram_line_along(route, TRAM_DECOY_SHARE)
    a = rng.uniform(0.0, 0.2) * route.length
    b = min(route.length, a + rng.uniform(0.6, 0.95) * route.length)
    halts, limit = motion.stop_and_go(a, b, rng, top=(4.0, 10.0), halt=(10, 40),
                                      burst=(20, 60))
    halts += motion.lights(route, rng, 0.5, (10, 60))
    it.leg("car", route, K["car"], rng, stops=halts, limit=limit)


def peak_bus(it: Itinerary, rng, route) -> None:
    """A bus at a big city's peak: stop-and-go waves over half to nine tenths of the ride
    (bursts to 3-8 m/s at a bus's 1 m/s2), stops every 300-600 m with 20-40 s at each (a
    peak's boarding), lights; a median of ~0.8-1.4 m/s and an 85th percentile of 5-7 m/s,
    issue #9's GeoLife bus (0.8 and 6)."""
    halts = motion.spaced_stops(route.length, rng, (300, 600), (20, 40), 0.9)
    it.line(3, route, [s for s, _ in halts])
    a = rng.uniform(0.0, 0.3) * route.length
    b = min(route.length, a + rng.uniform(0.5, 0.9) * route.length)
    jam, limit = motion.stop_and_go(a, b, rng, top=(3.0, 8.0))
    halts += jam + motion.lights(route, rng, 0.3, (10, 40))
    it.leg("bus", route, K["bus"], rng, stops=halts, limit=limit)


def peak_bike(it: Itinerary, rng, xy: tuple) -> None:
    """A cyclist in a bike lane beside that queue: 3-5 m/s (Beijing's cyclists; they pass
    the queue, which does not hold them), a red at most lights of a long cycle (20-90 s:
    Beijing's arterial cycles run 120-180 s)."""
    route = streets(it.xy, xy, rng)
    it.bus_line_along(route, DECOY_SHARE)
    it.tram_line_along(route, TRAM_DECOY_SHARE)
    it.leg("bike", route, K["bike"], rng, stops=motion.lights(route, rng, 0.6, (20, 90)),
           cruise=rng.uniform(3.0, 5.0))


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
    peak = it.peak_rng.random() < PEAK_SHARE

    def ride(xy):
        if rng.random() < 0.5:
            walk_for(it, rng, (40, 180))
        if peak:
            peak_bike(it, rng, xy)
        elif slow:
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
    """Town driving with lights and corners; on some days in a jam, on others across a big
    city at its peak (`peak_drive`)."""
    home, dest = it.xy, _far(rng, it.xy, 2500, 8000)
    jam = rng.random() < 0.2
    peak = it.peak_rng.random() < PEAK_SHARE

    def drive(xy):
        walk_for(it, rng, (30, 120))
        it.wait(rng.uniform(10, 40))
        if peak:
            peak_drive(it, rng, xy)
        else:
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
    peak = it.peak_rng.random() < PEAK_SHARE

    def ride(xy):
        stop_a = _far(rng, it.xy, 150, 500)
        walk(it, rng, stop_a)
        it.wait(rng.uniform(120, 600))
        stop_b = _far(rng, xy, 150, 400)
        route = streets(it.xy, stop_b, rng)
        if peak:
            peak_bus(it, rng, route)
            walk(it, rng, xy)
            return
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
    """Out of the arrival terminal by taxi, 8-20 km into town (on some days at the city's
    peak, `peak_drive`), and a half hour's stay."""
    peak = it.peak_rng.random() < PEAK_SHARE
    with trip(it):
        walk_for(it, rng, (60, 180))
        if peak:
            peak_drive(it, rng, _far(rng, it.xy, 8000, 20000))
        else:
            road(it, rng, "car", K["car"], _far(rng, it.xy, 8000, 20000), 0.4, (10, 50))
        walk_for(it, rng, (30, 90))
    it.stay(1800)


def ferry_day(it, rng):
    """Over to an island and back by the same fairway (`routes.fairway`: open water, a
    harbour's channel, a headland or a passage, in their shares of real routes)."""
    home = it.xy
    pier = _far(rng, it.xy, 300, 800)
    island = _far(rng, pier, 3000, 15000)
    lane = fairway(pier, island, rng)

    def cross(a, route):
        walk(it, rng, a)
        it.wait(rng.uniform(180, 600), env="open")
        it.line(4, route, [])
        it.leg("boat", route, K["boat"], rng, env="open")
    with trip(it):
        cross(pier, lane)
        walk(it, rng, _far(rng, it.xy, 200, 600))
    it.stay(rng.uniform(1500, 2400))
    with trip(it):
        cross(island, Route(lane.pts[::-1]))
        walk(it, rng, home)
    it.stay(1800)


# An errand by car (errands_day): the car is parked, the member walks to the shop's door,
# shops, walks back to the car and drives off from the same spot. Where the car is left:
# parking design gives retail customers 300-600 ft (90-180 m) at most from the space to the
# door (Smith & Butcher, "How far should parkers have to walk?", Parking, 1994, after Fruin's
# Pedestrian Planning and Design); shoppers surveyed in Vacaville, California (TJKM, 2010)
# would walk 100-1,500 ft, 600 ft (180 m) on average, and weekly shopping is the purpose
# with the shortest accepted walk (van der Waerden, Timmermans & de Bruin-Verhoeven, JTLU
# 10(1), 2017). The walk actually taken is shorter than the most accepted: log-uniform over
# 30-300 m (median ~95 m), and a share parked at the door (a shop's own forecourt, a space
# at the kerb: 5-15 m). Most searches for a space are a few turns, not circling
# (Millard-Ball, Weinberger & Hampshire, "The Shape of Cruising", Findings 2021, 5,316 GPS
# traces): the drive simply ends at the space. Inside: 3-20 minutes (a bakery, a pharmacy,
# a parcel point up to a small supermarket shop).
# At the car the member stands: getting out, the engine off, belongings, the lock (10-40 s),
# and getting back in, the belt, starting (15-60 s, as carbon.legs.EDGE_WALK_S cites; the
# egress and ingress movements alone are several phases of seconds each: Causse, Wang &
# Denninger's motion capture of car ingress and egress; Crizzle et al.'s review, 2017).
GET_OUT_S = (10.0, 40.0)
GET_IN_S = (15.0, 60.0)
PARK_WALK_M = (30.0, 300.0)
PARK_AT_DOOR = 0.2
PARK_AT_DOOR_M = (5.0, 15.0)
SHOP_STOP_S = (180.0, 1200.0)


def _parking(rng: random.Random, door: tuple) -> tuple:
    """Where the car is left for a shop at `door` (see PARK_WALK_M)."""
    if rng.random() < PARK_AT_DOOR:
        return _far(rng, door, *PARK_AT_DOOR_M)
    lo, hi = PARK_WALK_M
    return point_at(door, lo * (hi / lo) ** rng.random(), rng.uniform(0, 2 * math.pi))


def _walk_along(it: Itinerary, rng, route: Route, feed: bool = True) -> None:
    """A walk along this street route (see walk); `feed`: give the town's feed its chance
    of a line along it (not again on the way back along the same streets)."""
    if feed:
        it.bus_line_along(route, DECOY_SHARE)
        it.tram_line_along(route, TRAM_DECOY_SHARE)
    it.leg("walk", route, K["walk"], rng, stops=motion.lights(route, rng, 0.3, (5, 40)))


def errands_day(it, rng):
    """Short stops at shops (3-20 minutes) between trips, on foot or by car: each stop
    ends a trip. By car the member walks from the parked car to the shop and back to it
    along the same streets, and the next drive starts where the last one stopped (see
    PARK_WALK_M), standing at the car to get out and in (GET_OUT_S, GET_IN_S)."""
    by_car = rng.random() < 0.5
    home = it.xy
    shops = [_far(rng, home, 600, 2500)]
    shops.append(_far(rng, shops[0], 500, 2000))
    it.stay(rng.uniform(1200, 2400))
    if not by_car:
        for xy in shops + [home]:
            with trip(it):
                walk(it, rng, xy)
            it.stay(rng.uniform(*SHOP_STOP_S) if xy is not home else 1800)
        return
    # the car at home, in the drive or the street: 20-65 m, as walk_for's 20-60 s
    way = streets(home, _far(rng, home, 20, 65), rng, block=(60, 180))
    for k, xy in enumerate(shops + [home]):
        with trip(it):
            if k == 0:
                _walk_along(it, rng, way)
            else:           # back to the car, the way one came
                _walk_along(it, rng, Route(way.pts[::-1]), feed=False)
            it.wait(rng.uniform(*GET_IN_S))
            park = _parking(rng, xy) if xy is not home else _far(rng, home, 20, 65)
            road(it, rng, "car", K["car"], park, 0.5, (10, 50))
            it.wait(rng.uniform(*GET_OUT_S))
            way = streets(it.xy, xy, rng, block=(60, 180))
            _walk_along(it, rng, way)
        it.stay(rng.uniform(*SHOP_STOP_S) if xy is not home else 1800)


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


# ---- sessions: a logger switched on aboard, off mid-ride, hours apart ------------------
# A GeoLife trajectory is one logging session: the member switches the logger on already
# aboard (a bus, a taxi, a train leaving a station, a metro surfacing) or after walking out
# of a building, and the session ends when the battery dies or the logger is switched off
# mid-ride; an Android phone whose app was killed shows the same. Hours pass between
# sessions. Not in FAMILIES (the suite's figures stay comparable); tests read them, and
# `bench/trips.py --pure --sets scenarios --families sessions,aboard-bus,...` scores them.

def _ride(kind: str):
    """(it, rng, xy) -> one ride of this kind from here towards xy, the walk to it before."""
    def bus(it, rng, xy):
        walk(it, rng, _far(rng, it.xy, 150, 500))
        it.wait(rng.uniform(120, 600))
        route = streets(it.xy, _far(rng, xy, 150, 400), rng)
        halts = motion.spaced_stops(route.length, rng, (300, 500), (10, 40), 0.8)
        it.line(3, route, [s for s, _ in halts])
        it.leg("bus", route, K["bus"], rng, stops=halts + motion.lights(route, rng, 0.3, (10, 40)))

    def car(it, rng, xy):
        walk_for(it, rng, (30, 120))
        it.wait(rng.uniform(10, 40))
        road(it, rng, "car", K["car"], xy, 0.5, (10, 60))

    def bike(it, rng, xy):
        walk_for(it, rng, (40, 120))
        road(it, rng, "bike", K["bike"], xy, 0.4, (5, 40))

    def train(it, rng, xy):
        walk(it, rng, _far(rng, it.xy, 300, 900))
        TRAINS["regional"](it, rng, None, station_walk=False)

    def metro(it, rng, xy):
        walk(it, rng, _far(rng, it.xy, 200, 600))
        walk_for(it, rng, (40, 90), env="underground")
        it.wait(rng.uniform(60, 300), env="underground")
        route, stations = metro_line(it.xy, _far(rng, xy, 200, 500), rng, open_air=0.5)
        it.line(1, route, stations)
        it.leg("metro", route, K["metro"], rng, env="rail",
               stops=[(s, rng.uniform(20, 40)) for s in stations[1:-1]])
    return {"bus": bus, "car": car, "bike": bike, "train": train, "metro": metro}[kind]


_RIDE_KM = {"bus": (3, 9), "car": (4, 12), "bike": (2.5, 6), "train": (20, 80), "metro": (5, 12)}


def _ride_out(it, rng, kind: str, on_at: tuple | None = None, off_at: tuple | None = None,
              cold: bool = True) -> None:
    """A ride of `kind` and the walk off it, with the logger switched on (off) at that
    fraction of the ride (`on_at`/`off_at`: a range drawn from); a metro's on at the
    tunnel's end, where a logger first sees the sky."""
    dest = _far(rng, it.xy, *(k * 1000 for k in _RIDE_KM[kind]))
    _ride(kind)(it, rng, dest)
    ride = it._trip["sections"][-1]
    t0, t1 = ride["start_ts"], ride["end_ts"]
    if on_at is not None:
        it.logger_on(at=t0 + rng.uniform(*on_at) * (t1 - t0), cold=cold)
    if off_at is not None:
        it.logger_off(at=t0 + rng.uniform(*off_at) * (t1 - t0))
    walk_for(it, rng, (40, 150))


def starts_aboard(kind: str):
    """The logger switched on aboard, 20-60 % into the ride (a metro's in its tunnel, the
    first fix where it surfaces), cold or warm (two thirds cold: hours off, a long move);
    a whole trip back later in the day."""
    def family(it, rng):
        home = it.xy
        it.logger_off()
        it.stay(rng.uniform(1200, 2400))
        cold = rng.random() < 2 / 3
        with trip(it):
            _ride_out(it, rng, kind, on_at=(0.2, 0.45) if kind == "metro" else (0.2, 0.6),
                      cold=cold)
        it.stay(rng.uniform(1800, 3600))
        with trip(it):
            _ride(kind)(it, rng, home) if kind != "train" else walk(it, rng, _far(rng, it.xy, 500, 1500))
            walk_for(it, rng, (40, 150))
        it.stay(1800)
    family.__name__ = f"starts_aboard_{kind}"
    return family


def ends_aboard(kind: str):
    """A whole trip, a stay, then a ride on which the logger dies 30-80 % of the way."""
    def family(it, rng):
        it.stay(rng.uniform(1200, 2400))
        with trip(it):
            walk(it, rng, _far(rng, it.xy, 400, 1200))
        it.stay(rng.uniform(1800, 3600))
        with trip(it):
            _ride_out(it, rng, kind, off_at=(0.3, 0.8))
        it.stay(1800)
    family.__name__ = f"ends_aboard_{kind}"
    return family


def sessions_day(it, rng):
    """Two sessions hours apart: the first ends aboard a bus, the member's unseen afternoon
    (a stay, a trip, a stay) lasts 2-6 hours, and the second starts aboard a car (a taxi)
    2-25 km from where the first ended, cold, and ends at a stay."""
    it.stay(rng.uniform(1200, 2400))
    with trip(it):
        _ride_out(it, rng, "bus", off_at=(0.3, 0.8))
    gone = rng.uniform(2, 6) * 3600
    start = it.t
    it.stay(rng.uniform(0.3, 0.6) * gone)
    with trip(it):
        road(it, rng, "car", K["car"], _far(rng, it.xy, 2000, 25000), 0.5, (10, 60))
    it.stay(max(600.0, gone - (it.t - start)))
    with trip(it):
        _ride_out(it, rng, "car", on_at=(0.2, 0.6), cold=True)
    it.stay(1800)


SESSIONS = {**{f"aboard-{k}": starts_aboard(k) for k in _RIDE_KM},
            **{f"ends-{k}": ends_aboard(k) for k in _RIDE_KM},
            "sessions": sessions_day}


# ---- running them ---------------------------------------------------------------------

def make_day(family: str, regime: str, seed: int) -> Day:
    rng = random.Random(f"{family}/{regime}/{seed}")
    t0 = int(FIRST_DAY.timestamp()) + 86400 * (seed % 28)
    it = Itinerary(ORIGIN, t0)
    it.feed_rng = random.Random(f"{family}/{regime}/{seed}/feed")
    it.tram_rng = random.Random(f"{family}/{regime}/{seed}/tram")
    it.peak_rng = random.Random(f"{family}/{regime}/{seed}/peak")
    (FAMILIES.get(family) or SESSIONS.get(family) or PARITY_DAYS[family])(it, rng)
    tunnel = rng.choice(("silent", "network"))
    seen = []
    fixes = observe(it.samples, REGIMES[regime], ORIGIN, rng, tunnel=tunnel, seen=seen,
                    off=it.off_spans())
    # its own rng: the fixes, and every figure read without speeds, stay what they were
    vels = doppler_speeds(seen, random.Random(f"{family}/{regime}/{seed}/doppler"))
    name = f"{family}_{regime}_{seed}"
    truth = it.truth(name, TZ, [f[0] for f in fixes])
    return Day(name, family, regime, fixes, truth, it.lines, vels)


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
