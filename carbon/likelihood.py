"""How likely a leg's measurements are under each mode (the per-leg part of the model).

log L(mode) = sum over the features measurable on this leg of weight x log density, each
density flat over the mode's typical range and Gaussian outside it (carbon.mode_params).
Features that cannot be measured at this sampling are left out, so a sparse leg is
decided by what is known (its mean speed, its chords' speeds and its distance), with a
likelihood that is flat across the modes that could have done it: its confidence says so.
"""
import math

from carbon.features import DENSE_STEP_S, STATION_HALT_S, TIMED_STEP_S, LegFeatures
from carbon.mode_params import (FEATURES, INFERRED, JAM_MAX_MEAN_MS, JAM_RANGES, MOVING_PACE,
                                MOVING_PACE_WEIGHT, QUEUE, QUEUE_RANGES, RANGES, STATIONS_WEIGHT,
                                TRANSFER_WALK_M)

_SQRT_2PI_HALF = math.sqrt(2 * math.pi) / 2
UNSEEN_SHARE = 0.5      # a ride at least half unseen: no halt seen is not "no halt"
# A station halt is counted from 15 s standing between two fixes; a metro dwells 15-40 s.
# Seen only with a fix after the arrival and one before the departure 15 s apart: a 40 s
# dwell needs a step of at most (40 - 15) / 2 s. A coarser phone sees no metro station
# (a car's zero), so there a count of none is no evidence; halts it does see still count.
METRO_DWELL_MAX_S = 40.0
DWELL_SEEN_STEP_S = (METRO_DWELL_MAX_S - STATION_HALT_S[0]) / 2
# Halts are seen only where the phone saw the member: over a ride partly unseen (a tunnel,
# network positions), the halts counted are those of the seen part, so they are read per
# km seen, not per km ridden (a metro's four stops seen on the 4 km of a 10 km ride out of
# its tunnel are a stop every kilometre seen, a metro's spacing, not one every 2.5 km, a
# commuter train's). Never less than this share of the ride: a blind share is itself an
# estimate, and a halt or two seen on the last tenth of a ride says little of the rest.
MIN_SEEN_SHARE = 0.2
# Station halts are counted over the km seen only on a ride the phone did not see for half
# its time or more (UNSEEN_SHARE, the same line `measurable` draws for "no halt seen"): a
# tunnel hid the stations there, and a metro stopping every 0.7-1.5 km seen on the third of
# its ride that surfaces showed its two stations over 15 km, a commuter train's spacing
# (round 13, metro-dense). Below that the count stays over the km ridden: read over the km
# seen on every ride (round 8, engine-metro, tried again in round 13) it also made rails seen
# through a few network positions surer public transport, which joined connections where
# e-mission's truth ends a trip (F1 0.933 -> 0.904), and tipped a Helsinki train's silent
# hop to the metro ride beside it (docs/engine.md, tried).


def seen_share(f: LegFeatures) -> float:
    """The share of the leg the phone saw (1 - its blind share; 1 when not known)."""
    if f.blind_share is None:
        return 1.0
    return max(MIN_SEEN_SHARE, 1.0 - f.blind_share)


def stations_km(distance_m: float, blind: float | None) -> float:
    """The metres over which a leg's station halts were counted: the km seen of a ride
    mostly unseen (a tunnel), else the km ridden (see MIN_SEEN_SHARE)."""
    if blind is None or blind < UNSEEN_SHARE:
        return distance_m
    return distance_m * max(MIN_SEEN_SHARE, 1.0 - blind)


