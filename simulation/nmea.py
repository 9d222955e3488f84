"""Write NMEA 0183 sentences, and make simulated drives to feed through a real gpsd.

The recorded receiver captures used in tests are all nearly stationary; a trip engine and the
gpsd thinning need a receiver that moves. This module writes what a moving USB dongle would
send (``$GPRMC``, ``$GPGGA``, optionally ``$GPGSA``) so gpsd can be fed a drive whose true
positions are known.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from carbon.geo import distance_m

KNOTS_PER_MS = 3600.0 / 1852.0


class Epoch(NamedTuple):
    """One receiver epoch, what a dongle reports once a second: ``ts`` UTC epoch seconds,
    speed in m/s, course in degrees true. Not a stored position (that is ``carbon.fix.Fix``):
    the truth a simulated drive feeds to gpsd as NMEA."""

    ts: float
    lat: float
    lon: float
    speed: float
    course: float
    alt: float


def checksum(body: str) -> str:
    """XOR of the characters between ``$`` and ``*``, as two upper-case hex digits."""
    value = 0
    for char in body.encode("ascii"):
        value ^= char
    return f"{value:02X}"


def sentence(body: str) -> str:
    """Frame a sentence body (without ``$``) as a full line with checksum and CRLF."""
    return f"${body}*{checksum(body)}\r\n"


def _hhmmss(ts: float) -> str:
    t = time.gmtime(int(ts))
    hundredths = int(round((ts - int(ts)) * 100)) % 100
    return f"{t.tm_hour:02d}{t.tm_min:02d}{t.tm_sec:02d}.{hundredths:02d}"


def _ddmmyy(ts: float) -> str:
    t = time.gmtime(int(ts))
    return f"{t.tm_mday:02d}{t.tm_mon:02d}{t.tm_year % 100:02d}"


def _angle(value: float, degree_digits: int, positive: str, negative: str) -> tuple[str, str]:
    """Degrees to NMEA ``(d)ddmm.mmmmm``; 5 decimals of a minute is about 2 cm."""
    hemisphere = positive if value >= 0 else negative
    value = abs(value)
    degrees = int(value)
    minutes = round((value - degrees) * 60.0, 5)
    if minutes >= 60.0:  # rounding can carry into the next degree
        degrees, minutes = degrees + 1, 0.0
    return f"{degrees:0{degree_digits}d}{minutes:08.5f}", hemisphere


def rmc(p: Epoch) -> str:
    """Recommended minimum: time, date, status, position, speed (knots), course."""
    lat, ns = _angle(p.lat, 2, "N", "S")
    lon, ew = _angle(p.lon, 3, "E", "W")
    knots = p.speed * KNOTS_PER_MS
    body = (f"GPRMC,{_hhmmss(p.ts)},A,{lat},{ns},{lon},{ew},{knots:.3f},{p.course % 360:.2f},"
            f"{_ddmmyy(p.ts)},,,A")
    return sentence(body)


def gga(p: Epoch, satellites: int = 9, hdop: float = 0.9) -> str:
    """Fix data: time (no date), position, quality, satellites, HDOP, altitude above MSL."""
    lat, ns = _angle(p.lat, 2, "N", "S")
    lon, ew = _angle(p.lon, 3, "E", "W")
    body = (f"GPGGA,{_hhmmss(p.ts)},{lat},{ns},{lon},{ew},1,{satellites:02d},{hdop:.1f},"
            f"{p.alt:.1f},M,49.5,M,,")
    return sentence(body)


def gsa(prns: Iterable[int] = (2, 5, 12, 15, 18, 24, 25, 29, 31),
        pdop: float = 1.6, hdop: float = 0.9, vdop: float = 1.3) -> str:
    """Active satellites and DOPs of a 3D fix."""
    used = [f"{prn:02d}" for prn in list(prns)[:12]]
    used += [""] * (12 - len(used))
    body = f"GPGSA,A,3,{','.join(used)},{pdop:.1f},{hdop:.1f},{vdop:.1f}"
    return sentence(body)


def sentences(points: Iterable[Epoch], with_gsa: bool = True) -> Iterator[str]:
    """Yield one epoch's sentences at a time, RMC first.

    RMC leads each epoch because it carries the date: gpsd cannot time-stamp a GGA it sees
    before any RMC or ZDA, and would report that first epoch without a time.
    """
    for p in points:
        epoch = rmc(p) + gga(p)
        if with_gsa:
            epoch += gsa()
        yield epoch


# --- a simulated drive through La Rochelle -------------------------------------------------

# A loop of streets (lat, lon): Vieux-Port, quai Duperré, Place de Verdun, avenue
# Jean Guiton, La Pallice road, Mireuil, Bongraine, back by the Minimes. Only the shape
# matters: a plausible urban path a few km long.
LA_ROCHELLE_ROUTE = [
    (46.15598, -1.15190), (46.15806, -1.15283), (46.16040, -1.15320), (46.16212, -1.15185),
    (46.16363, -1.15450), (46.16540, -1.15930), (46.16690, -1.16520), (46.16830, -1.17150),
    (46.17065, -1.17550), (46.17420, -1.17380), (46.17690, -1.16820), (46.17760, -1.16090),
    (46.17460, -1.15520), (46.17030, -1.15110), (46.16590, -1.14620), (46.16120, -1.14410),
    (46.15580, -1.14560), (46.15230, -1.15020), (46.15400, -1.15420), (46.15598, -1.15190),
]

# (seconds driving between two stops, cruising speed m/s, seconds stopped afterwards).
# Stops are traffic lights; one leg crawls in traffic at 3 m/s, where fixes are kept by time
# rather than distance; the drive starts after the engine has idled and ends parked.
DRIVE_PLAN = [
    (95, 13.9, 30), (70, 11.0, 25), (105, 14.0, 40), (50, 3.0, 10), (80, 8.5, 20),
    (50, 12.5, 0),
]
START_PARKED_S = 15
ACCEL_MS2 = 1.5
BRAKE_MS2 = 2.0
ALTITUDE_M = 8.0


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def _speed_in_leg(t: float, leg_s: float, cruise: float) -> float:
    """Trapezoid profile: accelerate, cruise, brake to a stop exactly at the leg's end."""
    return max(0.0, min(cruise, ACCEL_MS2 * t, BRAKE_MS2 * (leg_s - t)))


