"""What a phone reports of a 1 Hz motion: its sampling regime and its errors.

Regimes (the ones the engine meets in the wild):
* ``1s``: a GPS logger or a sports app (GeoLife's loggers record every 1-5 s);
* ``dense``: a tracker in motion mode, a fix every 5-20 s; like the Android phones of the
  Helsinki test, it drops fixes while standing (a stop shows as a gap);
* ``sparse``: Google's location history, a fix every 1-2 minutes, GPS, Wi-Fi or cell;
* ``significant``: OwnTracks' significant-changes mode (iOS): a fix once the phone has moved
  ~500 m and at most every ~5 minutes, nothing while it stays. A distance filter does not
  know whether the phone is indoors: walking 500 m through a terminal or landing 300 km
  away is a significant change like any other, and starting the monitoring delivers the
  current position at once (Apple, `startMonitoringSignificantLocationChanges()`: "After
  returning a current location fix, the receiver generates update events only when a
  significant change in the user's location is detected"; a change is ~500 m or a new
  cell tower, never more often than every five minutes).

Errors: GPS error is correlated in time (an AR(1) process with a ~5 min time constant,
per-axis sigma ~ accuracy/1.5, since Android reports a 68 % radius); in streets, multipath
throws fixes 20-80 m off for 5-40 s while the reported accuracy stays small (the "urban
canyon"); in a train's coach, 10-50 m and some network positions; indoors, positions
come from Wi-Fi (10-50 m, steady); underground, either
nothing or network positions that jump by kilometres (a new one per Wi-Fi scan or cell
handover, every 15-60 s); in flight, the phone is off.
Phones also fall asleep for minutes now and then (apps suspended by the OS).

Speed (`doppler_speeds`): a GPS fix carries the receiver's own speed, measured from the
Doppler shift of the satellites' carriers, not from positions, so it is instantaneous and
independent of the sampling (OwnTracks `vel`, OsmAnd's speed, gpsd TPV `speed`, Google's
`velocity`). Its error: a few tenths of a m/s (Witte & Wilson 2004, J. Biomech. 37:1891,
a 1 Hz receiver: within 0.2 m/s for half the values in the open, worse on curves and under
cover), so sigma 0.15 m/s in the open, 0.3 in streets (weaker, reflected signals), 0.5 in a
train's coach, ~1 m/s during a multipath excursion; a phone in a walker's pocket or hand
swings with the gait (+-0.2-0.4 m/s at the stride), so +0.25 below 2.5 m/s; standing, the
speed jitters over 0-0.5 m/s. A network (Wi-Fi/cell) position has none, nor a phone that
never sends it (`NO_SPEED_SHARE`).
"""
import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Regime:
    name: str
    every_s: tuple | None        # (min, max) between fixes in motion; None: distance-based
    min_move_m: float = 0.0      # distance filter (significant changes)
    min_gap_s: float = 0.0       # never two fixes closer in time than this
    stay_every_s: tuple | None = None   # at a stay (indoors); None: silent there
    drop_standing: float = 0.0   # share of fixes not reported while standing in a trip
    naps_per_h: float = 0.0      # the OS suspends the app this often while moving...
    nap_s: tuple = (120, 600)    # ...for this long
    wake_s: tuple = (1, 1)       # leaving a stay, motion wakes the tracker after this long
    network_share: float = 0.0   # share of fixes from Wi-Fi/cell rather than GPS (Google)


REGIMES = {
    "1s": Regime("1s", (1, 1), stay_every_s=(30, 90)),
    "dense": Regime("dense", (5, 20), stay_every_s=(120, 600), drop_standing=0.7,
                    naps_per_h=0.3, wake_s=(5, 60)),
    "sparse": Regime("sparse", (60, 120), stay_every_s=(600, 1800), network_share=0.35,
                     wake_s=(30, 120)),
    "significant": Regime("significant", None, min_move_m=500.0, min_gap_s=300.0),
}