def measurable(f: LegFeatures) -> dict:
    """{feature: value} of what this leg's sampling lets us read."""
    out = {}
    if f.duration_s > 0:
        out["mean"] = f.mean_ms
        out["distance"] = f.distance_m
    # Cruising and peak speeds are read where the phone saw the member move: over a ride
    # it saw nothing of for most of the time (a tunnel), the few steps it did see are the
    # stations and the walks to the platform, and the tunnel's one long step says how fast
    # the member went on average (its mean, its headway), not how fast they cruised.
    silent = f.silent_share is not None and f.silent_share >= UNSEEN_SHARE
    timed = f.median_step_s <= TIMED_STEP_S and f.n_fixes >= 4 and not silent
    if timed:
        out["cruise"] = f.p85_held_ms
        out["top"] = f.p95_held_ms
    elif f.doppler_p85_ms is not None and not silent:
        # ... and a phone that reports its own speed (Doppler) tells them at any sampling:
        # chords a minute or two apart average the lights, instants do not (features.
        # doppler_speeds; a pedelec's 25 km/h cap against a car's 30-50 between lights)
        out["cruise"] = f.doppler_p85_ms
        out["top"] = f.doppler_top_ms
    elif f.paced:
        # ... and a ride seen every minute or two that halted nowhere (carbon.legs._paced)
        # moved at its steps' pace all along: that pace is its cruise
        out["cruise"] = f.p85_held_ms
    elif f.n_fixes >= 4 and not silent:
        # ... and elsewhere the fastest speed two of its chords held (2-4 minutes between
        # fixes a minute or more apart) is a floor under its peaks: above an assistance cap
        # it is no pedelec's (EN 15194: 25 km/h), whatever its halts (see _row); a step
        # downhill says nothing of the vehicle (features._downhill: gravity, not a motor)
        out["chord_top"] = f.p95_held_ms if f.p95_level_held_ms is None \
            else f.p95_level_held_ms
    # The headway is read at any sampling: between fixes 5 minutes apart it is the chord's
    # speed, what the member averaged over those minutes (a car's stays under the limit, an
    # intercity train's does not). A single step (a silent hop) has none: it is its mean.
    if f.sustained_p85_ms is not None and f.n_fixes >= 3:
        out["sustained"] = f.sustained_p85_ms
    # Halts are counted where the phone saw the member: over a ride it mostly did not see
    # (a tunnel), "no halt seen" is no evidence against a metro stopping at every station
    # (the halts it did see still happened).
    unseen = f.blind_share is not None and f.blind_share >= UNSEEN_SHARE
    if f.median_step_s <= DENSE_STEP_S and f.distance_m >= 400 and f.n_fixes >= 8 \
            and not (unseen and f.stops_per_km == 0):
        out["stops"] = f.stops_per_km / seen_share(f)
    elif f.paced:
        # A halt at a stop, a light or a station costs a step of a minute or two a third of
        # its chord or more; a ride whose every step kept its pace halted nowhere
        # (carbon.legs._paced): no stop, and no station either
        out["stops"] = 0.0
        out["stations"] = 0
    if f.station_halts is not None and not ((unseen or f.median_step_s > DWELL_SEEN_STEP_S)
                                            and f.station_halts == 0):
        out["stations"] = f.station_halts
    if f.blind_share is not None and f.duration_s >= 120:
        out["blind"] = f.blind_share
    if f.wait_s is not None:
        out["wait"] = f.wait_s
    return out


def _flat_top(u: float, a: float, b: float, s_lo: float, s_hi: float,
              shape_only: bool = False) -> float:
    """log density at u of: flat on [a, b], half-Gaussians of sd s_lo / s_hi outside
    (`shape_only`: without the normalisation, see _shape_only)."""
    z = (b - a) + (s_lo + s_hi) * _SQRT_2PI_HALF
    if shape_only:
        z **= _SECONDARY
    if u < a:
        d = (a - u) / s_lo
    elif u > b:
        d = (u - b) / s_hi
    else:
        d = 0.0
    return -0.5 * d * d - math.log(z)


def _feature_loglik(name: str, value: float, row: tuple, shape_only: bool = False) -> float:
    offset, _weight = FEATURES[name]
    lo, hi, s_lo, s_hi = row
    if offset is not None:
        value, lo, hi = (math.log(x + offset) for x in (value, lo, hi))
    if name in BOUNDS_ONLY:     # its tails alone: 0 within the range
        return _flat_top(value, lo, hi, s_lo, s_hi) - _flat_top(lo, lo, hi, s_lo, s_hi)
    return _flat_top(value, lo, hi, s_lo, s_hi, shape_only)


# Features read as a bound only (`_row`): no density within the range, so that a mode with
# a narrow range gains nothing from them, and one the value exceeds pays its tail.
BOUNDS_ONLY = frozenset({"chord_top"})


def contributions(f: LegFeatures, ranges: dict | None = None, modes=INFERRED) -> dict:
    """{mode: {feature: weighted log density}} under each mode's best-fitting component
    (plus "component": its log share): what each measurable feature says."""
    return contributions_of(measurable(f), f.distance_m, ranges, modes)


