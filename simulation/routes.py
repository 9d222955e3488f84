"""Where things move: routes as polylines in a local metric frame, and their shapes.

Each kind of way has the geometry that tells it apart on a trace: streets are a grid with
corners every 80-250 m (so road vehicles brake at turns), motorways and railways curve
gently (railway curves have radii of a kilometre or more, high-speed lines 4-7 km), metro
lines run straight between stations, and a flight is the great circle between two
airports. Coordinates are metres east (x) and north (y) of an origin; `Frame` turns them
into latitude and longitude.
"""
import math
import random
from dataclasses import dataclass, field

EARTH_M_PER_DEG = 6_371_000.0 * math.pi / 180.0


@dataclass(frozen=True)
class Frame:
    """A local flat frame around an origin (accurate to well under 1 % within 200 km)."""
    lat0: float
    lon0: float

    def latlon(self, x: float, y: float) -> tuple:
        lat = self.lat0 + y / EARTH_M_PER_DEG
        return lat, self.lon0 + x / (EARTH_M_PER_DEG * math.cos(math.radians(self.lat0)))


@dataclass
class Route:
    """A polyline, with the stretches that are underground (metro tunnels)."""
    pts: list                        # [(x, y)] metres
    tunnels: list = field(default_factory=list)   # [(s0, s1)] distance ranges underground
    cum: list = field(default_factory=list)

    def __post_init__(self):
        self.cum = [0.0]
        for (x0, y0), (x1, y1) in zip(self.pts, self.pts[1:]):
            self.cum.append(self.cum[-1] + math.hypot(x1 - x0, y1 - y0))

    @property
    def length(self) -> float:
        return self.cum[-1]

    def at(self, s: float, hint: int = 0) -> tuple:
        """((x, y), segment index) at distance s along the route."""
        i = min(hint, len(self.cum) - 2)
        while i < len(self.cum) - 2 and self.cum[i + 1] < s:
            i += 1
        seg = self.cum[i + 1] - self.cum[i]
        f = 0.0 if seg <= 0 else min(1.0, max(0.0, (s - self.cum[i]) / seg))
        (x0, y0), (x1, y1) = self.pts[i], self.pts[i + 1]
        return (x0 + f * (x1 - x0), y0 + f * (y1 - y0)), i

    def underground(self, s: float) -> bool:
        return any(a <= s <= b for a, b in self.tunnels)

    def turns(self) -> list:
        """[(s, angle in radians)] at each interior vertex."""
        out = []
        for k in range(1, len(self.pts) - 1):
            a = _heading(self.pts[k - 1], self.pts[k])
            b = _heading(self.pts[k], self.pts[k + 1])
            turn = abs((b - a + math.pi) % (2 * math.pi) - math.pi)
            out.append((self.cum[k], turn))
        return out

    @property
    def end(self) -> tuple:
        return self.pts[-1]


def _heading(p: tuple, q: tuple) -> float:
    return math.atan2(q[1] - p[1], q[0] - p[0])


def point_at(origin: tuple, distance: float, bearing: float) -> tuple:
    return origin[0] + distance * math.cos(bearing), origin[1] + distance * math.sin(bearing)


def streets(a: tuple, b: tuple, rng: random.Random, block: tuple = (80, 250)) -> Route:
    """A town route: a staircase of streets with a corner every block, ~1.3x the crow's
    flight (the detour factor of street networks is 1.2-1.4)."""
    pts = [a]
    x, y = a
    while math.hypot(b[0] - x, b[1] - y) > block[1]:
        dx, dy = b[0] - x, b[1] - y
        step = rng.uniform(*block)
        # walk along the axis with more ground left, sometimes the other one (real grids)
        along_x = (abs(dx) > abs(dy)) != (rng.random() < 0.3)
        if along_x:
            x += math.copysign(min(step, abs(dx)), dx)
        else:
            y += math.copysign(min(step, abs(dy)), dy)
        x += rng.gauss(0, 4)
        y += rng.gauss(0, 4)
        pts.append((x, y))
    pts.append(b)
    return Route(pts)


