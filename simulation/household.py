"""A household in La Rochelle, simulated: noisy, sparse, late fixes with ground truth.

Pure and seeded: the same seed gives the same fixes. Used by `selfdata demo` (real-looking
trips at once), by tests (ground-truth legs per mode) and benchmarks; the engine never
imports it. Kinematics are simple but physical:
each mode has a cruise speed, an acceleration and a pattern of stops (lights, bus stops,
stations); phones then sample the motion densely ("move" mode, a fix every few seconds) or
sparsely ("significant changes", a fix every few hundred metres), add accuracy noise, wild
fixes and gaps.
"""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from carbon.geo import distance_m, METRES_PER_DEGREE_LAT, metres_per_degree_lon
from carbon.fix import Fix

# Places (lat, lon), approximate.
PLACES = {
    "home": (46.1512, -1.1365),            # Tasdon
    "alice_work": (46.1602, -1.1515),      # town hall, old town
    "bob_work": (46.1515, -1.0905),        # Périgny business park
    "bus_stop_home": (46.1530, -1.1382),
    "bus_stop_centre": (46.1590, -1.1495),
    "station": (46.1528, -1.1452),         # La Rochelle-Ville
    "market": (46.1665, -1.1440),       # covered market, 1 km from the office
    "vieux_port": (46.1565, -1.1530),
    "minimes": (46.1460, -1.1620),
    "seafront": (46.1450, -1.1700),
    "bordeaux_station": (44.8258, -0.5560),
    "bordeaux_centre": (44.8410, -0.5720),
    "airport": (46.1790, -1.1950),
    "lyon_airport": (45.7256, 5.0811),
}
RAIL_VIA = [(46.1528, -1.1452), (46.0930, -0.9800), (45.9380, -0.9640), (45.7430, -0.6340),
            (45.4500, -0.5000), (45.0500, -0.4500), (44.8258, -0.5560)]


@dataclass(frozen=True)
class Profile:
    cruise_ms: float
    cruise_sd: float
    accel: float            # m/s²
    stop_every_m: float     # 0: no planned stops
    stop_prob: float
    stop_s: tuple           # (min, max) standing time


PROFILES = {
    "walk": Profile(1.35, 0.12, 0.5, 250, 0.3, (5, 25)),
    "run": Profile(3.0, 0.15, 0.8, 0, 0, (0, 0)),
    "bike": Profile(4.8, 0.4, 0.8, 350, 0.4, (5, 30)),
    "e-bike": Profile(6.6, 0.15, 1.0, 500, 0.25, (5, 20)),
    "e-scooter": Profile(6.3, 0.15, 1.0, 500, 0.25, (5, 20)),
    "motorcycle": Profile(13.0, 1.0, 2.5, 500, 0.3, (8, 35)),
    "car": Profile(12.5, 1.0, 2.0, 450, 0.35, (10, 45)),
    "carpool": Profile(12.5, 1.0, 2.0, 450, 0.35, (10, 45)),
    "bus": Profile(10.0, 0.5, 0.9, 400, 0.95, (15, 35)),
    "tram": Profile(11.0, 0.5, 1.0, 500, 1.0, (18, 30)),
    "metro": Profile(16.0, 0.5, 1.1, 900, 1.0, (20, 30)),
    "train": Profile(38.0, 2.0, 0.5, 25000, 1.0, (60, 120)),
    "boat": Profile(6.0, 0.3, 0.3, 0, 0, (0, 0)),
}
HIGHWAY_MS = 29.0     # cars on long legs
TGV_MS = 75.0


@dataclass
class TruthLeg:
    member: str
    start_ts: int
    end_ts: int
    mode: str
    distance_m: float


@dataclass
class TruthTrip:
    member: str
    start_ts: int
    end_ts: int
    purpose: str
    legs: list = field(default_factory=list)


@dataclass
class Simulation:
    points: dict          # device -> [Fix] in time order
    truth: list           # [TruthTrip]
    devices: dict         # member -> device


# ---- geometry -------------------------------------------------------------------------