def contributions_of(values: dict, distance_m: float, ranges: dict | None = None,
                     modes=INFERRED) -> dict:
    """The same from the measurable features themselves (`values`, as a leg reports them in
    `Leg.features`; other keys are ignored) and the leg's distance."""
    ranges = ranges or RANGES
    values = {k: v for k, v in values.items() if k in FEATURES or k == "stations"}
    halts = values.pop("stations", None)
    counted_m = stations_km(distance_m, values.get("blind"))
    shaped = _shape_only(values)
    out = {}
    for mode in modes:
        best = None
        for share, row in ranges[mode]:
            parts = {k: FEATURES[k][1] * _feature_loglik(k, v, _row(row, k), k in shaped)
                     for k, v in values.items()}
            parts["component"] = math.log(share)
            if halts is not None:
                parts["stations"] = STATIONS_WEIGHT * _count_loglik(halts, counted_m,
                                                                    row["stations"])
            if best is None or sum(parts.values()) > sum(best.values()):
                best = parts
        out[mode] = best
    return out


def leg_loglik(f: LegFeatures, ranges: dict | None = None, modes=INFERRED) -> dict:
    """{mode: log likelihood} of this leg's measurable features, a mixture over the mode's
    components; `ranges` may carry the member's own (carbon.priors) in place of the
    defaults."""
    table = _compiled(ranges or RANGES, modes)
    values = measurable(f)
    halts = values.pop("stations", None)
    counted_m = stations_km(f.distance_m, values.get("blind"))
    u = {k: (v if FEATURES[k][0] is None else math.log(v + FEATURES[k][0]))
         for k, v in values.items()}
    shaped = _shape_only(u)
    out = {}
    for mode, comps in table:
        best, terms = -math.inf, []
        for log_share, rows, stations in comps:
            total = log_share
            if halts is not None:
                total += STATIONS_WEIGHT * _count_loglik(halts, counted_m, stations)
            for k, x in u.items():
                a, b, s_lo, s_hi, w_logz, w = rows[k]
                if x < a:
                    d = (a - x) / s_lo
                    total -= w * 0.5 * d * d
                elif x > b:
                    d = (x - b) / s_hi
                    total -= w * 0.5 * d * d
                total -= w_logz * (_SECONDARY if k in shaped else 1.0)
            terms.append(total)
            best = max(best, total)
        out[mode] = best if len(terms) == 1 else \
            best + math.log(sum(math.exp(t - best) for t in terms))
    return out


# The speed features all measure much the same thing, how fast the member went: a narrow
# typical range (an e-bike's assistance cap) would be counted four times as evidence if
# each kept its full normalisation. The main one (the cruise speed when the sampling shows
# it, else the mean) keeps it, the others a third of it (they are not independent, nor
# the same: the mean counts the stops, the top the peaks); their tails count in full.
_SPEED = ("cruise", "mean", "top", "sustained")
_SECONDARY = 1.0 / 3.0


def _shape_only(u: dict) -> frozenset:
    main = next((k for k in _SPEED if k in u), None)
    return frozenset(k for k in _SPEED if k in u and k != main)


_CACHE: dict = {}


def _compiled(ranges: dict, modes) -> list:
    """[(mode, [(log share, {feature: (a, b, s_lo, s_hi, weight x log z, weight)})])]
    with bounds already in the feature's transformed units (computed once per table)."""
    key = (id(ranges), tuple(modes))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is ranges:
        return hit[1]
    table = []
    for mode in modes:
        comps = []
        for share, row in ranges[mode]:
            rows = {}
            for k in FEATURES:
                if k not in row and not (k == "chord_top" and "top" in row):
                    continue
                lo, hi, s_lo, s_hi = _row(row, k)
                off, w = FEATURES[k]
                a, b = (lo, hi) if off is None else (math.log(lo + off), math.log(hi + off))
                z = (b - a) + (s_lo + s_hi) * _SQRT_2PI_HALF
                rows[k] = (a, b, s_lo, s_hi, 0.0 if k in BOUNDS_ONLY else w * math.log(z), w)
            comps.append((math.log(share), rows, row["stations"]))
        table.append((mode, comps))
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (ranges, table)
    return table


def _row(row: dict, feature: str) -> tuple:
    """A component's range for a feature: the chords' top is read against the top's upper
    limit alone (flat from 0: a chord between fixes a minute or two apart averages a light's
    halt and cuts the corners, so a low one is no evidence against a fast mode; a high one
    held over two chords is a speed the member kept for minutes)."""
    if feature == "chord_top":
        _lo, hi, _s_lo, s_hi = row["top"]
        return (0.0, hi, 1.0, s_hi)
    return row[feature]


