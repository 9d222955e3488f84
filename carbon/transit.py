"""Public-transport knowledge: does a leg follow a route and serve its stops?

Built from plain data (a GTFS feed's stops, shapes and route types, see carbon.gtfs), kept in a
coarse grid so a lookup costs a few cell visits. A leg is given to a mode when most of its
fixes lie near a route of that mode and it stood still at that mode's stops; a car on the same
street passes stops without stopping, a bus stops at them.
"""
from dataclasses import dataclass, field

from carbon.features import STOP_SPEED_MS
from carbon.geo import METRES_PER_DEGREE_LAT, distance_m, metres_per_degree_lon

# GTFS route_type -> our mode (basic and extended types).
ROUTE_TYPE_MODES = {0: "tram", 1: "metro", 2: "train", 3: "bus", 4: "boat", 5: "tram", 6: "bus",
                    7: "train", 11: "bus", 12: "train"}
_EXTENDED = ((100, 200, "train"), (200, 300, "bus"), (400, 500, "metro"), (700, 800, "bus"),
             (900, 1000, "tram"), (1000, 1100, "boat"), (1200, 1300, "boat"))
ON_ROUTE_M = 40.0         # GPS error plus half a street
AT_STOP_M = 50.0
MIN_ON_ROUTE_SHARE = 0.7
MIN_STOPS_SERVED = 2
CELL_DEG = 0.005          # ~500 m cells


def route_type_mode(route_type: int) -> str | None:
    if route_type in ROUTE_TYPE_MODES:
        return ROUTE_TYPE_MODES[route_type]
    for lo, hi, mode in _EXTENDED:
        if lo <= route_type < hi:
            return mode
    return None


def _cell(lat: float, lon: float) -> tuple:
    return int(lat // CELL_DEG), int(lon // CELL_DEG)


def _segment_distance(lat, lon, a, b) -> float:
    """Metres from a point to segment a-b (local flat projection)."""
    kx = metres_per_degree_lon(lat)
    ax, ay = (a[1] - lon) * kx, (a[0] - lat) * METRES_PER_DEGREE_LAT
    bx, by = (b[1] - lon) * kx, (b[0] - lat) * METRES_PER_DEGREE_LAT
    dx, dy = bx - ax, by - ay
    seg2 = dx * dx + dy * dy
    t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
    px, py = ax + t * dx, ay + t * dy
    return (px * px + py * py) ** 0.5


@dataclass
class TransitIndex:
    """Stops and route shapes by mode, indexed on a grid."""
    segments: dict = field(default_factory=dict)   # cell -> [(mode, a, b, route_type)]
    stops: dict = field(default_factory=dict)      # cell -> [(mode, lat, lon)]

    def add_shape(self, mode: str, coords: list, route_type: int | None = None) -> None:
        for a, b in zip(coords, coords[1:]):
            cells = {_cell(*a), _cell(*b)}
            steps = int(distance_m(*a, *b) // 250) + 1   # long segments cross several cells
            for k in range(1, steps):
                f = k / steps
                cells.add(_cell(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
            for c in cells:
                self.segments.setdefault(c, []).append((mode, a, b, route_type))

    def add_stop(self, mode: str, lat: float, lon: float) -> None:
        self.stops.setdefault(_cell(lat, lon), []).append((mode, lat, lon))

    def _near(self, grid: dict, lat: float, lon: float):
        ci, cj = _cell(lat, lon)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                yield from grid.get((ci + di, cj + dj), ())

    def modes_on_route(self, lat: float, lon: float) -> set:
        return {m for m, a, b, _t in self._near(self.segments, lat, lon)
                if _segment_distance(lat, lon, a, b) <= ON_ROUTE_M}

    def _types_on_route(self, lat: float, lon: float, mode: str) -> set:
        return {t for m, a, b, t in self._near(self.segments, lat, lon)
                if m == mode and t is not None and _segment_distance(lat, lon, a, b) <= ON_ROUTE_M}

    def modes_at_stop(self, lat: float, lon: float) -> set:
        return {m for m, slat, slon in self._near(self.stops, lat, lon)
                if distance_m(lat, lon, slat, slon) <= AT_STOP_M}

    def match_route(self, points: list) -> tuple:
        """(mode, GTFS route type or None) of the line this leg follows, or (None, None).
        The route type tells a high-speed line from a regional one (carbon.footprint)."""
        mode = self.match(points)
        if mode is None:
            return None, None
        counts = {}
        for p in points[::max(1, len(points) // 20)]:
            for t in self._types_on_route(p.lat, p.lon, mode):
                counts[t] = counts.get(t, 0) + 1
        return mode, (max(counts, key=counts.get) if counts else None)

    def match(self, points: list) -> str | None:
        """The public-transport mode this leg's fixes follow, or None."""
        if len(points) < 3:
            return None
        counts = {}
        for p in points:
            for m in self.modes_on_route(p.lat, p.lon):
                counts[m] = counts.get(m, 0) + 1
        candidates = [m for m, n in counts.items() if n >= MIN_ON_ROUTE_SHARE * len(points)]
        if not candidates:
            return None
        served = self._stops_served(points, set(candidates))
        best = max(candidates, key=lambda m: (served.get(m, 0), counts[m]))
        needed = 0 if best in ("train", "boat") else MIN_STOPS_SERVED   # no road runs along those
        return best if served.get(best, 0) >= needed else None

    def _stops_served(self, points: list, modes: set) -> dict:
        """Stops where the leg stood still, per mode (a dwell counted once per stop)."""
        served, last = {}, None
        for p, q in zip(points, points[1:]):
            dt = q.ts - p.ts
            if dt <= 0 or distance_m(p.lat, p.lon, q.lat, q.lon) / dt >= STOP_SPEED_MS:
                continue
            for m in self.modes_at_stop(p.lat, p.lon) & modes:
                key = (m, round(p.lat, 3), round(p.lon, 3))
                if key != last:
                    served[m] = served.get(m, 0) + 1
                    last = key
        return served
