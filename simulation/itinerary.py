"""A simulated member's day as a sequence of stays and trips, with its ground truth.

`Itinerary` keeps the member's position and the clock; each call appends the 1 Hz motion
of a stay, a leg or a wait and records what really happened in the shape the shared
scorers read (`truth.json`: trips with their sections and fine modes). Waits at a stop or
a platform are sections of mode UNKNOWN, as in the Helsinki data: what a wait is (part
of the walk or of the ride) is a convention, not a fact the trace can show.
"""
import math
import random
from bisect import bisect_left

from simulation import motion
from simulation.routes import Frame, Route, great_circle_m


class Itinerary:
    def __init__(self, frame: Frame, t0: int, xy: tuple = (0.0, 0.0)):
        self.frame = frame
        self.t = t0
        self.xy = xy
        self.samples = []
        self.trips = []
        self._trip = None
        self.lines = []          # the public-transport network seen on the way (GTFS)
        self.feed_rng = random.Random(0)   # its own draws: a feed never changes the day
        self.tram_rng = random.Random(1)   # the tram lines' own: they never change the buses
        self.peak_rng = random.Random(2)   # whether a ride is at a big city's peak (its own:
        # the days off-peak are the days they were before the peak was drawn)
        self.off = []            # [(from ts, until ts, cold start?)]: the logger switched off
        self._off_at = None

    # ---- the logger's sessions (a GeoLife trajectory is one; an app killed and restarted)

    def logger_off(self, at: int | None = None) -> None:
        """The member switches the logger off (or its battery dies, or the OS kills the
        app) at `at` (default now): nothing is recorded until `logger_on`."""
        self._off_at = self.t if at is None else int(at)

    def logger_on(self, at: int | None = None, cold: bool = True) -> None:
        """The logger is switched on again at `at` (default now); `cold`: its receiver
        starts without a fix (`simulation.phones.observe` draws its time to first fix and
        the first fixes' error)."""
        start = self._off_at if self._off_at is not None else -math.inf
        self.off.append((start, self.t if at is None else int(at), cold))
        self._off_at = None

    def off_spans(self) -> list:
        """The spans with the logger off, one still off at the end of the day included."""
        tail = [(self._off_at, math.inf, False)] if self._off_at is not None else []
        return self.off + tail

    # ---- stays and trips

    def stay(self, seconds: float) -> None:
        """At a place (indoors): a stay if long enough, else a stop between two trips."""
        self._extend(motion.stand(*self.xy, self.t, int(seconds), "indoor"))

    def begin_trip(self) -> None:
        self._trip = {"start_ts": None, "end_ts": None, "sections": [],
                      "start": list(self.frame.latlon(*self.xy))}

    def end_trip(self) -> None:
        trip, self._trip = self._trip, None
        secs = trip["sections"]
        trip["start_ts"], trip["end_ts"] = secs[0]["start_ts"], secs[-1]["end_ts"]
        trip["end"] = list(self.frame.latlon(*self.xy))
        trip["distance_m"] = round(sum(s["distance_m"] for s in secs), 1)
        self.trips.append(trip)

    # ---- what happens inside a trip

    def leg(self, label: str, route: Route, kin: motion.Kinematics, rng: random.Random,
            env: str = "street", **kw) -> list:
        """Move along `route` (which must start here) in mode `label`."""
        samples = motion.move(route, kin, self.t, rng, env=env, **kw)
        self._section(label, samples, motion.track_length(samples))
        return samples

    def wait(self, seconds: float, env: str = "street", label: str = "UNKNOWN") -> None:
        """Standing at a stop or on a platform, in the open (or underground)."""
        samples = motion.stand(*self.xy, self.t, int(seconds), env)
        self._section(label, samples, 0.0)

    def flight(self, xy: tuple, rng: random.Random) -> None:
        """Gate to gate with the phone in flight mode: silent, then at the other airport.
        Block time = taxi, climb and descent (~25 min) plus cruise at ~220 m/s."""
        a, b = self.frame.latlon(*self.xy), self.frame.latlon(*xy)
        length = great_circle_m(*a, *b)
        seconds = int(1500 + length / 220.0 + rng.uniform(-300, 300))
        samples = []
        for k in range(1, seconds + 1):
            f = k / seconds
            samples.append(motion.Sample(self.t + k, self.xy[0] + f * (xy[0] - self.xy[0]),
                                         self.xy[1] + f * (xy[1] - self.xy[1]),
                                         length / seconds, "air"))
        self._section("plane", samples, length)

    # ---- the network a household's GTFS feed would hold

    def line(self, route_type: int, route: Route, stops_s: list) -> None:
        """A line of the town's network along `route` (GTFS route_type: 0 tram, 1 metro,
        2 rail, 3 bus, 4 ferry), its stops at these distances along it and at both ends
        (`simulation.gtfs` writes them as a feed)."""
        spots = sorted({0.0, route.length, *(min(max(s, 0.0), route.length) for s in stops_s)})
        self.lines.append((route_type, [self.frame.latlon(*p) for p in route.pts],
                           [self.frame.latlon(*route.at(s)[0]) for s in spots]))

    def bus_line_along(self, route: Route, share: float) -> None:
        """With probability `share`, a bus line runs along this street route too (stops
        every 300-500 m): a feed covers the streets everyone drives, cycles and walks, not
        only the rides taken, so a car that stops near a stop is put to the test."""
        if self.feed_rng.random() < share:
            stops = motion.spaced_stops(route.length, self.feed_rng, (300, 500), (0, 0))
            self.line(3, route, [s for s, _ in stops])

    def tram_line_along(self, route: Route, share: float) -> None:
        """With probability `share`, a tram line runs along this street route too (stops
        every 400-600 m, as a ridden tram's): in a tram town the trams run the main
        streets that cars and bikes use (Helsinki, Amsterdam, Melbourne, Lyon), so a car
        or a bike following a tram line's shape at sparse steps is put to the test. Its
        own draws (`tram_rng`): the bus lines of the feed are the same with or without."""
        if self.tram_rng.random() < share:
            stops = motion.spaced_stops(route.length, self.tram_rng, (400, 600), (0, 0))
            self.line(0, route, [s for s, _ in stops])

    # ---- bookkeeping

    def _section(self, label: str, samples: list, distance: float) -> None:
        if not samples:
            return
        self._trip["sections"].append({"start_ts": self.t, "end_ts": samples[-1].t,
                                       "distance_m": round(distance, 1), "mode": label})
        self._extend(samples)

    def _extend(self, samples: list) -> None:
        if samples:
            self.samples += samples
            self.t = samples[-1].t
            self.xy = (samples[-1].x, samples[-1].y)

    def truth(self, name: str, tz: str, seen_ts: list = ()) -> dict:
        """`seen_ts`: the fixes' times; with the logger off at times, a trip is what the
        logger recorded of it, from the first fix of its session to the last (a GeoLife
        trajectory's labels cover what was logged)."""
        trips, off = self.trips, self.off_spans()
        if off:
            trips = clip_to_sessions(self.trips, off, seen_ts, self.samples,
                                     self.frame)
        return {"day": name, "platform": "simulated", "tz": tz, "trips": trips}