def _count_loglik(k: int, distance_m: float, model: tuple) -> float:
    """log P(k station halts over this distance) under a component's count model
    (see mode_params, "stations")."""
    law, km_per_halt = model
    mean = max(distance_m / 1000.0 / km_per_halt, 1e-3)
    if law == "poisson":
        return k * math.log(mean) - mean - math.lgamma(k + 1)
    q = mean / (1.0 + mean)                      # geometric on 0, 1, 2, ... with this mean
    return math.log(1.0 - q) + k * math.log(q)


def wait_loglik(seconds: float, ranges: dict | None = None, modes=INFERRED) -> dict:
    """{mode: log likelihood} of standing `seconds` at the boarding point (the wait
    feature alone, for a stop that was first read as a stay)."""
    ranges = ranges or RANGES
    return {m: FEATURES["wait"][1] * _feature_loglik("wait", seconds, ranges[m][0][1]["wait"])
            for m in modes}


def posterior(loglik: dict, prior: dict) -> dict:
    """Normalised probabilities from log likelihoods and a prior (modes absent: 0)."""
    scores = {m: v + math.log(prior[m]) for m, v in loglik.items()
              if prior.get(m, 0) > 0 and v > -math.inf}
    if not scores:
        return {}
    top = max(scores.values())
    weights = {m: math.exp(v - top) for m, v in scores.items()}
    total = sum(weights.values())
    return {m: w / total for m, w in weights.items()}


def queue_wait_loglik(seconds: float) -> float:
    """log likelihood of standing `seconds` as a queue moving on (mode_params.QUEUE's wait:
    seconds to a signal cycle), where a walk into a vehicle reads a wait for a service."""
    return wait_loglik(seconds, QUEUE_RANGES, ("queue",))["queue"]


def jam_loglik(f: LegFeatures) -> float:
    """log likelihood of the leg's measures as a car in stop-and-go (mode_params.JAM)."""
    if f.mean_ms > JAM_MAX_MEAN_MS:
        return -math.inf
    return leg_loglik(f, JAM_RANGES, ("jam",))["jam"]


def queue_loglik(f: LegFeatures, walk_loglik: float, ranges: dict | None = None) -> float:
    """log likelihood of the leg as a road vehicle queuing (mode_params.QUEUE), on the same
    footing as its walk's: the walk's log likelihood from the leg's measures (`walk_loglik`
    as carbon.legs passes it, before `_evidence` adds a feed's line or the phone's
    activity: neither reaches this state), plus how much likelier the queue makes what was measured than a transfer walk does, on
    the features both read, on its length (a transfer is short), and on the pace while
    moving where the halts can be seen (a walker keeps walking pace between crossings, a
    queue moves in bursts)."""
    ranges = ranges or RANGES
    pair = leg_loglik(f, {"walk": ranges["walk"], "queue": [(1.0, QUEUE)]}, ("walk", "queue"))
    ratio = pair["queue"] - pair["walk"]
    # the walk this state stands against lies between two rides: a transfer, whose length
    # is a transfer's (TRANSFER_WALK_M), not any walk's; raising the queue by the walk's
    # ratio of the two is the same comparison
    if f.duration_s > 0:
        w = FEATURES["distance"][1]
        ratio += w * (_feature_loglik("distance", f.distance_m, ranges["walk"][0][1]["distance"])
                      - _feature_loglik("distance", f.distance_m, TRANSFER_WALK_M))
    if f.median_step_s <= DENSE_STEP_S and f.n_fixes >= 8 and f.duration_s > f.halted_s:
        pace = f.distance_m / (f.duration_s - f.halted_s)
        ratio += MOVING_PACE_WEIGHT * (_robust("mean", pace, MOVING_PACE["queue"])
                                       - _robust("mean", pace, MOVING_PACE["walk"]))
    return walk_loglik + ratio


# The pace while moving rests on the halts found, which a missed or a spurious halt moves:
# its density is mixed with a flat one over every pace a phone reports (0.3-30 m/s, in log
# units) for PACE_OUTLIER of the legs, so that it tips a walk against a queue by at most
# ~3 log units and never outweighs everything else the leg shows.
PACE_OUTLIER = 0.05
_PACE_FLAT = -math.log(math.log(30.3 / 0.6))


def _robust(name: str, value: float, row: tuple) -> float:
    dens = _feature_loglik(name, value, row)
    top = max(dens, _PACE_FLAT)
    return top + math.log((1 - PACE_OUTLIER) * math.exp(dens - top)
                          + PACE_OUTLIER * math.exp(_PACE_FLAT - top))