def street_route(a: tuple, b: tuple, rng: random.Random) -> list:
    """A town route from a to b: a staircase of streets, about 1.3x the straight line."""
    n = max(2, int(distance_m(*a, *b) // 400) + 1)
    pts = [a]
    for k in range(1, n):
        f = k / n
        lat = a[0] + f * (b[0] - a[0])
        lon = a[1] + f * (b[1] - a[1])
        if k % 2:
            pts.append((pts[-1][0], lon))
        else:
            pts.append((lat, pts[-1][1]))
        pts[-1] = (pts[-1][0] + rng.gauss(0, 0.0002), pts[-1][1] + rng.gauss(0, 0.0002))
    pts.append(b)
    return pts


def _cumulative(route: list) -> list:
    out = [0.0]
    for p, q in zip(route, route[1:]):
        out.append(out[-1] + distance_m(*p, *q))
    return out


def _position(route: list, cum: list, s: float, hint: int) -> tuple:
    i = hint
    while i < len(cum) - 2 and cum[i + 1] < s:
        i += 1
    seg = cum[i + 1] - cum[i]
    f = 0.0 if seg <= 0 else min(1.0, max(0.0, (s - cum[i]) / seg))
    a, b = route[i], route[i + 1]
    return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])), i


# ---- kinematics -----------------------------------------------------------------------

def _stops(length: float, prof: Profile, rng: random.Random) -> list:
    if prof.stop_every_m <= 0:
        return []
    out, s = [], 0.0
    while True:
        s += prof.stop_every_m * rng.uniform(0.7, 1.3)
        if s >= length - 30:
            return out
        if rng.random() < prof.stop_prob:
            out.append((s, rng.uniform(*prof.stop_s)))


def move(route: list, mode: str, t0: int, rng: random.Random) -> list:
    """(ts, lat, lon, speed) once per second along the route."""
    prof = PROFILES[mode]
    cum = _cumulative(route)
    length = cum[-1]
    cruise = max(0.5, rng.gauss(prof.cruise_ms, prof.cruise_sd))
    if mode in ("car", "carpool", "motorcycle") and length > 15000:
        cruise = HIGHWAY_MS
    if mode == "train" and length > 150000:
        cruise = TGV_MS
    stops = _stops(length, prof, rng) + [(length, 0.0)]
    out, s, v, t, hint, k = [], 0.0, 0.0, t0, 0, 0
    while s < length:
        target, wait = stops[k]
        brake = v * v / (2 * prof.accel)
        v = max(0.3, v - prof.accel) if target - s <= brake + v else min(cruise, v + prof.accel)
        s = min(s + v, target)
        t += 1
        (lat, lon), hint = _position(route, cum, s, hint)
        out.append((t, lat, lon, v))
        if s >= target and k < len(stops) - 1:
            for _ in range(int(wait)):
                t += 1
                out.append((t, lat, lon, 0.0))
            v, k = 0.0, k + 1
    return out


# ---- phones ---------------------------------------------------------------------------

@dataclass
class Phone:
    """How a device samples and how noisy it is."""
    sampling: str = "dense"        # "dense" (move mode) or "sparse" (significant changes)
    dense_every_s: int = 5
    sparse_every_m: float = 400.0
    stay_every_s: int = 900
    activity: bool = False         # reports its own motion activity (iOS)
    wild_share: float = 0.01       # cell-tower guesses and reflections

    def fix(self, ts: int, lat: float, lon: float, speed: float, rng: random.Random,
            activity: str | None = None) -> Fix:
        acc = rng.choice((5, 8, 10, 16, 16, 30, 65)) if self.sampling == "sparse" else rng.choice((5, 8, 10, 12, 16, 30))
        sigma = acc / 2.5
        if rng.random() < self.wild_share:
            acc = rng.choice((20, 800, 1500))
            sigma = 300.0 if acc == 20 else acc / 2
        dy, dx = rng.gauss(0, sigma), rng.gauss(0, sigma)
        lat += dy / METRES_PER_DEGREE_LAT
        lon += dx / metres_per_degree_lon(lat)
        return Fix(int(ts), round(lat, 7), round(lon, 7), float(acc),
                   vel=round(speed, 1) if speed is not None else None,
                   activity=activity if self.activity else None)


_ACTIVITY_OF = {"walk": "walking", "run": "running", "bike": "cycling", "e-bike": "cycling",
                "e-scooter": "cycling", "car": "automotive", "carpool": "automotive",
                "motorcycle": "automotive", "bus": "automotive", "tram": "automotive",
                "metro": "automotive", "train": "automotive", "boat": "automotive"}