def smooth_line(a: tuple, b: tuple, rng: random.Random, radius_m: float,
                wiggle_m: float, step_m: float = 200.0) -> Route:
    """A line that curves gently (motorway, railway, ferry lane): the heading changes
    smoothly, at most as fast as a curve of `radius_m` allows, and wanders within
    `wiggle_m` of the straight line."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    n = max(2, int(length // step_m))
    offsets, off, slope = [], 0.0, 0.0
    max_curv = step_m / radius_m
    for k in range(n + 1):
        target = rng.gauss(0, wiggle_m) if k % 10 == 0 else None
        if target is not None:
            slope = max(-max_curv, min(max_curv, (target - off) / (10 * step_m)))
        off += slope * step_m
        offsets.append(off)
    offsets[0] = offsets[-1] = 0.0
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    pts = []
    for k in range(n + 1):
        f = k / n
        taper = min(1.0, 4 * min(f, 1 - f))
        o = offsets[k] * taper
        pts.append((a[0] + f * (b[0] - a[0]) - uy * o, a[1] + f * (b[1] - a[1]) + ux * o))
    return Route(pts)


# The shapes of real ferry routes over 3 km (docs/engine.md, round 13, ferry-channel): about
# half cross open water on one straight course (Staten Island 1.04 times its chord, Eminonu-
# Kadikoy, Konstanz-Meersburg, Helsinki-Tallinn), a quarter leave or reach a harbour by a
# channel 1-2.5 km long, 30-60 degrees off the line (Seattle-Bainbridge by Eagle Harbor,
# Portsmouth-Ryde by the harbour mouth and the Spithead channel: 1.07-1.2), the rest round a
# headland (Sydney's Manly ferry past Bradleys and Middle Heads, 1.15) or thread a passage
# between islands (Seattle-Bremerton by Rich Passage, 1.15; Stockholm's archipelago 1.3+, not
# drawn: it winds as a road does). A helmsman steers straight courses between waypoints.
FAIRWAY_SHARES = {"open": 0.45, "channel": 0.25, "headland": 0.15, "passage": 0.15}


def fairway(a: tuple, b: tuple, rng: random.Random, kind: str | None = None) -> Route:
    """A ferry's lane from pier a to pier b: straight courses between waypoints (the channel's
    mouth, off a headland, a passage's two ends), each drawn as `smooth_line` draws an open
    crossing (radius 400 m, wandering 300 m; a channel's 50 m). `kind` drawn by FAIRWAY_SHARES."""
    kind = kind or rng.choices(list(FAIRWAY_SHARES), list(FAIRWAY_SHARES.values()))[0]
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    bearing = math.atan2(b[1] - a[1], b[0] - a[0])
    side = rng.choice((-1, 1))
    if kind == "channel":
        # out of (or, half the time, into) a harbour: 1-2.5 km at 30-60 degrees off the line
        harbour = a if rng.random() < 0.5 else b
        back = 0.0 if harbour is a else math.pi
        turn = bearing + back + side * math.radians(rng.uniform(30, 60))
        mouth = point_at(harbour, min(rng.uniform(1000, 2500), 0.4 * length), turn)
        ways = [a, mouth, b]
    elif kind == "headland":
        # round a point standing out 10-25 % of the chord from the line, 30-70 % of the way
        f = rng.uniform(0.3, 0.7)
        ways = [a, _off_line(a, b, f, side * rng.uniform(0.10, 0.25) * length), b]
    elif kind == "passage":
        # across to a passage's mouth, through its S (a fifth to a third of the way), on
        ways = [a, _off_line(a, b, rng.uniform(0.35, 0.5), side * rng.uniform(0.08, 0.18) * length)]
        ways.append(_off_line(a, b, rng.uniform(0.6, 0.75), -side * rng.uniform(0.0, 0.08) * length))
        ways.append(b)
    else:
        ways = [a, b]
    pts = [a]
    for p, q in zip(ways, ways[1:]):
        channel = kind == "channel" and harbour in (p, q)     # the harbour's own, buoyed
        leg = smooth_line(p, q, rng, radius_m=400, wiggle_m=50 if channel else 300)
        pts.extend(leg.pts[1:])
    return Route(pts)


def _off_line(a: tuple, b: tuple, f: float, off: float) -> tuple:
    """The point f of the way from a to b, `off` metres to its left."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    ux, uy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
    return a[0] + f * (b[0] - a[0]) - uy * off, a[1] + f * (b[1] - a[1]) + ux * off


def metro_line(a: tuple, b: tuple, rng: random.Random, spacing: tuple = (700, 1500),
               open_air: float = 0.0) -> tuple:
    """(route, station distances): straight runs between stations, underground except a
    share `open_air` at the far end (lines surface in the suburbs, as in Helsinki)."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    stations, s = [0.0], 0.0
    while s + spacing[0] < length:
        s += rng.uniform(*spacing)
        stations.append(min(s, length))
    if length - stations[-1] < spacing[0] * 0.5:
        stations[-1] = length
    else:
        stations.append(length)
    pts = []
    for st in stations:
        f = st / length
        pts.append((a[0] + f * (b[0] - a[0]) + rng.gauss(0, 60) * (0 < f < 1),
                    a[1] + f * (b[1] - a[1]) + rng.gauss(0, 60) * (0 < f < 1)))
    route = Route(pts)
    tunnel_end = route.length * (1.0 - open_air)
    route.tunnels = [(0.0, tunnel_end)] if tunnel_end > 0 else []
    scale = route.length / length
    return route, [st * scale for st in stations]


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * \
        math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(h)))
