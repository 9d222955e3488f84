"""How likely a leg's measurements are under each mode (the per-leg part of the model).

log L(mode) = sum over the features measurable on this leg of weight x log density, each
density flat over the mode's typical range and Gaussian outside it (carbon.mode_params).
Features that cannot be measured at this sampling are left out, so a sparse leg is
decided by what is known (its mean speed and distance), with a likelihood that is flat
across the modes that could have done it: its confidence says so.
"""
import math

from carbon.features import DENSE_STEP_S, TIMED_STEP_S, LegFeatures
from carbon.mode_params import FEATURES, INFERRED, RANGES, STATION_HALTS, STATIONS_WEIGHT

_SQRT_2PI_HALF = math.sqrt(2 * math.pi) / 2


def measurable(f: LegFeatures) -> dict:
    """{feature: value} of what this leg's sampling lets us read."""
    out = {}
    if f.duration_s > 0:
        out["mean"] = f.mean_ms
        out["distance"] = f.distance_m
    timed = f.median_step_s <= TIMED_STEP_S and f.n_fixes >= 4
    if timed:
        out["cruise"] = f.p85_held_ms
        out["top"] = f.p95_held_ms
    if f.sustained_p85_ms is not None and f.median_step_s <= 2 * TIMED_STEP_S:
        out["sustained"] = f.sustained_p85_ms
    if f.median_step_s <= DENSE_STEP_S and f.distance_m >= 400 and f.n_fixes >= 8:
        out["stops"] = f.stops_per_km
    if f.station_halts is not None:
        out["stations"] = f.station_halts
    if f.blind_share is not None and f.duration_s >= 120:
        out["blind"] = f.blind_share
    if f.wait_s is not None:
        out["wait"] = f.wait_s
    return out


def _flat_top(u: float, a: float, b: float, s_lo: float, s_hi: float) -> float:
    """log density at u of: flat on [a, b], half-Gaussians of sd s_lo / s_hi outside."""
    z = (b - a) + (s_lo + s_hi) * _SQRT_2PI_HALF
    if u < a:
        d = (a - u) / s_lo
    elif u > b:
        d = (u - b) / s_hi
    else:
        d = 0.0
    return -0.5 * d * d - math.log(z)


def _feature_loglik(name: str, value: float, row: tuple) -> float:
    offset, _weight = FEATURES[name]
    lo, hi, s_lo, s_hi = row
    if offset is None:
        return _flat_top(value, lo, hi, s_lo, s_hi)
    return _flat_top(math.log(value + offset), math.log(lo + offset), math.log(hi + offset),
                     s_lo, s_hi)


def contributions(f: LegFeatures, ranges: dict | None = None, modes=INFERRED) -> dict:
    """{mode: {feature: weighted log density}} under each mode's best-fitting component
    (plus "component": its log share): what each measurable feature says."""
    ranges = ranges or RANGES
    values = measurable(f)
    halts = values.pop("stations", None)
    out = {}
    for mode in modes:
        best = None
        for share, row in ranges[mode]:
            parts = {k: FEATURES[k][1] * _feature_loglik(k, v, row[k]) for k, v in values.items()}
            parts["component"] = math.log(share)
            if best is None or sum(parts.values()) > sum(best.values()):
                best = parts
        if halts is not None:
            best["stations"] = STATIONS_WEIGHT * _count_loglik(halts, f.distance_m, mode)
        out[mode] = best
    return out


def leg_loglik(f: LegFeatures, ranges: dict | None = None, modes=INFERRED) -> dict:
    """{mode: log likelihood} of this leg's measurable features, a mixture over the mode's
    components; `ranges` may carry the member's own (carbon.priors) in place of the
    defaults."""
    table = _compiled(ranges or RANGES, modes)
    values = measurable(f)
    halts = values.pop("stations", None)
    u = {k: (v if FEATURES[k][0] is None else math.log(v + FEATURES[k][0]))
         for k, v in values.items()}
    out = {}
    for mode, comps in table:
        best, terms = -math.inf, []
        for log_share, rows in comps:
            total = log_share
            for k, x in u.items():
                a, b, s_lo, s_hi, w_logz, w = rows[k]
                if x < a:
                    d = (a - x) / s_lo
                    total -= w * 0.5 * d * d
                elif x > b:
                    d = (x - b) / s_hi
                    total -= w * 0.5 * d * d
                total -= w_logz
            terms.append(total)
            best = max(best, total)
        value = best if len(terms) == 1 else \
            best + math.log(sum(math.exp(t - best) for t in terms))
        if halts is not None:
            value += STATIONS_WEIGHT * _count_loglik(halts, f.distance_m, mode)
        out[mode] = value
    return out


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
            for k, (lo, hi, s_lo, s_hi) in row.items():
                off, w = FEATURES[k]
                a, b = (lo, hi) if off is None else (math.log(lo + off), math.log(hi + off))
                z = (b - a) + (s_lo + s_hi) * _SQRT_2PI_HALF
                rows[k] = (a, b, s_lo, s_hi, w * math.log(z), w)
            comps.append((math.log(share), rows))
        table.append((mode, comps))
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = (ranges, table)
    return table


def _count_loglik(k: int, distance_m: float, mode: str) -> float:
    """log P(k station halts over this distance | mode) (see mode_params.STATION_HALTS)."""
    law, km_per_halt = STATION_HALTS[mode]
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
