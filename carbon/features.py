"""The numbers a leg's mode is read from: speeds, halts, what the phone could not see.

Every feature is physical and has a meaning whatever the sampling; one that cannot be
measured at this sampling is None (a phone reporting every 5 minutes says nothing about
halts at bus stops), and the mode model then ignores it instead of reading noise.
"""
import math
from dataclasses import dataclass
from operator import sub

from carbon.geo import distance_m
from carbon.mode_params import coasting_ms
from carbon.speeds import path_metres

STOP_SPEED_MS = 0.8      # below this a vehicle is standing (GPS noise keeps speeds above 0)
_STOP_MIN_S = 8.0        # shorter dips are noise
_STOP_MAX_S = 150.0      # longer stops are queues or stays, not a service stop
_HALT_MS = 0.6          # a halting vehicle creeps and its fixes drift; a walker covers 1.3 m/s
_HALT_WINDOW_S = 10.0
_SKIPPED = 2.5           # a step this many times the phone's usual one: fixes were skipped
_SKIPPED_MS = 2.0        # ... over ground covered braking and starting again
_LONE_STEP_S = 5.0      # a step this long is decided by one fix at each end
SUSTAIN_S = 120.0        # two minutes: longer than any fix error lasts, shorter than a leg
DENSE_STEP_S = 20.0      # halts at stops and lights are visible at this sampling or finer
TIMED_STEP_S = 75.0      # windowed speeds mean something at this sampling or finer
# A station stop: a metro dwells 15-40 s at an ordinary station (door opening, flow and
# closing: the Transit Capacity and Quality of Service Manual, TCRP Report 100, part 5
# ch. 3; the busiest stations 45-60 s), a commuter train 30-60 s, an intercity minutes;
# seven at most (longer is a stay or a wait for a connection). From 25 s, most of a
# metro's stations went uncounted, and a metro read as a car or a train.
STATION_HALT_S = (15.0, 420.0)
_CRUISING_MS = 15.0      # ... between stretches at a speed no town traffic keeps
SPARSE_BLIND_STEP_S = 150.0   # silences still mean something at a fix every 1-2 minutes
# A phone that reports every few seconds and then nothing at all, not even a network
# position, for minutes while the member covers kilometres has lost every signal: it is
# underground (or in flight mode). Counted from this many of its usual steps, and only for
# a phone stepping DENSE_STEP_S or less (one reporting every minute or two may simply sleep).
SILENT_STEPS = 10.0
SILENT_MIN_S = 60.0
# The phone's own speed (Fix.vel: Doppler, good to a few tenths of a m/s whatever the
# sampling, Witte & Wilson 2004, J. Biomech. 37:1891). Its quantiles are a sample of the
# leg's instants: a car in town is above 30 km/h a third of its time or more, so N fixes all
# slower miss it with chance (2/3)^N, 13 % at 5 (under 7 fixes, the p85 is the fastest).
DOPPLER_MIN_FIXES = 5
# Time-averaged, the instantaneous speed is the path over the time, which the chords (each
# cutting corners, 1.1-1.4 of them in town: legs.ZIGZAG_RATIO's circuity) read at 0.7-1.0 of;
# a sample of a stop-and-go ride scatters around it. A phone whose speeds average under half
# the chords' (a phone stuck at 0, some do) or over three times them (a km/h sent as m/s)
# says nothing of this leg. The slack: a walker's gait and a standing phone's jitter.
DOPPLER_AGREES = (0.5, 3.0)
_DOPPLER_SLACK_MS = 0.5
# Read on rides only (chords at params.walk_max_ms or more): a walk's pace the chords already
# give, and a vehicle's crawl between two rides (a bus in a jam) shows a walker's instants,
# which the trip's queue and change states weigh (carbon.decode) on the chords' reading.
DOPPLER_RIDE_MS = 2.2
# A speed above 2000 km/h is no phone's measurement (an airliner cruises at 900): the bound
# the receivers hold OwnTracks' and OsmAnd's speeds to, for what an import brings unchecked.
MAX_REPORTED_MS = 556.0