_GPS_ACC = {"open": (3, 10), "street": (5, 25), "indoor": (10, 50), "rail": (8, 50)}
# Inside a train's metal coach GPS is worse and the phone falls back on network
# positions now and then (the Helsinki and e-mission train legs: accuracy 10-50 m).
_NETWORK_SHARE = {"rail": 0.15}
# GPS error is correlated over minutes (multipath and atmosphere change slowly, and phones
# filter their fixes): a phone at rest drifts a metre or so per second at most. Indoors the
# position comes from the same Wi-Fi access points for as long as the member stays, and
# is steadier than its reported accuracy says: the e-mission days' stays of half an hour
# or more keep 90 % of their fixes within 15 m of their centre (39 m at worst), at a
# median accuracy of 20 m.
_TAU_S = {"indoor": 3600.0}
_SIGMA_PER_ACC = {"indoor": 1 / 3.0}
_TAU_GPS_S = 300.0
# Underground a phone has only network positions, and a new one only after a new Wi-Fi
# scan or a cell handover: Android 9+ allows a foreground app 4 Wi-Fi scans per 2 minutes
# (background ones far fewer) and its fused provider repeats the last network position
# in between; the Helsinki metro legs show a new jump every ~20 s. Not one per second.
_NETWORK_SCAN_S = (15, 60)
_CANYON_PER_KM = 0.2        # multipath excursions per km in streets (e-mission's walks
#                             show a few: their p90 speeds stay under 2 m/s)
_LATLON_DIGITS = 6
# Doppler speed's error (see the module's docstring), m/s
_SPEED_SIGMA = {"open": 0.15, "street": 0.3, "rail": 0.5}
_SPEED_SIGMA_CANYON = 1.0
_SPEED_SIGMA_GAIT = 0.25       # added below _GAIT_MS: a phone swinging with the stride
_GAIT_MS = 2.5
_STANDING_JITTER = 0.5         # at rest the reported speed wanders over 0 .. this
# The share of phones (apps, exports) that never send a speed: iOS reports it with every GPS
# fix (OwnTracks sends it), Android's fused provider on GPS fixes (OsmAnd, Traccar, Google's
# location history `velocity`), gpsd always; GPX 1.1 tracks carry none, some Takeout exports
# and trackers drop it. No survey counts them: a fifth, so the suite keeps days without it.
NO_SPEED_SHARE = 0.2


@dataclass
class _Noise:
    ex: float = 0.0
    ey: float = 0.0
    canyon_until: int = -1
    cx: float = 0.0
    cy: float = 0.0
    network: bool = False       # the last fix was a Wi-Fi/cell position (no Doppler speed)


def _error(noise: _Noise, sigma: float, dt: float, env: str, rng: random.Random) -> tuple:
    rho = math.exp(-max(dt, 1.0) / _TAU_S.get(env, _TAU_GPS_S))
    k = sigma * math.sqrt(1 - rho * rho)
    noise.ex = rho * noise.ex + rng.gauss(0, k)
    noise.ey = rho * noise.ey + rng.gauss(0, k)
    return noise.ex, noise.ey


def _canyon(noise: _Noise, s, moved_m: float, rng: random.Random) -> tuple:
    """A multipath excursion now and then in streets."""
    if s.t <= noise.canyon_until:
        return noise.cx, noise.cy
    if s.env == "street" and rng.random() < _CANYON_PER_KM * moved_m / 1000.0:
        r, a = rng.uniform(20, 80), rng.uniform(0, 2 * math.pi)
        noise.cx, noise.cy = r * math.cos(a), r * math.sin(a)
        noise.canyon_until = s.t + rng.randint(5, 40)
        return noise.cx, noise.cy
    return 0.0, 0.0


def _fix(s, frame, noise: _Noise, dt: float, moved_m: float, regime: Regime,
         rng: random.Random, tunnel: str):
    """(ts, lat, lon, acc) for sample s, or None when the phone cannot tell."""
    noise.network = True
    if s.env == "air":
        return None
    if s.env == "underground":
        if tunnel == "silent":
            return None
        err, acc = rng.uniform(100, 1500), rng.choice((30, 40, 150, 500, 800, 1200))
        a = rng.uniform(0, 2 * math.pi)
        return _out(s.t, frame, s.x + err * math.cos(a), s.y + err * math.sin(a), acc)
    share = max(regime.network_share, _NETWORK_SHARE.get(s.env, 0.0))
    if share and rng.random() < share:
        acc = rng.uniform(20, 60) if rng.random() < 0.7 else rng.uniform(300, 1500)
        err = rng.gauss(0, acc / 1.5)
        a = rng.uniform(0, 2 * math.pi)
        return _out(s.t, frame, s.x + err * math.cos(a), s.y + err * math.sin(a), acc)
    noise.network = s.env == "indoor"     # indoors the position is Wi-Fi's
    lo, hi = _GPS_ACC.get(s.env, _GPS_ACC["open"])
    acc = rng.uniform(lo, hi)
    ex, ey = _error(noise, acc * _SIGMA_PER_ACC.get(s.env, 1 / 1.5), dt, s.env, rng)
    cx, cy = _canyon(noise, s, moved_m, rng)
    return _out(s.t, frame, s.x + ex + cx, s.y + ey + cy, acc)


