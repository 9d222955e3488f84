"""Cut a trip into legs, one per mode.

People change vehicles on foot (walk to the bus stop, the ride, the walk to the office), so a
trip is first cut into slow and fast stretches at walking speed. Stretches too short to be a
leg (a red light, a GPS burst) are absorbed by their neighbours, shortest first, so a long
ride is not broken by its stops. Each stretch then gets a mode and neighbours with the same
mode are joined.
"""
from carbon.features import leg_features
from carbon.model import Leg
from carbon.modes import ACTIVITY_ALIASES, infer_mode
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


def _too_short(run, points, dists, params: Params) -> bool:
    lab, a, b = run
    duration = points[b].ts - points[a].ts
    if duration < params.min_leg_s:
        return True
    return lab and sum(dists[a:b]) < params.min_leg_m   # a short fast burst is noise


def _absorb_short(runs: list, points, dists, params: Params) -> list:
    while len(runs) > 1:
        short = [r for r in runs if _too_short(r, points, dists, params)]
        if not short:
            break
        victim = min(short, key=lambda r: points[r[2]].ts - points[r[1]].ts)
        victim[0] = not victim[0]
        merged = []
        for r in runs:
            if merged and merged[-1][0] == r[0]:
                merged[-1][2] = r[2]
            else:
                merged.append(r)
        runs = merged
    return runs


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


def _relabel_silent_edges(points: list, labels: list, params: Params) -> None:
    """A sparse phone is silent until it is well away from a place: that first (and last)
    long step says nothing about the mode, so it takes its neighbour's."""
    if len(labels) < 2:
        return
    if points[1].ts - points[0].ts > 2 * params.speed_window_s:
        labels[0] = labels[1]
    if points[-1].ts - points[-2].ts > 2 * params.speed_window_s:
        labels[-1] = labels[-2]


def split_legs(points: list, params: Params = DEFAULT_PARAMS, context: Context | None = None) -> list:
    """Legs of a trip whose clean fixes (departure to arrival) are given."""
    context = context or Context()
    if len(points) < 2:
        return []
    speeds = window_speeds(points, params.speed_window_s)
    dists = step_distances(points)
    labels = [v >= params.walk_max_ms for v in speeds]
    _relabel_silent_edges(points, labels, params)
    runs = _absorb_short(_runs(labels), points, dists, params)
    legs = [_make_leg(points, speeds, dists, a, b, context) for _, a, b in runs]
    return _join_same_mode(legs)