@dataclass(slots=True)
class LegFeatures:
    duration_s: float
    distance_m: float
    mean_ms: float          # distance / duration, stops included
    p50_ms: float           # percentiles of windowed speed, weighted by time
    p85_ms: float
    p95_ms: float
    stop_share: float       # share of time standing
    stops_per_km: float     # short stops (a bus stop, a light), per km
    max_step_s: float       # longest time without a fix
    # p85 of the displacement speed over SUSTAIN_S windows (None: leg shorter than one):
    # what the member kept up, whatever the fix noise or a single wrong fix says
    sustained_p85_ms: float | None = None
    # p85 / p95 of speeds each capped by its faster neighbour (see _open_spikes): a speed
    # that only one step reached is one wrong fix, not a vehicle
    p85_held_ms: float = 0.0
    p95_held_ms: float = 0.0
    # ... the same p95 over the steps that do not run downhill (`_downhill`), where some
    # do (None: none does, or the fixes carry no altitude): gravity, not the vehicle
    p95_level_held_ms: float | None = None
    median_step_s: float = 0.0
    n_fixes: int = 0
    # halts of half a minute to seven between stretches above 15 m/s (None: not fast, or
    # not sampled densely enough to tell): stations on a line, rarely anything on a road
    station_halts: int | None = None
    # share of the leg's time the phone could not see the member (moving unobserved, or
    # only network positions): underground (None: the phone samples too sparsely to tell)
    blind_share: float | None = None
    # share of the leg's time in silences with no fix at all (no network position either)
    # while moving, at a phone that otherwise reports every few seconds (None: a sparser
    # phone, whose silences may be sleep)
    silent_share: float | None = None
    # set by the trip (carbon.legs): standing at the boarding point before this leg
    wait_s: float | None = None
    # time in the halts counted for stops_per_km: the leg's pace while moving is its
    # distance over the rest (a walker's 1-2 m/s; a vehicle's bursts between queues)
    halted_s: float = 0.0
    # set by the trip: the trip comes back to where it started (a run, a ride for its own sake)
    loop: bool = False
    unbroken: bool = False  # no halt for ten minutes, a mode needing a route (carbon.legs)
    # seen only every minute or two, yet every step at the ride's own pace for ten minutes
    # and 3 km or more: no halt hid in any of them (carbon.legs._paced)
    paced: bool = False
    # p85 / p95 of the phone's own speeds (Fix.vel) where it sent DOPPLER_MIN_FIXES or more
    # that agree with the chords (`doppler_speeds`); None: no speed, or not to be believed
    doppler_p85_ms: float | None = None
    doppler_top_ms: float | None = None


def _weighted_percentiles(values: list, weights: list, qs: tuple) -> list:
    pairs = sorted(zip(values, weights))
    total = sum(weights) or 1.0
    out, acc, idx = [], 0.0, 0
    for q in qs:
        target = q * total
        while idx < len(pairs) - 1 and acc + pairs[idx][1] < target:
            acc += pairs[idx][1]
            idx += 1
        out.append(pairs[idx][0] if pairs else 0.0)
    return out


def halts(points: list, lo: float = _STOP_MIN_S, hi: float = _STOP_MAX_S) -> list:
    """(first, last) fix indexes of halts lasting lo..hi seconds: runs of steps whose
    speed over ~10 s (or over the step itself when it is that long: phones that stop
    reporting while standing show a halt as one long step) is below _HALT_MS. Read from
    positions over seconds, not from minute-windowed speeds, which smooth a 20 s bus stop
    away; and a walker at 1.3 m/s never halts."""
    out, n = [], len(points)
    start = None
    for k, slow in enumerate(_slow_steps(points)):
        if slow and start is None:
            start = k
        elif not slow and start is not None:
            _add_halt(out, points, start, k, lo, hi)
            start = None
    if start is not None:
        _add_halt(out, points, start, n - 1, lo, hi)
    return out


def _add_halt(out: list, points: list, i: int, j: int, lo: float, hi: float) -> None:
    if lo <= points[j].ts - points[i].ts <= hi:
        out.append((i, j))


def _slow_steps(points: list):
    """Per step: is the member standing (under _HALT_MS over about _HALT_WINDOW_S)? A step
    for which the phone skipped its usual fixes, over little ground, is standing too:
    Android stops reporting when its motion sensors say the phone is still, so a 30 s
    halt of a metro shows as one 30 s step from the braking fix to the starting one."""
    n, a, b = len(points), 0, 0
    half = _HALT_WINDOW_S / 2
    usual = _median([q.ts - p.ts for p, q in zip(points, points[1:])])
    for k in range(n - 1):
        p, q = points[k], points[k + 1]
        dt = q.ts - p.ts
        if dt >= _HALT_WINDOW_S:
            v = distance_m(p.lat, p.lon, q.lat, q.lon) / dt
            yield v < _HALT_MS or (dt >= _SKIPPED * usual and v < _SKIPPED_MS)
            continue
        mid = (p.ts + q.ts) / 2
        while a < k and points[a + 1].ts <= mid - half:
            a += 1
        b = max(b, k + 1)
        while b < n - 1 and points[b].ts < mid + half:
            b += 1
        pa, pb = points[a], points[b]
        yield distance_m(pa.lat, pa.lon, pb.lat, pb.lon) / max(pb.ts - pa.ts, 1) < _HALT_MS