def _out(t, frame, x, y, acc) -> tuple:
    lat, lon = frame.latlon(x, y)
    return (int(t), round(lat, _LATLON_DIGITS), round(lon, _LATLON_DIGITS), round(acc, 1))


def observe(samples: list, regime: Regime, frame, rng: random.Random,
            tunnel: str = "silent", seen: list | None = None, off: list = ()) -> list:
    """The fixes a phone in this regime reports along these samples (time order).
    `seen`, when given, gets per fix (true speed, env, network position?, in a multipath
    excursion?): what `doppler_speeds` reads, so that the fixes and their rng stay the same.
    `off`: [(from ts, until ts, cold?)] spans with the logger switched off (`Itinerary.
    logger_off`); after a cold one the receiver first has to find its fix (`_ColdStart`)."""
    out, noise = [], _Noise()
    last_t, last_xy, moved, due = None, None, 0.0, samples[0].t if samples else 0
    nap_until, prev, scan_due = -1, None, -1
    spans, cold = sorted(off), None
    for s in samples:
        while spans and s.t >= spans[0][1]:       # switched on again
            if spans[0][2] and spans[0][1] > -math.inf:
                cold = _ColdStart(rng)
            spans.pop(0)
            last_t, last_xy, noise, due, nap_until = None, None, _Noise(), s.t, -1
        if spans and spans[0][0] <= s.t:          # off: nothing recorded
            prev = s
            continue
        if cold is not None and not cold.fixed(s):
            prev = s
            continue
        if prev is not None:
            moved += math.hypot(s.x - prev.x, s.y - prev.y)
            if prev.env == "indoor" and s.env != "indoor":   # out of the place: awake soon
                due = min(due, s.t + rng.randint(*regime.wake_s))
        prev = s
        if s.t < nap_until:
            continue
        if regime.naps_per_h and s.v > 0.5 and rng.random() < regime.naps_per_h / 3600.0:
            nap_until = s.t + rng.randint(*regime.nap_s)
            continue
        if not _due(s, regime, last_t, last_xy, due, rng):
            continue
        if s.env != "indoor" and s.v < 0.3 and rng.random() < regime.drop_standing:
            due = s.t + _interval(s, regime, rng)
            continue
        if s.env == "underground" and tunnel == "network":
            if s.t < scan_due:
                continue
            scan_due = s.t + rng.randint(*_NETWORK_SCAN_S)
        f = _fix(s, frame, noise, s.t - last_t if last_t else 1.0, moved, regime, rng, tunnel)
        if f is not None and cold is not None and s.env != "underground":
            f = cold.converging(f, s, frame)
        moved = 0.0
        due = s.t + _interval(s, regime, rng)
        if f is not None:
            out.append(f)
            last_t, last_xy = s.t, (s.x, s.y)
            if seen is not None:
                seen.append((s.v, s.env, noise.network, s.t <= noise.canyon_until))
    return out


# A receiver switched on without a fix (a cold start: no almanac, ephemeris or time it can
# trust, as after hours off or a long move) must find and decode the satellites first: a
# GPS logger's chipset needs 26-35 s in the open sky (u-blox 6/7/8 and SiRFstarIII data
# sheets' cold TTFF at -130 dBm), a minute or two in streets, aboard a vehicle or through a
# window (weak, reflected signals; Android's GNSS measurements show the same); a phone with
# assisted GPS starts warm within 5-15 s but its first positions are network ones. Its
# first fixes are off by tens to hundreds of metres and converge as more satellites and
# better ephemerides come in (a position filter settling: ~100 m on the first fix, decaying
# over 10-40 s); the reported accuracy follows the error only roughly.
_TTFF_S = (30, 120)
_COLD_ERR_M = (50, 300)
_COLD_TAU_S = (10, 40)
_COLD_ACC_HONESTY = (0.3, 1.2)