def clip_to_sessions(trips: list, off: list, seen_ts: list, samples: list, frame) -> list:
    """Each trip cut to the parts the logger saw: per session (the time between two spans
    off), from its first fix to its last; a trip that spans a switch-off becomes two."""
    edges = sorted(off)
    windows, start = [], -math.inf
    for a, b, _ in edges + [(math.inf, math.inf, False)]:
        inside = [t for t in seen_ts if start <= t < a]
        if inside:
            windows.append((min(inside), max(inside)))
        start = b
    times = [s.t for s in samples]
    out = []
    for trip in trips:
        for w0, w1 in windows:
            a, b = max(trip["start_ts"], w0), min(trip["end_ts"], w1)
            if b - a < 60:
                continue
            secs = []
            for sec in trip["sections"]:
                s0, s1 = max(sec["start_ts"], a), min(sec["end_ts"], b)
                if s1 > s0:
                    secs.append(dict(sec, start_ts=s0, end_ts=s1,
                                     distance_m=round(_path_m(samples, times, s0, s1)
                                                      if sec["distance_m"] else 0.0, 1)))
            if not secs:
                continue
            out.append({"start_ts": secs[0]["start_ts"], "end_ts": secs[-1]["end_ts"],
                        "sections": secs,
                        "start": list(frame.latlon(*_at(samples, times, a))),
                        "end": list(frame.latlon(*_at(samples, times, b))),
                        "distance_m": round(sum(s["distance_m"] for s in secs), 1)})
    return out


def _at(samples: list, times: list, t: int) -> tuple:
    k = min(bisect_left(times, t), len(samples) - 1)
    return samples[k].x, samples[k].y


def _path_m(samples: list, times: list, t0: int, t1: int) -> float:
    i, j = bisect_left(times, t0), bisect_left(times, t1)
    seg = samples[i:j + 1]
    return sum(math.hypot(q.x - p.x, q.y - p.y) for p, q in zip(seg, seg[1:]))


def heading_to(a: tuple, b: tuple) -> float:
    return math.atan2(b[1] - a[1], b[0] - a[0])
