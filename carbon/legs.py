"""Cut a trip into legs, one per mode.

People change vehicles on foot (walk to the bus stop, the ride, the walk to the office), so a
trip is first cut into slow and fast stretches at walking speed. Stretches too short to be a
leg (a red light, a GPS burst) are absorbed by their neighbours, shortest first, so a long
ride is not broken by its stops. Each stretch then gets a mode and neighbours with the same
mode are joined.
"""
from carbon.features import STOP_SPEED_MS, leg_features
from carbon.geo import distance_m
from carbon.model import Leg
from carbon.modes import ACTIVITY_ALIASES, infer_mode, speed_class
from carbon.params import DEFAULT_PARAMS, Context, Params
from carbon.speeds import step_distances, window_speeds


def _runs(labels: list) -> list:
    """[label, first_step, end_step) runs of equal labels."""
    runs = []
    for k, lab in enumerate(labels):
        if runs and runs[-1][0] == lab:
            runs[-1][2] = k + 1
        else:
            runs.append([lab, k, k + 1])
    return runs


def _evidence_s(run, points, speeds, params: Params = DEFAULT_PARAMS) -> float:
    """Time a run gives evidence of its mode. Standing still says nothing: a car at a red
    light and a walker at a crossing both stand, and a distance-filtered phone reports a stop
    as one long slow step. So a slow run counts only its time at walking pace, and a fast run
    only its time above it: once a fast run has absorbed a short slow one (the member
    standing at the door), that time is no evidence of a vehicle, or one 60 s jump of a
    wifi fix at the end of a walk would grow into a two-minute "ride"."""
    lab, a, b = run
    if lab:
        return sum(points[k + 1].ts - points[k].ts for k in range(a, b)
                   if speeds[k] >= params.walk_max_ms)
    return sum(points[k + 1].ts - points[k].ts for k in range(a, b) if speeds[k] >= STOP_SPEED_MS)


def _too_short(run, points, dists, speeds, params: Params) -> bool:
    lab, a, b = run
    if _evidence_s(run, points, speeds, params) < params.min_leg_s:
        return True
    return lab and sum(dists[a:b]) < params.min_leg_m   # a short fast burst is noise


def _absorb_short(runs: list, points, dists, speeds, params: Params) -> list:
    """Runs too short to be a leg take their neighbours' label, the one with the least
    evidence first, so a long ride is not broken by its stops."""
    while len(runs) > 1:
        short = [r for r in runs if _too_short(r, points, dists, speeds, params)]
        if not short:
            break
        victim = min(short, key=lambda r: _evidence_s(r, points, speeds, params))
        victim[0] = not victim[0]
        merged = []
        for r in runs:
            if merged and merged[-1][0] == r[0]:
                merged[-1][2] = r[2]
            else:
                merged.append(r)
        runs = merged
    return runs


_HALT_S = 45.0   # standing this long: time to get off a train and onto a bike


def _split_at_halt(run, points, speeds, dists, params: Params) -> list:
    """A fast run that is a ride and a motor ride (a cyclist reaching the station and the
    train): nobody changes vehicle without stopping, so the run is cut at its longest halt
    when the two sides read as different classes (cycle and motor or rail) and each is long
    enough to be a leg. The halt goes to what moves next: before boarding it is the wait for
    the train; after alighting the member is off the train (it leaves within a minute) and
    getting onto the bike, so the ride starts where the train stopped."""
    lab, a, b = run
    if not lab:
        return [run]
    # standing: the windowed speed or the step's own (a window of sparse fixes reaches
    # into the ride on either side of a short halt)
    standing = [min(speeds[k], dists[k] / max(points[k + 1].ts - points[k].ts, 1)) < STOP_SPEED_MS
                for k in range(len(speeds))]
    best, k = None, a
    while k < b:
        if not standing[k]:
            k += 1
            continue
        j = k
        while j < b and standing[j]:
            j += 1
        held = points[j].ts - points[k].ts
        if k > a and j < b and held >= _HALT_S and \
                (best is None or held > points[best[1]].ts - points[best[0]].ts):
            best = (k, j)
        k = j
    if best is None:
        return [run]
    h0, h1 = best
    sides = []
    for x, y in ((a, h0), (h1, b)):
        if points[y].ts - points[x].ts < params.min_leg_s or sum(dists[x:y]) < params.min_leg_m:
            return [run]
        sides.append(speed_class(leg_features(points[x:y + 1], speeds[x:y], dists[x:y])))
    if sorted(sides) not in (["cycle", "motor"], ["cycle", "rail"]):
        return [run]
    cut = h0   # the halt belongs to the side after it (see above)
    return [[lab, a, cut], [lab, cut, b]]


def _evidence(points: list) -> dict:
    """Share of the stretch's time covered by each activity the phone reported."""
    shares, total = {}, 0.0
    for p, q in zip(points, points[1:]):
        dt = q.ts - p.ts
        total += dt
        mode = ACTIVITY_ALIASES.get((p.activity or "").lower())
        if mode:
            shares[mode] = shares.get(mode, 0.0) + dt
    return {m: s / total for m, s in shares.items()} if total > 0 else {}


