"""How each mode moves along a route, once per second: speed, acceleration, stops.

The figures are typical values from the literature and operators, chosen so that each
mode's trace has the kinematics a detector must read, not a caricature of them:

* walking 1.2-1.5 m/s (Bohannon 1997: comfortable gait 1.27-1.46 m/s), crossings;
* running 2.5-3.8 m/s for recreational runners (a 4:20-6:40 min/km pace);
* cycling: 3.2-6 m/s in town (Copenhagen's average ~4.4 m/s, slow commuters ~3.3),
  accelerations ~0.5-1 m/s2, lights; e-bikes cruise near the 25 km/h (6.9 m/s) assistance cap;
* cars: 8-14 m/s on town streets with lights and corners, 25-36 m/s on motorways
  (110-130 km/h), accelerations up to 2-3 m/s2; in congestion, stop-and-go;
* buses: 8-12 m/s between stops every 300-500 m, 10-40 s dwell, gentle accelerations
  (0.8-1.2 m/s2, passengers stand); trams alike with 400-600 m spacing, up to 50 km/h;
* metro: 20-25 m/s between stations 0.7-1.5 km apart, 20-40 s dwell, ~1.1 m/s2;
* trains: regional 25-44 m/s (90-160 km/h), stations every 5-15 km, 30-120 s; intercity
  160 km/h, stations every 30-60 km, 2-6 min; high-speed 80-89 m/s (300-320 km/h), braking
  and accelerating at 0.3-0.5 m/s2, which a car never needs;
* ferries 5-10 m/s (10-20 knots), steady;
* peak-hour congestion in a large city (`stop_and_go`): waves of 1-3 minutes, each a halt
  of 10-45 s, often a creep at 0.5-2 m/s for 15-60 s as the queue closes up, and a burst
  to 3-10 m/s; the period is an oversaturated signal's cycle (90-180 s on Beijing's
  arterials; a queue moves once per green, HCM 2010's signalized intersections) or an
  urban stop-and-go wave's (1-3 min; such waves travel upstream at ~15 km/h whatever the
  road, Treiber & Kesting, Traffic Flow Dynamics, 2013), speeds 0-10 m/s; starting from a
  queue a car accelerates at 1-2.5 m/s2 (Long 2000, TRR 1737), a cyclist at 0.5-1 m/s2.
  Beijing's road network averaged 20-25 km/h at peak (Beijing Transport Institute, annual
  reports 2015-2019), its core arterials and taxis door to door 8-15 km/h, its buses at
  peak a median of 0.8 m/s and an 85th percentile of 6 m/s (issue #9's GeoLife bus).
  Cyclists in their own lane pass such a queue at 3-5 m/s, stopping only at the lights.
"""
import math
import random
from dataclasses import dataclass

from carbon.mode_params import coasting_ms


@dataclass(frozen=True)
class Kinematics:
    cruise: tuple           # (mean, sd) of the cruising speed across trips, m/s
    accel: float            # m/s2
    decel: float            # m/s2
    steadiness: float       # sd of the speed around cruise, as a fraction (AR(1), 20 s)
    corner_ms: float | None  # speed through a right-angle corner; None: corners ignored


KINEMATICS = {
    "walk": Kinematics((1.35, 0.12), 0.6, 0.8, 0.08, None),
    "run": Kinematics((3.0, 0.35), 0.8, 1.0, 0.06, None),
    "bike": Kinematics((4.6, 0.6), 0.7, 1.2, 0.10, 3.0),
    "bike_slow": Kinematics((3.3, 0.12), 0.5, 1.0, 0.05, 2.5),
    "e-bike": Kinematics((6.5, 0.3), 1.0, 1.5, 0.06, 3.5),
    "car": Kinematics((11.5, 1.5), 2.0, 2.5, 0.12, 5.0),
    "car_highway": Kinematics((32.0, 2.0), 1.5, 2.5, 0.05, None),
    "bus": Kinematics((10.0, 1.0), 1.0, 1.2, 0.08, 4.0),
    "coach": Kinematics((24.0, 1.0), 0.8, 1.0, 0.04, None),
    "tram": Kinematics((10.5, 0.8), 1.1, 1.2, 0.06, 5.0),
    "metro": Kinematics((21.0, 1.5), 1.1, 1.1, 0.04, None),
    "train_regional": Kinematics((36.0, 4.0), 0.5, 0.6, 0.02, None),
    "train_intercity": Kinematics((44.0, 1.5), 0.4, 0.5, 0.02, None),
    "train_highspeed": Kinematics((83.0, 3.0), 0.35, 0.45, 0.015, None),
    "boat": Kinematics((7.5, 1.0), 0.15, 0.2, 0.02, None),
}


@dataclass
class Sample:
    t: int
    x: float
    y: float
    v: float            # true speed, m/s
    env: str            # what the phone sees: "street", "open", "indoor", "underground", "air"


def lights(route, rng: random.Random, share: float, red_s: tuple) -> list:
    """[(s, wait)] at a share of the route's corners: a red light or a give-way."""
    return [(s, rng.uniform(*red_s)) for s, angle in route.turns()
            if angle > 0.5 and rng.random() < share]