def _open_spikes(speeds: list, dts: list) -> list:
    """Each sparse step's speed capped at the higher of its neighbours': a speed only counts
    if the next or previous step comes close to it. One wrong fix makes a single fast step
    (a 30 s step at 14 m/s in a bike ride); a vehicle keeps its speed over consecutive steps.
    Steps shorter than _LONE_STEP_S already carry the speed of a window of fixes."""
    n = len(speeds)
    if n < 3:
        return list(speeds)
    out = []
    for k in range(n):
        if dts[k] < _LONE_STEP_S:
            out.append(speeds[k])
            continue
        near = max(speeds[k - 1] if k > 0 else 0.0, speeds[k + 1] if k + 1 < n else 0.0)
        out.append(min(speeds[k], near))
    return out


# Gravity, not the vehicle: where a phone seen every minute or more reports altitude, a
# stretch that falls at grade g is a descent, and a speed up to a coasting bicycle's there
# (mode_params.coasting_ms(g), 9-13 m/s on 3-6 %) says nothing of the vehicle's motor. The
# fall must be DESCENT_GRADE of the distance at least and DESCENT_SIGMAS times the two
# fixes' altitude error together: a phone's GPS altitude errs by ~VERTICAL_ERROR times its
# horizontal accuracy (the satellites are all above the horizon), so a flat stretch passes
# by chance a few per cent of the time and a descent seen by poor fixes (30 m and worse over
# a 1-2 minute step) does not pass. Such speeds are left out of the chords' top and of the
# two-minute headway (`_level_p95`, `_sustained_p85`); a car on a motorway downhill at 30
# m/s keeps its speeds (beyond coasting: its engine). COAST_MARGIN: the rider pedals on.
DESCENT_GRADE = 0.03
VERTICAL_ERROR = 1.5
DESCENT_SIGMAS = 2.0
COAST_MARGIN = 1.1
# A fall steeper than this even within the altitudes' error is junk altitude (feet read as
# metres, a -777 or 0 sentinel), not gravity: roads rarely exceed 10-12 %, 20 % is extreme.
MAX_GRADE = 0.20


def _gravity(a, b, dist: float, speed: float) -> bool:
    """From fix a to fix b (`dist` metres apart along the way) the member fell as on a
    descent, fast enough to give this speed to a coasting bicycle."""
    if a.alt is None or b.alt is None or dist <= 0:
        return False
    drop = a.alt - b.alt
    err = VERTICAL_ERROR * math.hypot(a.acc or 10.0, b.acc or 10.0)
    if drop < DESCENT_SIGMAS * err or drop < DESCENT_GRADE * dist:
        return False
    if drop - err > MAX_GRADE * dist:
        return False    # no road falls so: the altitudes are wrong
    # the steepest grade the altitudes allow within their error: could gravity give it?
    return speed <= COAST_MARGIN * coasting_ms((drop + err) / dist)


def _downhill(points: list, dists: list, held: list) -> list:
    """[bool] per step: gravity gives its held speed (read over the step alone or with
    either neighbour: a held speed is two steps', whose fall doubles, the error not)."""
    n = len(dists)
    return [_gravity(points[k], points[k + 1], dists[k], v)
            or (k > 0 and _gravity(points[k - 1], points[k + 1], dists[k - 1] + dists[k], v))
            or (k + 1 < n and _gravity(points[k], points[k + 2], dists[k] + dists[k + 1], v))
            for k, v in enumerate(held)]


def _level_p95(held: list, weights: list, points: list, dists: list) -> float | None:
    """p95 of the held speeds over the steps gravity does not explain; None where it
    explains none."""
    down = _downhill(points, dists, held)
    if not any(down):
        return None
    level = [(v, w) for v, w, dn in zip(held, weights, down) if not dn]
    if not level:
        return 0.0      # every step gravity's (likelihood reads None as "no gravity": kept)
    return _weighted_percentiles([v for v, _ in level], [w for _, w in level], (0.95,))[0]