def speed_profile(duration_s: int) -> list[float]:
    """Speed (m/s) for each whole second of the drive, parked when the plan runs out."""
    speeds = [0.0] * START_PARKED_S
    for leg_s, cruise, stop_s in DRIVE_PLAN:
        speeds += [_speed_in_leg(t, leg_s, cruise) for t in range(leg_s)]
        speeds += [0.0] * stop_s
    speeds += [0.0] * max(0, duration_s - len(speeds))
    return speeds[:duration_s]


class _Route:
    """Walk along a closed polyline by distance, wrapping around when it runs out."""

    def __init__(self, vertices: list[tuple[float, float]]):
        self.vertices = vertices
        self.lengths = [distance_m(*a, *b) for a, b in zip(vertices, vertices[1:])]
        self.total = sum(self.lengths)

    def at(self, s: float) -> tuple[float, float, float]:
        """(lat, lon, course) at distance ``s`` metres along the route."""
        s %= self.total
        for (a, b), length in zip(zip(self.vertices, self.vertices[1:]), self.lengths):
            if s <= length:
                f = s / length if length else 0.0
                # Linear interpolation is exact enough over a few hundred metres.
                lat = a[0] + (b[0] - a[0]) * f
                lon = a[1] + (b[1] - a[1]) * f
                return lat, lon, bearing_deg(*a, *b)
            s -= length
        a, b = self.vertices[-2], self.vertices[-1]
        return b[0], b[1], bearing_deg(*a, *b)


def simulated_drive(start_ts: int, duration_s: int = 600,
                    route: list[tuple[float, float]] | None = None) -> list[Epoch]:
    """A drive sampled once per second: stops at lights, 0 to 14 m/s, ending parked.

    Positions integrate the speed profile along the route, so the distance between two
    points is what their speeds say; the course is the street's bearing (kept while stopped,
    as most receivers do).
    """
    path = _Route(route or LA_ROCHELLE_ROUTE)
    travelled = 0.0
    points = []
    for i, speed in enumerate(speed_profile(duration_s)):
        lat, lon, course = path.at(travelled)
        points.append(Epoch(start_ts + i, lat, lon, speed, course, ALTITUDE_M))
        travelled += speed  # one second at this speed
    return points


def stops(points: list[Epoch], still_speed_ms: float = 0.7) -> list[Epoch]:
    """The first point of each stop after moving (where a trip engine sees an arrival)."""
    out, moving = [], False
    for p in points:
        if p.speed >= still_speed_ms:
            moving = True
        elif moving:
            out.append(p)
            moving = False
    return out