def spaced_stops(length: float, rng: random.Random, every: tuple, dwell: tuple,
                 prob: float = 1.0) -> list:
    """[(s, dwell)] every `every` metres (bus stops, stations), served with `prob`."""
    out, s = [], 0.0
    while True:
        s += rng.uniform(*every)
        if s >= length - every[0] * 0.3:
            return out
        if rng.random() < prob:
            out.append((s, rng.uniform(*dwell)))


def congestion(length: float, rng: random.Random, s0: float, s1: float,
               every: tuple = (20, 120), halt: tuple = (5, 40)) -> list:
    """Stop-and-go between s0 and s1: a halt every `every` metres for `halt` seconds (a
    queue; the defaults make a bus crawl at a median of ~1 m/s)."""
    out, s = [], s0
    while s < min(s1, length - 30):
        s += rng.uniform(*every)
        out.append((s, rng.uniform(*halt)))
    return out


def stop_and_go(s0: float, s1: float, rng: random.Random, top: tuple = (3.0, 10.0),
                halt: tuple = (10, 45), burst: tuple = (15, 60), creep: float = 0.6) -> tuple:
    """(halts, limits) between s0 and s1: congestion in waves of 1-3 minutes (see the
    docstring). Each wave halts for `halt` seconds; with probability `creep` it then
    creeps at 0.5-2 m/s for 15-60 s (the queue closing up); then it bursts to a speed
    drawn in `top` for `burst` seconds of travel before braking into the next halt.
    `halts` are `move`'s stops, `limits` its (s0, s1, max speed) stretches."""
    halts, limits, s = [], [], s0
    while s < s1:
        halts.append((s, rng.uniform(*halt)))
        if rng.random() < creep:
            v = rng.uniform(0.5, 2.0)
            d = v * rng.uniform(15, 60)
            limits.append((s, s + d, v))
            s += d
        v = rng.uniform(*top)
        d = max(20.0, 0.7 * v * rng.uniform(*burst))   # accelerating, braking: ~0.7 of v
        limits.append((s + 1.0, s + d, v))
        s += d
    return halts, limits


def _constraints(route, kin: Kinematics, stops: list) -> list:
    """[(s, max speed there, dwell)] in route order: stops (0) and corners."""
    out = [(s, 0.0, w) for s, w in stops]
    if kin.corner_ms is not None:
        for s, angle in route.turns():
            if angle > 0.35:
                # a right angle at corner_ms, gentler turns faster (lateral acceleration)
                out.append((s, kin.corner_ms * (math.pi / 2 / angle) ** 0.5, 0.0))
    out.append((route.length, 0.0, 0.0))
    return sorted(out)


def move(route, kin: Kinematics, t0: int, rng: random.Random, stops: list = (),
         cruise: float | None = None, limit: list = (), env: str = "street",
         descents: list = ()) -> list:
    """1 Hz samples along the route from t0, ending standing at its end.

    `limit`: [(s0, s1, max speed)] stretches (a congested lane, a town's speed limit);
    `descents`: [(s0, s1, speed)] stretches downhill, where gravity holds a bicycle at
    that speed whatever its motor (descent_speed); lights and corners still brake it."""
    cons = _constraints(route, kin, list(stops))
    cruise = cruise or max(0.6, rng.gauss(*kin.cruise))
    out, s, v, t, k, hint, wobble = [], 0.0, 0.0, t0, 0, 0, 0.0
    while k < len(cons):
        target_s, target_v, dwell = cons[k]
        wobble = 0.95 * wobble + rng.gauss(0, kin.steadiness * math.sqrt(1 - 0.95 ** 2))
        want = cruise * (1.0 + wobble)
        for a, b, vd in descents:
            if a <= s <= b:
                want = max(want, vd * (1.0 + wobble))
        for a, b, vmax in limit:
            if a <= s <= b:
                want = min(want, vmax)
        allowed = min(math.sqrt(max(0.0, cv ** 2 + 2 * kin.decel * max(0.0, cs - s - v)))
                      for cs, cv, _ in cons[k:k + 4])   # brake for what comes next
        nv = max(0.0, min(v + kin.accel, want, allowed))
        step = 0.5 * (v + nv)
        if target_v == 0.0 and target_s - s < 2.0:
            step = target_s - s          # creep the last metres to the stop line
        s = min(s + max(step, 0.3), target_s)
        v = nv
        t += 1
        (x, y), hint = route.at(s, hint)
        here = "underground" if route.underground(s) else env
        out.append(Sample(t, x, y, v, here))
        if s >= target_s - 0.5:
            if target_v == 0.0:
                v = 0.0
                for _ in range(int(dwell)):
                    t += 1
                    out.append(Sample(t, x, y, 0.0, here))
            k += 1
    return out


def descent_speed(grade: float) -> float:
    """m/s at which a coasting upright bicycle settles on this downhill grade (0.05: 5 %):
    carbon.mode_params.coasting_ms, the physics and its sources."""
    return coasting_ms(grade)


def stand(x: float, y: float, t0: int, seconds: int, env: str = "indoor") -> list:
    return [Sample(t0 + k + 1, x, y, 0.0, env) for k in range(int(seconds))]


def track_length(samples: list) -> float:
    return sum(math.hypot(b.x - a.x, b.y - a.y) for a, b in zip(samples, samples[1:]))