def _sustained_p85(points: list, level: bool = False) -> float | None:
    """p85 (time-weighted) of the straight-line speed from each fix to the first one at
    least SUSTAIN_S later (None for a leg shorter than two windows). Noise of tens
    of metres is a fraction of a metre per second over two minutes, and a phone jumping
    between two positions makes no headway at all. `level`: windows gravity explains
    (`_gravity`) are left out, unless all are."""
    n = len(points)
    window = min(SUSTAIN_S, points[-1].ts - points[0].ts) if n > 1 else 0
    if points[-1].ts - points[0].ts < 2 * SUSTAIN_S:
        return None     # a short leg's windows all reach its standing ends
    values, weights, j = [], [], 0
    for i in range(n - 1):
        p = points[i]
        while j < n - 1 and points[j].ts < p.ts + window:
            j += 1
        q = points[j]
        if q.ts - p.ts < window:
            break
        d = distance_m(p.lat, p.lon, q.lat, q.lon)
        values.append(d / (q.ts - p.ts))
        weights.append(min(points[i + 1].ts - p.ts, 120) or 1)
        if level and _gravity(p, q, d, values[-1]):
            weights[-1] = 0.0
    if not values:
        return None
    if level:
        kept = [(v, w) for v, w in zip(values, weights) if w > 0]
        if not kept:
            return None
        values, weights = [v for v, _ in kept], [w for _, w in kept]
    return _weighted_percentiles(values, weights, (0.85,))[0]


def _station_halts(points: list, speeds: list, distance: float, median_dt: float):
    """How many halts of 15 s - 7 min (`STATION_HALT_S`) with the member above 15 m/s
    within two minutes on both sides. Trains stop at stations for that long and run fast between them; no road
    vehicle halts that long between two fast stretches except at a toll or a motorway jam
    (a town jam crawls: it is not fast on both sides)."""
    if median_dt > DENSE_STEP_S * 2 or distance < 3000:
        return None
    if not any(v >= _CRUISING_MS for v in speeds):
        return None
    count = 0
    for a, b in halts(points, *STATION_HALT_S):
        if _fast_near(points, speeds, a, -1) and _fast_near(points, speeds, b, +1):
            count += 1
    return count


def _fast_near(points: list, speeds: list, k: int, direction: int) -> bool:
    """Is the member above _CRUISING_MS within SUSTAIN_S before (direction -1) or after
    (+1) fix k? Step j joins fixes j and j + 1."""
    steps = range(k - 1, -1, -1) if direction < 0 else range(k, len(speeds))
    for j in steps:
        if abs(points[j + (direction > 0)].ts - points[k].ts) > SUSTAIN_S:
            return False
        if speeds[j] >= _CRUISING_MS:
            return True
    return False


def _blind_share(points: list, median_dt: float, median_acc: float, blind_steps=()):
    """Share of the time in steps the phone could not see: moving unobserved (a gap much
    longer than its sampling over ground a walker could not cover) or between network
    positions (accuracy far worse than the trip's GPS). None when sampling is too sparse
    for a gap to mean anything. A phone reporting every minute or two (Google's location
    history) is mostly on network positions anyway, so there only its silences count: a
    quarter of an hour unseen while covering kilometres, where it otherwise reports every
    one or two minutes, is a tunnel (a metro) or a flight, not a street."""
    if median_dt > SPARSE_BLIND_STEP_S or len(points) < 2:
        return None
    gaps_only = median_dt > 30.0
    gap = max(60.0, 4.0 * median_dt)
    bad_acc = bad_accuracy(median_acc)
    blind = 0.0
    for k, (p, q) in enumerate(zip(points, points[1:])):
        dt = q.ts - p.ts
        if dt >= gap and distance_m(p.lat, p.lon, q.lat, q.lon) > 2.5 * dt:
            blind += dt
        elif gaps_only:
            continue
        elif k in blind_steps or (p.acc or 0.0) > bad_acc or (q.acc or 0.0) > bad_acc:
            blind += dt
    total = points[-1].ts - points[0].ts
    if gaps_only and blind == 0.0:
        return None     # at this sampling a tunnel shorter than `gap` goes unseen anyway
    return blind / total if total > 0 else None