def sample_motion(track: list, mode: str, phone: Phone, rng: random.Random) -> list:
    """The fixes a phone would report along a 1 Hz track."""
    out = []
    last = None
    guess = _ACTIVITY_OF.get(mode)
    for ts, lat, lon, v in track:
        if phone.sampling == "dense":
            due = last is None or ts - last[0] >= phone.dense_every_s + rng.randint(-1, 1)
        else:
            due = last is None or distance_m(last[1], last[2], lat, lon) >= phone.sparse_every_m
        if due:
            act = guess if rng.random() < 0.85 else rng.choice(list(_ACTIVITY_OF.values()))
            out.append(phone.fix(ts, lat, lon, v, rng, act))
            last = (ts, lat, lon)
    if track and (last is None or last[0] != track[-1][0]) and phone.sampling == "sparse":
        ts, lat, lon, v = track[-1]
        out.append(phone.fix(ts, lat, lon, v, rng, guess))
    return out


def sample_stay(place: tuple, t0: int, t1: int, phone: Phone, rng: random.Random) -> list:
    out = []
    t = t0 + rng.randint(30, 120)
    while t < t1:
        out.append(phone.fix(t, place[0], place[1], 0.0, rng, "stationary"))
        t += int(phone.stay_every_s * rng.uniform(0.5, 1.5))
    return out


def simulate_leg(mode: str, start: tuple, end: tuple, t0: int = 1_772_000_000, seed: int = 0,
                 phone: Phone | None = None, route: list | None = None) -> tuple:
    """(points, TruthLeg) for one leg in one mode, with a stay's fixes before and after."""
    rng = random.Random(seed)
    phone = phone or Phone()
    if mode == "plane":
        return _flight(start, end, t0, phone, rng)
    route = route or (street_route(start, end, rng) if mode not in ("train", "boat") else [start, end])
    track = move(route, mode, t0, rng)
    pts = sample_stay(start, t0 - 1800, t0, phone, rng)
    pts += sample_motion(track, mode, phone, rng)
    pts += sample_stay(end, track[-1][0], track[-1][0] + 1800, phone, rng)
    truth = TruthLeg("", t0, track[-1][0], mode, _cumulative(route)[-1])
    return pts, truth


def _flight(start: tuple, end: tuple, t0: int, phone: Phone, rng: random.Random) -> tuple:
    """Phones are off in flight: fixes at the gate, then at the arrival airport."""
    length = distance_m(*start, *end)
    t1 = t0 + int(length / 200.0) + 1800   # cruise plus taxi, climb and descent
    pts = sample_stay(start, t0 - 3600, t0, phone, rng)
    pts.append(phone.fix(t0, *start, 0.0, rng))
    pts.append(phone.fix(t1, *end, 0.0, rng))
    pts += sample_stay(end, t1, t1 + 1800, phone, rng)
    return pts, TruthLeg("", t0, t1, "plane", length)


# ---- the household --------------------------------------------------------------------

MEMBERS = {
    "alice": ("alice/iphone", Phone(sampling="dense", activity=True)),
    "bob": ("bob/android", Phone(sampling="sparse")),
}
START_DATE = date(2026, 3, 2)   # a Monday
TRAIN_DAY = 12                   # second Saturday: to Bordeaux, back on Sunday


def _tz():
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo("Europe/Paris")
    except Exception:
        return timezone(timedelta(hours=1))


def _at(day: date, hour: float, tz) -> int:
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    return int((base + timedelta(hours=hour)).timestamp())


def _bus(a: str, b: str) -> list:
    stop_a = "bus_stop_home" if a == "home" else "bus_stop_centre"
    stop_b = "bus_stop_centre" if b == "alice_work" else "bus_stop_home"
    return [("walk", a, stop_a), ("bus", stop_a, stop_b), ("walk", stop_b, b)]


def _plan(member: str, k: int, day: date, rng: random.Random) -> list:
    """[(depart_hour, purpose, [(mode, from, to)], stay_after_h)] for one member's day."""
    weekday = day.weekday()
    if k == TRAIN_DAY or k == TRAIN_DAY + 1:
        there = k == TRAIN_DAY
        legs = ([("walk", "home", "station"), ("train", "station", "bordeaux_station"),
                 ("walk", "bordeaux_station", "bordeaux_centre")] if there else
                [("walk", "bordeaux_centre", "bordeaux_station"), ("train", "bordeaux_station", "station"),
                 ("walk", "station", "home")])
        return [(9.0 if there else 16.5, "other" if there else "home", legs)]
    if member == "alice":
        if weekday < 5:
            by_bike = rng.random() < 0.75
            go = [("bike", "home", "alice_work")] if by_bike else _bus("home", "alice_work")
            back = [("bike", "alice_work", "home")] if by_bike else _bus("alice_work", "home")
            plan = [(8.0 + rng.uniform(0, 0.3), "commute", go)]
            if weekday in (1, 3):
                plan += [(12.5, "other", [("walk", "alice_work", "market")]),
                         (13.1, "work", [("walk", "market", "alice_work")])]
            return plan + [(17.6 + rng.uniform(0, 0.4), "commute", back)]
        if weekday == 5:
            return [(10.0, "other", [("walk", "home", "market")]),
                    (11.2, "home", [("walk", "market", "home")])]
        return [(9.5, "home", [("run", "home", "seafront"), ("run", "seafront", "home")])]
    if weekday < 5:
        mode = "carpool" if weekday == 4 else "car"
        return [(7.7 + rng.uniform(0, 0.2), "commute", [(mode, "home", "bob_work")]),
                (17.2 + rng.uniform(0, 0.4), "commute", [(mode, "bob_work", "home")])]
    if weekday == 5:
        return [(14.0, "other", [("bike", "home", "vieux_port")]),
                (15.0, "home", [("bike", "vieux_port", "home")])]
    return [(11.0, "other", [("walk", "home", "minimes")]), (12.5, "home", [("walk", "minimes", "home")])]


