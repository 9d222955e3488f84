"""Public-transport knowledge: does a leg follow a route and serve its stops?

Built from plain data (a GTFS feed's stops, shapes and route types, see carbon.gtfs), kept in a
coarse grid so a lookup costs a few cell visits. A leg is given to a mode when most of its
fixes lie near a route of that mode and it stood still at that mode's stops; a car on the same
street passes stops without stopping, a bus stops at them.
"""
import math
from array import array
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
# Fixes minutes apart (a distance filter's ~500 m, a location history's 1-2 minutes) show no
# halt, and their chords cut the line's corners: they are matched to a line as map-matching
# matches sparse GPS to roads (Lou et al. 2009, "Map-matching for low-sampling-rate GPS
# trajectories", ACM GIS; Newson & Krumm 2009): each fix near the line's shape, within its
# error (its claimed accuracy up to SPARSE_ON_ROUTE_M: a parallel street lies a block,
# 80-250 m, away), in order along it; the length along the shape between them is the path
# ridden. A fix coarser than that (Wi-Fi, a cell) tells nothing either way.
SPARSE_ON_ROUTE_M = 80.0
# ... but a leg mostly seen coarsely (a metro's network positions between two street fixes)
# has no path shown: half its fixes at least must lie on the line
SPARSE_SEEN_SHARE = 0.5
SPARSE_BACK_M = 100.0      # two fixes' errors along the line: a step "back" that small is noise
# A shape longer than this between two fixes is not the way they went (a line looping off
# while the member cut across): route circuity between places is 1.2-1.4 (carbon.legs)
MAX_LINE_DETOUR = 1.8
MIN_STOPS_SERVED = 2
# A bus, a tram or a metro stops at most of the stops it passes: trams and metros at every
# one, urban buses at all but the request stops nobody asked for (the suite's buses skip a
# fifth). A car or a bike on the same street halts where its junctions are, and a stop is
# within AT_STOP_M of one of its halts about a third of the time (lights at half the
# corners, a corner every 80-250 m, a stop every 300-500 m): two stops "served" among
# fifteen passed is a car at the lights, not a bus. So the stops served must be more than
# chance halts give: at most a 5 % chance of as many among those passed at 1 in 3
# (a bus serving 4 of 5 or 7 of 10 passes, a car rarely).
CHANCE_HALT_AT_STOP = 1 / 3
CHANCE_MAX = 0.05
# A tram or a metro halts at every stop (15-40 s) and slows into and out of it, so a fix
# taken at a clock's step (a location history's 1-2 minutes, not a distance filter's)
# finds it within AT_STOP_M of a stop ~40-50 % of the time: per stop, a 20 s dwell and
# ~20 s braking and pulling away over the 100 m zone, in a cycle of ~90 s (stops every
# 400-600 m at 8-10 m/s between them; the suite's trams: half their fixes at a stop, from
# 14 % to 83 %). A car or a bike passing the same stops without halting is in that zone
# for its length only: 2 x AT_STOP_M per 500 m of stop spacing, a fifth of its time
# (the suite's cars and bikes on a tram line: 0-25 %, one bike 50 %). More fixes at the
# stops than a fifth gives by chance (CHANCE_MAX) shows the dwells.
SPARSE_CHANCE_AT_STOP = 0.2
CELL_DEG = 0.005          # ~500 m cells
MAX_HALT_STEP_S = 60      # a 10-40 s dwell shows as a standing step only between fixes this close
# A phone that drops fixes while standing (Android, the Helsinki phones) shows a dwell as
# one longer step at a fraction of the ride's pace, not as a standing one: a step of 8 s or
# more at under a third of the leg's median pace held a halt.
_HIDDEN_HALT_S = 8
_HIDDEN_HALT_PACE = 0.35
# Standing at stops tells a vehicle only if it moves like one between them: a walker's
# one-second steps fall below STOP_SPEED_MS all the time (GPS jitter at 1.3 m/s), and a
# walk along a bus street would "serve" every stop it passes. A leg whose steps never
# exceed a walker's sustained pace (p85 at most 3 m/s, carbon/envelopes.py) is no ride;
# a bus crawling in a jam (median 0.8 m/s) still reaches 5-6 m/s between its queues.
MIN_RIDE_P85_MS = 3.0