def _silent_share(points: list, median_dt: float, blind_steps=()):
    """Share of the time in steps with no fix at all over ground no walker covers, from a
    phone that usually steps `median_dt` <= DENSE_STEP_S (see SILENT_STEPS). Steps across
    network positions taken out (`blind_steps`) are not silent: the phone saw something."""
    total = points[-1].ts - points[0].ts if len(points) > 1 else 0
    if median_dt > DENSE_STEP_S or total <= 0:
        return None
    gap = max(SILENT_MIN_S, SILENT_STEPS * median_dt)
    silent = 0.0
    for k, (p, q) in enumerate(zip(points, points[1:])):
        dt = q.ts - p.ts
        if dt >= gap and k not in blind_steps and \
                distance_m(p.lat, p.lon, q.lat, q.lon) > 2.5 * dt:
            silent += dt
    return silent / total


def doppler_speeds(points: list, mean_ms: float, bad_acc: float = math.inf) -> tuple:
    """(p85, p95) of the speeds the phone reported at these fixes (Fix.vel), each weighted
    by the time it stands for (half its steps, each at most 120 s), or (None, None): fewer
    than DOPPLER_MIN_FIXES, a walking pace (DOPPLER_RIDE_MS), or a time-mean that
    contradicts the chords' `mean_ms` (DOPPLER_AGREES). The leg's first and last fixes are
    left out: each is shared with the leg beside it, the instant of the change, whose speed
    is the other leg's as often as this one's (a walk's first fix still aboard the bus).
    A network position (accuracy beyond `bad_acc`, `bad_accuracy`) measured no Doppler: its
    speed, when the app sends one, is 0 or the fused provider's guess. A fix stamped the
    second of the one before it is that instant again (an app repeating a fix): not read,
    and the instant's after-step runs to the next later fix."""
    if mean_ms < DOPPLER_RIDE_MS:
        return None, None
    n = len(points)
    values, weights = [], []
    for k in range(1, n - 1):
        p = points[k]
        before = p.ts - points[k - 1].ts
        if before <= 0 or not _reported_speed(p.vel) or (p.acc is not None and p.acc > bad_acc):
            continue
        later = next((q.ts for q in points[k + 1:] if q.ts > p.ts), p.ts)
        values.append(p.vel)
        weights.append((min(before, 120) + min(later - p.ts, 120)) / 2)
    if len(values) < DOPPLER_MIN_FIXES:
        return None, None
    mean = sum(v * w for v, w in zip(values, weights)) / sum(weights)
    lo, hi = DOPPLER_AGREES
    if not lo * mean_ms - _DOPPLER_SLACK_MS <= mean <= hi * mean_ms + _DOPPLER_SLACK_MS:
        return None, None
    p85, p95 = _weighted_percentiles(values, weights, (0.85, 0.95))
    return p85, p95


def _reported_speed(vel) -> bool:
    """A speed the phone measured: iOS sends -1 for "no valid speed", a NaN would make the
    leg's mean NaN and drop every speed of the leg by accident, and one past
    MAX_REPORTED_MS (a unit gone wrong in a file) would be its top."""
    return vel is not None and 0 <= vel <= MAX_REPORTED_MS


def bad_accuracy(median_acc: float) -> float:
    """Accuracy beyond which a fix is a network position for this phone (a Wi-Fi or cell
    guess where its GPS usually reports `median_acc`)."""
    return max(40.0, 2.5 * median_acc)