def _make_leg(points, speeds, dists, a, b, context: Context) -> Leg:
    seg = points[a:b + 1]
    f = leg_features(seg, speeds[a:b], dists[a:b])
    transit_mode = context.transit.match(seg) if context.transit is not None else None
    mode, conf = infer_mode(f, _evidence(seg), transit_mode, context.owned_modes)
    # Windowed speed x time ignores the zig-zag that fix noise adds to slow, dense tracks.
    distance = sum(v * (points[k + 1].ts - points[k].ts) for k, v in zip(range(a, b), speeds[a:b]))
    distance = min(distance, f.distance_m) if distance > 0 else f.distance_m
    return Leg(seg[0].ts, seg[-1].ts, round(distance, 1), mode, round(conf, 2), n_points=len(seg))


def _join_same_mode(legs: list) -> list:
    out = []
    for leg in legs:
        prev = out[-1] if out else None
        if prev and prev.mode == leg.mode:
            prev.end_ts = leg.end_ts
            prev.distance_m = round(prev.distance_m + leg.distance_m, 1)
            prev.confidence = max(prev.confidence, leg.confidence)
            prev.n_points += leg.n_points - 1
        else:
            out.append(leg)
    return out


_CYCLES = ("bike", "e-bike", "e-scooter")
_FOOT = ("walk", "run")
FOOT_MODES = _FOOT


def carry_bike(legs: list) -> list:
    """A cyclist does not leave the bike behind in the middle of a trip: between two cycle
    legs (a train between them carried it too), a stretch at walking pace is the member
    pushing it or riding slowly (at lights, in a station, uphill), so it is the cycle leg's
    mode. Legs are joined again when neighbours end up with the same mode."""
    idx = [k for k, leg in enumerate(legs) if leg.mode in _CYCLES]
    if len(idx) < 2:
        return legs
    for k in range(idx[0] + 1, idx[-1]):
        if legs[k].mode in _FOOT:
            legs[k].mode = legs[k - 1].mode if legs[k - 1].mode in _CYCLES else \
                next(legs[j].mode for j in idx if j > k)
            legs[k].confidence = 0.5
    return _join_same_mode(legs)


def _open_span(points: list, radius: float) -> tuple:
    """(lo, hi): the fixes of a trip out in the open, from the first one beyond the stay
    radius of its start to the last one beyond that of its end. The steps leaving and reaching
    the places have an unknown timing (the phone slept there or repeated a stale cached fix:
    a 500 m "hop" in 30 s right after leaving home is the phone catching up, not a car) and
    the fixes at the places are standing: neither says anything about the mode."""
    n = len(points)
    first, last = points[0], points[-1]
    lo = 0
    while lo < n - 1 and distance_m(first.lat, first.lon, points[lo].lat, points[lo].lon) <= radius:
        lo += 1
    hi = n - 1
    while hi > lo and distance_m(last.lat, last.lon, points[hi].lat, points[hi].lon) <= radius:
        hi -= 1
    # A sparse phone crosses the radius in one step: that step is the ride itself, unless it
    # is much longer than the phone's usual step (the phone catching up after sleeping).
    steps = sorted(step_distances(points))
    usual = steps[len(steps) // 2]
    if lo == 1 and _hop(points[0], points[1]) <= _CATCH_UP * usual:
        lo = 0
    if hi == n - 2 and _hop(points[-2], points[-1]) <= _CATCH_UP * usual:
        hi = n - 1
    return (lo, hi) if hi - lo >= 2 else (0, n - 1)


_CATCH_UP = 2.0   # a step this many times the phone's median step is a catch-up hop


def _hop(p, q) -> float:
    return distance_m(p.lat, p.lon, q.lat, q.lon)


def split_legs(points: list, params: Params = DEFAULT_PARAMS, context: Context | None = None) -> list:
    """Legs of a trip whose clean fixes (departure to arrival) are given. Modes are read on
    the fixes out in the open (see _open_span); the first and last legs then stretch to the
    trip's ends, with the distance of the steps they gain."""
    context = context or Context()
    if len(points) < 2:
        return []
    lo, hi = _open_span(points, params.stay_radius_m)
    core = points[lo:hi + 1]
    speeds = window_speeds(core, params.speed_window_s)
    dists = step_distances(core)
    labels = [v >= params.walk_max_ms for v in speeds]
    runs = _absorb_short(_runs(labels), core, dists, speeds, params)
    runs = [part for run in runs for part in _split_at_halt(run, core, speeds, dists, params)]
    legs = carry_bike(_join_same_mode([_make_leg(core, speeds, dists, a, b, context)
                                       for _, a, b in runs]))
    _stretch(legs[0], points[:lo + 1], at_start=True)
    _stretch(legs[-1], points[hi:], at_start=False)
    return legs


def _stretch(leg: Leg, edge: list, at_start: bool) -> None:
    """Extend a leg over the fixes between it and the trip's end (`edge`, in time order)."""
    if len(edge) < 2:
        return
    leg.distance_m = round(leg.distance_m + sum(step_distances(edge)), 1)
    leg.n_points += len(edge) - 1
    if at_start:
        leg.start_ts = edge[0].ts
    else:
        leg.end_ts = edge[-1].ts