def _route(mode: str, a: str, b: str, rng: random.Random) -> list:
    pa, pb = PLACES[a], PLACES[b]
    if mode == "train":
        return RAIL_VIA if a == "station" else RAIL_VIA[::-1]
    if mode == "run" and {a, b} == {"home", "seafront"}:
        return street_route(pa, pb, random.Random(7))   # the same loop each Sunday
    return street_route(pa, pb, rng)


def _trip(member: str, t0: int, purpose: str, legs: list, phone: Phone, rng: random.Random) -> tuple:
    points, truth = [], TruthTrip(member, t0, t0, purpose)
    t = t0
    for i, (mode, a, b) in enumerate(legs):
        track = move(_route(mode, a, b, rng), mode, t, rng)
        leg_points = sample_motion(track, mode, phone, rng)
        points += leg_points
        truth.legs.append(TruthLeg(member, t, track[-1][0], mode, _cumulative(_route(mode, a, b, random.Random(0)))[-1]
                                   if mode == "train" else _track_length(track)))
        t = track[-1][0]
        nxt = legs[i + 1][0] if i + 1 < len(legs) else None
        if nxt in ("bus", "train", "tram", "metro", "boat"):
            wait = rng.randint(120, 420)      # on the platform: part of the walk leg
            place = PLACES[b]
            points += [phone.fix(w, place[0], place[1], 0.0, rng, "stationary")
                       for w in range(t + 10, t + wait, phone.dense_every_s if phone.sampling == "dense" else 600)]
            truth.legs[-1].end_ts = t + wait
            t += wait
    truth.end_ts = t
    return points, truth, t


def _track_length(track: list) -> float:
    return sum(distance_m(p[1], p[2], q[1], q[2]) for p, q in zip(track, track[1:]))


def iter_member_days(member: str, days: int, seed: int = 1, start: date = START_DATE,
                     phone: Phone | None = None):
    """(points, truth_trips) per simulated day of one member, lazily, in time order."""
    rng = random.Random(f"{seed}-{member}")
    phone = phone or MEMBERS[member][1]
    tz = _tz()
    place, since = "home", _at(start, 0, tz) - 3600
    for k in range(days):
        day = start + timedelta(days=k)
        points, truths = [], []
        for hour, purpose, legs in _plan(member, k, day, rng):
            t0 = max(_at(day, hour, tz), since + 600)
            points += sample_stay(PLACES[place], since, t0, phone, rng)
            pts, truth, since = _trip(member, t0, purpose, legs, phone, rng)
            points += pts
            truths.append(truth)
            place = legs[-1][2]
        end_of_day = _at(day + timedelta(days=1), 0, tz)
        points += sample_stay(PLACES[place], since, end_of_day, phone, rng)
        since = end_of_day
        yield points, truths


def iter_points(member: str, days: int, seed: int = 1, start: date = START_DATE, phone: Phone | None = None):
    """Every fix of one member's phone over `days` days, lazily (for long simulations)."""
    for points, _ in iter_member_days(member, days, seed, start, phone):
        yield from points


def simulate_household(days: int = 21, seed: int = 1, start: date = START_DATE) -> Simulation:
    """The household's phones over `days` days, with the true trips and legs."""
    points, truth, devices = {}, [], {}
    for member, (device, phone) in MEMBERS.items():
        devices[member] = device
        pts = points.setdefault(device, [])
        for day_points, day_truth in iter_member_days(member, days, seed, start, phone):
            pts += day_points
            truth += day_truth
    return Simulation(points, truth, devices)