class _ColdStart:
    """The receiver's state after a cold start: silent until it has seen the sky for its
    time to first fix (underground counts nothing), then an error decaying from the first
    fix's."""

    def __init__(self, rng: random.Random):
        self.ttff = rng.uniform(*_TTFF_S)
        self.err = rng.uniform(*_COLD_ERR_M)
        self.tau = rng.uniform(*_COLD_TAU_S)
        self.bearing = rng.uniform(0, 2 * math.pi)
        self.honesty = rng.uniform(*_COLD_ACC_HONESTY)
        self.sky_s, self.first, self.last = 0.0, None, None

    def fixed(self, s) -> bool:
        if self.first is not None:
            return True
        if s.env not in ("underground", "indoor"):
            self.sky_s += 1.0 if self.last is None else max(1.0, s.t - self.last)
        self.last = s.t
        if self.sky_s >= self.ttff:
            self.first = s.t
            return True
        return False

    def converging(self, f: tuple, s, frame) -> tuple:
        e = self.err * math.exp(-(s.t - self.first) / self.tau)
        if e < 1.0:
            return f
        b = self.bearing + 0.02 * (s.t - self.first)       # the error turns as it shrinks
        lat0, lon0 = frame.latlon(0.0, 0.0)
        lat1, lon1 = frame.latlon(e * math.cos(b), e * math.sin(b))
        return (f[0], round(f[1] + lat1 - lat0, _LATLON_DIGITS),
                round(f[2] + lon1 - lon0, _LATLON_DIGITS), round(max(f[3], e * self.honesty), 1))


def doppler_speeds(seen: list, rng: random.Random) -> list:
    """Per fix of `observe(..., seen=seen)`, the speed the phone reports (m/s, rounded to
    0.01) or None: on network positions, and on every fix of a phone that sends none."""
    if rng.random() < NO_SPEED_SHARE:
        return [None] * len(seen)
    out = []
    for v, env, network, canyon in seen:
        if network:
            out.append(None)
        elif v < 0.3:
            out.append(round(rng.uniform(0.0, _STANDING_JITTER), 2))
        else:
            sigma = _SPEED_SIGMA_CANYON if canyon else _SPEED_SIGMA.get(env, 0.3)
            if v < _GAIT_MS:
                sigma += _SPEED_SIGMA_GAIT
            out.append(round(max(0.0, rng.gauss(v, sigma)), 2))
    return out


def _interval(s, regime: Regime, rng: random.Random) -> int:
    if regime.every_s is None:
        return 1                  # distance-based: the distance and the minimum gap decide
    if s.env == "indoor":
        span = regime.stay_every_s
        return rng.randint(*span) if span else 10 ** 9
    return rng.randint(*regime.every_s)


def _due(s, regime: Regime, last_t, last_xy, due: int, rng: random.Random) -> bool:
    if s.t < due:
        return False
    if s.env == "indoor" and regime.stay_every_s is None and regime.every_s is not None:
        return False
    if regime.every_s is not None or last_t is None:
        return True
    if s.t - last_t < regime.min_gap_s:
        return False
    return math.hypot(s.x - last_xy[0], s.y - last_xy[1]) >= regime.min_move_m


# A phone's GPS altitude errs by ~1.5 times its horizontal accuracy (all the satellites are
# above the horizon: the vertical dilution of precision is 1.5-2 times the horizontal one);
# a network position (a Wi-Fi or cell guess) carries none.
VERTICAL_ERROR = 1.5
_NETWORK_ACC_M = 60.0


def with_altitude(fixes: list, samples: list, profile, rng: random.Random) -> list:
    """The fixes (ts, lat, lon, acc, ...) with an altitude after their accuracy (the order
    of carbon.fix.Fix): `profile(s)`, the ground's height in metres at s metres along the
    samples' track, at each fix's time, plus the GPS's vertical error; None for a network
    position. The suite's towns are flat: only a scenario that draws a hill asks for it."""
    s, height, last = 0.0, {}, None
    for smp in samples:
        if last is not None:
            s += math.hypot(smp.x - last.x, smp.y - last.y)
        height[smp.t] = profile(s)
        last = smp
    out = []
    for f in fixes:
        acc, h = f[3] or 10.0, height.get(f[0])
        alt = None if h is None or acc > _NETWORK_ACC_M else \
            round(h + rng.gauss(0.0, VERTICAL_ERROR * acc), 1)
        out.append((*f[:4], alt, *f[4:]))
    return out