def route_type_mode(route_type: int) -> str | None:
    if route_type in ROUTE_TYPE_MODES:
        return ROUTE_TYPE_MODES[route_type]
    for lo, hi, mode in _EXTENDED:
        if lo <= route_type < hi:
            return mode
    return None


def _cell(lat: float, lon: float) -> tuple:
    return int(lat // CELL_DEG), int(lon // CELL_DEG)


@dataclass
class TransitIndex:
    """Stops and route shapes by mode, indexed on a grid.

    Kept in memory for the service's life (gateway.trips.transit) on a 512 MB board, so the
    shapes are stored flat: every shape's points one after another in `lat`/`lon`/`along`
    (8 bytes each, metres along its shape at each point), `shape_of` naming each point's
    shape, whose mode and route type are in `shape_mode`/`shape_type`. A segment is the id of
    its first point (its last is id + 1, on the same shape); a grid cell holds the ids of the
    segments crossing it. 600 shapes x 1000 points: 158 MB held with tuples per cell (their
    coordinates' tuples included), 21 MB so (bench/transit_index.py)."""
    segments: dict = field(default_factory=dict)   # cell -> array of segment ids
    stops: dict = field(default_factory=dict)      # cell -> [(mode, lat, lon)]
    line_modes: set = field(default_factory=set)   # the modes the feed has lines of
    lat: array = field(default_factory=lambda: array("d"))
    lon: array = field(default_factory=lambda: array("d"))
    along: array = field(default_factory=lambda: array("d"))
    shape_of: array = field(default_factory=lambda: array("i"))
    shape_mode: list = field(default_factory=list)
    shape_type: list = field(default_factory=list)

    def add_shape(self, mode: str, coords: list, route_type: int | None = None) -> None:
        self.line_modes.add(mode)
        shape, first = len(self.shape_mode), len(self.lat)
        self.shape_mode.append(mode)
        self.shape_type.append(route_type)
        cum = [0.0]
        for a, b in zip(coords, coords[1:]):
            cum.append(cum[-1] + distance_m(*a, *b))
        self.lat.extend(lat for lat, _lon in coords)
        self.lon.extend(lon for _lat, lon in coords)
        self.along.extend(cum[:len(coords)])
        self.shape_of.extend(array("i", [shape]) * len(coords))
        for k, (a, b) in enumerate(zip(coords, coords[1:])):
            cells = {_cell(*a), _cell(*b)}
            steps = int(distance_m(*a, *b) // 250) + 1   # long segments cross several cells
            for n in range(1, steps):
                f = n / steps
                cells.add(_cell(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
            for c in cells:
                ids = self.segments.get(c)
                if ids is None:
                    ids = self.segments[c] = array("i")
                ids.append(first + k)

    def _segments_near(self, lat: float, lon: float, tol: float) -> list:
        """[(segment id, metres from (lat, lon) to it, share of it where the foot lies)] of
        the segments in the 3 x 3 cells around that pass within `tol`, in the cells' order,
        on a local flat projection. Written out in one loop: a feed's cell holds hundreds of
        segments, each read on every fix of a leg."""
        la, lo, grid = self.lat, self.lon, self.segments
        kx, ky = metres_per_degree_lon(lat), METRES_PER_DEGREE_LAT
        ci, cj = _cell(lat, lon)
        hits = []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for g in grid.get((ci + di, cj + dj), ()):
                    ax, ay = (lo[g] - lon) * kx, (la[g] - lat) * ky
                    bx, by = (lo[g + 1] - lon) * kx, (la[g + 1] - lat) * ky
                    dx, dy = bx - ax, by - ay
                    seg2 = dx * dx + dy * dy
                    t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
                    px, py = ax + t * dx, ay + t * dy
                    d = (px * px + py * py) ** 0.5
                    if d <= tol:
                        hits.append((g, d, t))
        return hits

    def add_stop(self, mode: str, lat: float, lon: float) -> None:
        self.stops.setdefault(_cell(lat, lon), []).append((mode, lat, lon))

    def _near(self, grid: dict, lat: float, lon: float):
        ci, cj = _cell(lat, lon)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                yield from grid.get((ci + di, cj + dj), ())

    def modes_on_route(self, lat: float, lon: float) -> set:
        modes, shape_of = self.shape_mode, self.shape_of
        return {modes[shape_of[g]] for g, _d, _t in self._segments_near(lat, lon, ON_ROUTE_M)}

    def _types_on_route(self, lat: float, lon: float, mode: str) -> set:
        modes, types, shape_of = self.shape_mode, self.shape_type, self.shape_of
        return {types[shape_of[g]] for g, _d, _t in self._segments_near(lat, lon, ON_ROUTE_M)
                if modes[shape_of[g]] == mode and types[shape_of[g]] is not None}

    def modes_at_stop(self, lat: float, lon: float) -> set:
        return {m for m, slat, slon in self._near(self.stops, lat, lon)
                if distance_m(lat, lon, slat, slon) <= AT_STOP_M}

    def match_route(self, points: list, counts: dict | None = None) -> tuple:
        """(mode, GTFS route type or None) of the line this leg follows, or (None, None).
        The route type tells a high-speed line from a regional one (carbon.footprint).
        ``counts``: ``route_counts(points)``, when the caller has it already."""
        mode = self.match(points, counts)
        if mode is None:
            return None, None
        counts = {}
        for p in points[::max(1, len(points) // 20)]:
            for t in self._types_on_route(p.lat, p.lon, mode):
                counts[t] = counts.get(t, 0) + 1
        return mode, (max(counts, key=counts.get) if counts else None)

    def follows(self, points: list, mode: str) -> bool:
        """Whether most of these fixes lie on a route of this mode."""
        on = sum(1 for p in points if mode in self.modes_on_route(p.lat, p.lon))
        return len(points) >= 2 and on >= MIN_ON_ROUTE_SHARE * len(points)

    def route_counts(self, points: list) -> dict:
        """{mode: how many of these fixes lie within ON_ROUTE_M of one of its lines}: the
        one scan of a leg's fixes that ``match`` and ``route_shares`` both read."""
        counts = {}
        for p in points:
            for m in self.modes_on_route(p.lat, p.lon):
                counts[m] = counts.get(m, 0) + 1
        return counts

    def route_shares(self, points: list, counts: dict | None = None) -> dict:
        """{mode: share of these fixes within ON_ROUTE_M of one of its lines}."""
        if not points:
            return {}
        counts = self.route_counts(points) if counts is None else counts
        return {m: n / len(points) for m, n in counts.items()}

    def match(self, points: list, counts: dict | None = None) -> str | None:
        """The public-transport mode this leg's fixes follow, or None."""
        if len(points) < 3:
            return None
        counts = self.route_counts(points) if counts is None else counts
        candidates = [m for m, n in counts.items() if n >= MIN_ON_ROUTE_SHARE * len(points)]
        if not candidates:
            return None
        served, passed = self._stops_served(points, set(candidates))
        best = max(candidates, key=lambda m: (served.get(m, 0), counts[m]))
        if best in ("train", "boat"):     # no road runs along those
            return best
        n = served.get(best, 0)
        ok = n >= MIN_STOPS_SERVED and \
            _tail(n, max(n, passed.get(best, 0)), CHANCE_HALT_AT_STOP) <= CHANCE_MAX
        return best if ok else None

    def _on_shapes(self, lat: float, lon: float, tol: float) -> dict:
        """{shape: (mode, metres along it)} of the shapes passing within `tol` of (lat, lon),
        at the foot of its nearest segment on each."""
        best, cum = {}, self.along
        for g, d, t in self._segments_near(lat, lon, tol):
            shape = self.shape_of[g]
            if shape not in best or d < best[shape][0]:
                best[shape] = (d, self.shape_mode[shape], cum[g] + t * (cum[g + 1] - cum[g]))
        return {s: (m, x) for s, (_d, m, x) in best.items()}

    def line_path(self, points: list) -> tuple:
        """(mode, path over chords) of the line whose one shape these sparse fixes follow
        in order (see SPARSE_ON_ROUTE_M): MIN_ON_ROUTE_SHARE of the fixes fine enough to
        tell, two at least and half of all, lie near it; their positions along it never step back beyond
        SPARSE_BACK_M; the length along it between the first and the last over the chords
        between them (the path ridden, if ridden there), within MAX_LINE_DETOUR.
        (None, None) when no shape is followed."""
        fine = _fine(points)
        if len(fine) < 2:
            return None, None
        seen = {}
        for i, p in enumerate(fine):
            near = self._on_shapes(p.lat, p.lon, max(ON_ROUTE_M, p.acc or 0.0))
            for shape, (m, x) in near.items():
                seen.setdefault(shape, (m, []))[1].append((i, x))
        best = (None, None, 0)
        for m, hits in seen.values():
            if len(hits) < max(2, MIN_ON_ROUTE_SHARE * len(fine), SPARSE_SEEN_SHARE * len(points)) \
                    or len(hits) < best[2]:
                continue
            bend = _ordered_bend(fine, hits)
            if bend is not None and (len(hits) > best[2] or bend < best[1]):
                best = (m, bend, len(hits))
        return best[0], best[1]

    def fixes_at_stops(self, points: list, mode: str) -> tuple:
        """(fixes within AT_STOP_M of a stop of this mode's lines, fixes fine enough to
        tell: SPARSE_ON_ROUTE_M): at steps minutes apart, how often the phone caught the
        leg at a stop (see SPARSE_CHANCE_AT_STOP). A fix at the stop the fix before was
        at does not count again: a dwell (15-40 s) never spans two steps of 1-2 minutes,
        a member standing there (a trip's start read into its leg) does."""
        fine = _fine(points)
        k, before = 0, set()
        for p in fine:
            near = set(self._stops_near(p.lat, p.lon, {mode}))
            k += bool(near) and not (near & before)
            before = near
        return k, len(fine)

    def dwells_shown(self, points: list, mode: str) -> bool:
        """Do fixes taken at a clock's steps (1-2 minutes) lie at this mode's stops more
        often than passing traffic's would by chance (SPARSE_CHANCE_AT_STOP)?"""
        k, n = self.fixes_at_stops(points, mode)
        return n > 0 and _tail(k, n, SPARSE_CHANCE_AT_STOP) <= CHANCE_MAX

    def waited_for(self, places: list, points: list, mode: str) -> bool:
        """Could a member standing at one of `places` ((lat, lon): where they stood, where
        the ride began) have waited there for a `mode` of the feed's lines and ridden it on?
        A service is waited for at its stop (a stop of the mode within AT_STOP_M), and the
        ride boarded there follows a line that passes that stop: MIN_ON_ROUTE_SHARE of the
        ride's fixes fine enough to tell (SPARSE_ON_ROUTE_M) lie on one of the shapes
        passing the stop, each within its error. A car driven off after an errand leaves
        from a kerb with no line or along streets no line from there takes."""
        fine = _fine(points)
        if not fine:
            return True     # nothing to tell: the feed says nothing against the wait
        shapes = set()
        for lat, lon in places:
            if self._stops_near(lat, lon, {mode}):
                shapes.update(s for s, (m, _x) in self._on_shapes(lat, lon, AT_STOP_M).items()
                              if m == mode)
        if not shapes:
            return False
        on = {s: 0 for s in shapes}
        for p in fine:
            for s in self._on_shapes(p.lat, p.lon, max(ON_ROUTE_M, p.acc or 0.0)).keys() & shapes:
                on[s] += 1
        return max(on.values()) >= MIN_ON_ROUTE_SHARE * len(fine)

    def _stops_near(self, lat: float, lon: float, modes: set):
        return [(m, slat, slon) for m, slat, slon in self._near(self.stops, lat, lon)
                if m in modes and distance_m(lat, lon, slat, slon) <= AT_STOP_M]

    def _stops_served(self, points: list, modes: set) -> tuple:
        """({mode: stops where the leg stood still}, {mode: stops it passed}), each stop
        counted once. Only stops passed where the phone could have seen a halt count:
        near a fix whose next step is at most MAX_HALT_STEP_S."""
        steps = [(p, q, distance_m(p.lat, p.lon, q.lat, q.lon) / (q.ts - p.ts))
                 for p, q in zip(points, points[1:]) if 0 < q.ts - p.ts <= MAX_HALT_STEP_S]
        paces = sorted(v for _p, _q, v in steps)
        pace = paces[len(paces) // 2] if paces else 0.0
        if paces and paces[int(0.85 * (len(paces) - 1))] <= MIN_RIDE_P85_MS:
            return {}, {}
        served, passed = set(), set()
        for p, q, v in steps:
            near = self._stops_near(p.lat, p.lon, modes)
            passed.update(near)
            if v < STOP_SPEED_MS or (q.ts - p.ts >= _HIDDEN_HALT_S and v < _HIDDEN_HALT_PACE * pace):
                served.update(near)
        place = _places(passed)     # served is a subset: counted on the same places
        return _count({place[s] for s in served}), _count(set(place.values()))


def _fine(points: list) -> list:
    """The fixes fine enough to tell whether they lie on a line (SPARSE_ON_ROUTE_M)."""
    return [p for p in points if (p.acc or 0.0) <= SPARSE_ON_ROUTE_M]


def _ordered_bend(fine: list, hits: list) -> float | None:
    """Path along the shape over the chords between the first and the last of `hits`
    ([(index in fine, metres along)]), or None if they are not in order along it (either
    way: a shape is one direction, the other often runs the same streets) or the shape
    detours beyond MAX_LINE_DETOUR."""
    xs = [x for _i, x in hits]
    sign = 1.0 if xs[-1] >= xs[0] else -1.0
    top = xs[0]
    for x in xs[1:]:
        if sign * (x - top) < -SPARSE_BACK_M:
            return None
        top = x if sign * (x - top) > 0 else top
    i, j = hits[0][0], hits[-1][0]
    chords = sum(distance_m(p.lat, p.lon, q.lat, q.lon) for p, q in zip(fine[i:j], fine[i + 1:j + 1]))
    path = abs(xs[-1] - xs[0])
    if chords <= 0 or path > MAX_LINE_DETOUR * chords:
        return None
    return path / chords


def _places(stops: set) -> dict:
    """{stop: (mode, lat, lon) of the place it is at}: a halt serves one place, whatever
    number of stops the feed has there (both directions of a street, several lines meeting
    at a shop's or a home's corner, each line's terminus), so the chance model counts one
    event where one halt stood near five stops, not five (a car parking by a corner of stops
    was "serving" five of them); a stop within AT_STOP_M of a place's first stop is at it.
    The stops served and passed are counted on the same places, so no more places are ever
    served than passed."""
    out, kept = {}, {}
    for m, lat, lon in sorted(stops):
        here = kept.setdefault(m, [])
        at = next(((a, b) for a, b in here if distance_m(lat, lon, a, b) <= AT_STOP_M), None)
        if at is None:
            at = (lat, lon)
            here.append(at)
        out[(m, lat, lon)] = (m,) + at
    return out


def _count(places: set) -> dict:
    """{mode: how many of these places}."""
    out = {}
    for m, _lat, _lon in places:
        out[m] = out.get(m, 0) + 1
    return out


def _tail(k: int, n: int, p: float) -> float:
    """P(at least k of n) for a binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))
