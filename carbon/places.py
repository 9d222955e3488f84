"""Places: stays that recur at one location, and what they are to the member.

Home is where the nights are spent, work where weekday working hours are spent (elsewhere
than home). A trip's purpose follows from the places at its ends, as in Coach CO2.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from carbon.geo import METRES_PER_DEGREE_LAT, distance_m

PLACE_RADIUS_M = 150.0
NIGHT = (22, 6)             # local hours
WORKDAY = (9, 17)
MIN_HOME_NIGHT_S = 3 * 4 * 3600     # three nights of four hours
MIN_WORK_S = 3 * 4 * 3600           # three working half-days and a bit
MIN_WORK_FROM_HOME_M = 300.0


@dataclass(slots=True)
class Place:
    id: str
    lat: float
    lon: float
    label: str | None = None     # "home", "work" or None; a member's name goes in `name`
    name: str | None = None
    visits: int = 0
    dwell_s: int = 0
    night_s: int = 0
    work_s: int = 0


def _default_tz():
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo("Europe/Paris")
    except Exception:   # no tz database on this system: fall back to UTC
        return timezone.utc


def _hours_overlap(start_ts: int, end_ts: int, tz, h0: int, h1: int, weekdays_only: bool) -> int:
    """Seconds of [start_ts, end_ts) that fall in the local daily window [h0, h1)."""
    total = 0
    start = datetime.fromtimestamp(start_ts, tz)
    end = datetime.fromtimestamp(end_ts, tz)
    day = start.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    while day <= end:
        w0 = day.replace(hour=h0)
        w1 = day.replace(hour=h1) if h1 > h0 else (day + timedelta(days=1)).replace(hour=h1)
        if not weekdays_only or w0.weekday() < 5:
            overlap = (min(end, w1) - max(start, w0)).total_seconds()
            total += max(0, int(overlap))
        day += timedelta(days=1)
    return total


class _Grid:
    """Points in square cells about `radius` wide, so that finding what lies within the
    radius of a position costs a look at nine cells, not at every point (a member's years
    hold thousands of stays and places)."""

    def __init__(self, radius: float):
        self.radius = radius
        self.cells: dict = {}

    def key(self, lat: float, lon: float) -> tuple:
        m = METRES_PER_DEGREE_LAT / self.radius
        return int(math.floor(lat * m)), int(math.floor(lon * m * math.cos(math.radians(lat))))

    def add(self, lat: float, lon: float, item) -> tuple:
        k = self.key(lat, lon)
        self.cells.setdefault(k, []).append(item)
        return k

    def remove(self, k: tuple, item) -> None:
        self.cells[k].remove(item)

    def near(self, lat: float, lon: float):
        ci, cj = self.key(lat, lon)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                yield from self.cells.get((ci + di, cj + dj), ())


def _cluster(stays: list, radius: float) -> list:
    """Stays grouped around running weighted centroids, the longest stays first."""
    clusters, grid = [], _Grid(radius)   # cluster: [lat_sum, lon_sum, weight, stays, cell]
    for stay in sorted(stays, key=lambda s: -s.duration_s):
        best, best_d = None, radius
        for c in grid.near(stay.lat, stay.lon):
            d = distance_m(c[0] / c[2], c[1] / c[2], stay.lat, stay.lon)
            if d <= best_d:
                best, best_d = c, d
        w = max(stay.duration_s, 60)
        if best is None:
            c = [stay.lat * w, stay.lon * w, w, [stay], None]
            c[4] = grid.add(stay.lat, stay.lon, c)
            clusters.append(c)
            continue
        best[0] += stay.lat * w
        best[1] += stay.lon * w
        best[2] += w
        best[3].append(stay)
        cell = grid.key(best[0] / best[2], best[1] / best[2])
        if cell != best[4]:           # the centroid moved to another cell
            grid.remove(best[4], best)
            best[4] = grid.add(best[0] / best[2], best[1] / best[2], best)
    return [c[:4] for c in clusters]


def find_places(stays: list, tz=None, radius: float = PLACE_RADIUS_M, min_visits: int = 2) -> list:
    """Recurring places from a member's stays, with home and work recognised."""
    tz = tz or _default_tz()
    places = []
    for lat_sum, lon_sum, w, members in _cluster(stays, radius):
        if len(members) < min_visits:
            continue
        lat, lon = round(lat_sum / w, 5), round(lon_sum / w, 5)
        places.append(Place(
            id=f"{lat:.4f},{lon:.4f}", lat=lat, lon=lon, visits=len(members),
            dwell_s=sum(s.duration_s for s in members),
            night_s=sum(_hours_overlap(s.start_ts, s.end_ts, tz, *NIGHT, False) for s in members),
            work_s=sum(_hours_overlap(s.start_ts, s.end_ts, tz, *WORKDAY, True) for s in members)))
    _label(places)
    return places


def _label(places: list) -> None:
    home = max(places, key=lambda p: p.night_s, default=None)
    if home is None or home.night_s < MIN_HOME_NIGHT_S:
        home = None
    else:
        home.label = "home"
    candidates = [p for p in places if p is not home and p.work_s >= MIN_WORK_S and (
        home is None or distance_m(p.lat, p.lon, home.lat, home.lon) >= MIN_WORK_FROM_HOME_M)]
    if candidates:
        max(candidates, key=lambda p: p.work_s).label = "work"


def nearest_place(places, lat: float, lon: float, radius: float = PLACE_RADIUS_M):
    best, best_d = None, radius
    for p in places:
        d = distance_m(p.lat, p.lon, lat, lon)
        if d <= best_d:
            best, best_d = p, d
    return best


def place_index(places, radius: float = PLACE_RADIUS_M):
    """A lookup `nearest(lat, lon)` over many places (see _Grid)."""
    grid = _Grid(radius)
    for p in places:
        grid.add(p.lat, p.lon, p)
    return lambda lat, lon: nearest_place(grid.near(lat, lon), lat, lon, radius)


def purpose(start: Place | None, end: Place | None) -> str:
    """Trip purpose from its end places (home-work either way is a commute)."""
    a = start.label if start else None
    b = end.label if end else None
    if {a, b} == {"home", "work"}:
        return "commute"
    if b == "home":
        return "home"
    if b == "work":
        return "work"
    return "other"


def assign_places(timeline, places: list, radius: float = PLACE_RADIUS_M) -> None:
    """Name each stay's place and each trip's end places, and set trip purposes."""
    nearest = place_index(places, radius)
    for stay in timeline.stays:
        p = nearest(stay.lat, stay.lon)
        stay.place = p.id if p else None
    for trip in timeline.trips:
        a = nearest(*trip.start) if trip.start else None
        b = nearest(*trip.end) if trip.end else None
        trip.start_place = a.id if a else None
        trip.end_place = b.id if b else None
        trip.purpose = purpose(a, b)