def _median(values: list) -> float:
    v = sorted(values)
    return v[len(v) // 2] if v else 0.0


def leg_features(points: list, speeds: list, dists: list, trip_acc: float | None = None,
                 trip_dt: float | None = None, blind_steps=(), doppler: bool = False) -> LegFeatures:
    """Features of fixes points[0..n] whose n steps have the given speeds and distances.
    trip_acc / trip_dt: the trip's median accuracy and step (what this phone usually does);
    blind_steps: steps across network positions taken out (carbon.legs); `doppler`: read
    the phone's own speeds too (the leg as decided; its cuts are read from the fixes)."""
    # max(0, dt) and min(dt, 120) spelt as their comparisons (the same values and types,
    # without a call a step: this runs over every fix of every leg)
    ts = [p.ts for p in points]
    dts = [d if d > 0 else 0 for d in map(sub, ts[1:], ts)]
    duration = float(points[-1].ts - points[0].ts) if len(points) > 1 else 0.0
    acc = trip_acc if trip_acc is not None else _median([p.acc or 10.0 for p in points])
    distance = path_metres(points, dists, acc)
    if not speeds or duration <= 0:
        return LegFeatures(duration, distance, 0, 0, 0, 0, 1, 0, 0, n_fixes=len(points))
    median_dt = trip_dt if trip_dt is not None else _median(dts)
    weights = [(120 if 120 < dt else dt) or 1 for dt in dts]   # a long gap says little about speed
    p50, p85, p95 = _weighted_percentiles(speeds, weights, (0.5, 0.85, 0.95))
    held = _open_spikes(speeds, dts)
    h85, h95 = _weighted_percentiles(held, weights, (0.85, 0.95))
    sparse = median_dt > TIMED_STEP_S
    level95 = _level_p95(held, weights, points, dists) if sparse else None
    stand = sum(w for v, w in zip(speeds, weights) if v < STOP_SPEED_MS)
    km = max(distance / 1000.0, 0.05)
    halted = halts(points)
    doppler_p85, doppler_top = doppler_speeds(points, distance / duration, bad_accuracy(acc)) \
        if doppler else (None, None)
    return LegFeatures(
        duration_s=duration, distance_m=distance, mean_ms=distance / duration,
        p50_ms=p50, p85_ms=p85, p95_ms=p95,
        stop_share=stand / sum(weights), stops_per_km=len(halted) / km,
        halted_s=float(sum(points[j].ts - points[i].ts for i, j in halted)),
        max_step_s=max(dts) if dts else 0.0,
        sustained_p85_ms=_sustained_p85(points, sparse), p85_held_ms=h85, p95_held_ms=h95,
        p95_level_held_ms=level95,
        median_step_s=median_dt, n_fixes=len(points),
        station_halts=_station_halts(points, speeds, distance, median_dt),
        blind_share=_blind_share(points, median_dt, acc, blind_steps),
        silent_share=_silent_share(points, median_dt, blind_steps),
        doppler_p85_ms=doppler_p85, doppler_top_ms=doppler_top)


# A phone at a place reports rarely (the suite's sparse regime: every 10-30 minutes at a stay,
# a third of its fixes network positions the cleaning drops), on the move every 1-2 minutes:
# the step leaving the place then spans the dwell before the departure. A step at least
# DWELL_STEPS times the steps after it and DWELL_MIN_S long, slower than them, held standing
# time the ride did not take.
DWELL_STEPS = 2.0    # twice the phone's usual step is not its moving cadence (legs._CATCH_UP too)
DWELL_MIN_S = 240.0  # two of a sparse phone's 2-minute steps (shorter: the cadence itself)
DWELL_PACE_S = 180.0  # the pace right after leaving, over 3 minutes or more (2-3 sparse steps)
_DWELL_STEPS_MAX = 12  # a dense phone's 3 minutes at 15 s steps
# The straight line that gives the pace must be beyond the scatter of its two ends: each
# fix is off by about its claimed accuracy (Android's is a 68 % radius), so a line shorter
# than twice their sum can be half scatter (a phone left at a place at 50 m accuracy
# "walked" 172 m in 134 s: e-mission shankari_2016-09-03 under bench/robustness.py noise50)
DWELL_SCATTER = 2.0


def opening_dwell_s(points: list) -> float:
    """Seconds of standing at the place inside the first step of points (a trip's or its
    first leg's fixes, from the place's last fix): the member covered that step at no less
    than the pace right after it (nobody drives off slower than they go on; a walk from the
    door to the car is seconds of it), so the rest of the step was spent before leaving.
    The pace is the straight line over DWELL_PACE_S after the step (less when the leg ends
    sooner): a lower bound on the road's, which the fixes' jitter inflates far less than a
    sum of short steps.
    0 when the first step is the phone's usual cadence or no slower than what follows."""
    if len(points) < 3:
        return 0.0
    p0, p1 = points[0], points[1]
    dt0 = p1.ts - p0.ts
    k = 2
    while k < len(points) - 1 and k <= _DWELL_STEPS_MAX and points[k].ts - p1.ts < DWELL_PACE_S:
        k += 1
    nxt = points[1:k + 1]
    span = nxt[-1].ts - p1.ts
    dts = [q.ts - p.ts for p, q in zip(nxt, nxt[1:])]
    if span <= 0 or dt0 < DWELL_MIN_S or dt0 < DWELL_STEPS * _median(dts):
        return 0.0
    seen = distance_m(p1.lat, p1.lon, nxt[-1].lat, nxt[-1].lon)
    if seen < DWELL_SCATTER * ((p1.acc or 10.0) + (nxt[-1].acc or 10.0)):
        return 0.0    # a standing phone's scatter, not a pace
    pace = seen / span
    d0 = distance_m(p0.lat, p0.lon, p1.lat, p1.lon)
    if d0 / dt0 >= pace:
        return 0.0
    return float(dt0 - d0 / pace)
