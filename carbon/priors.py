"""What the engine believes before looking at a leg, and how a member's corrections move it.

The defaults (carbon.mode_params) describe people in general. A member who corrects a few
legs tells the engine about themselves:

* the modes they use: each leg corrected to a mode makes that mode more likely for them
  (and the kinds of trips it belongs to), each one corrected away from a mode makes that
  one less likely;
* how fast they walk, run or ride: their corrected legs' speeds are widened into the
  mode's typical range for them (a member who rides at 11 km/h has a bike range that
  reaches 11 km/h, so their similar rides are no longer runs).

Their recurring trips (the same two places) are learned in carbon.corrections. Pure data
in, data out: the same corrections always give the same priors, so a rebuild and an
incremental update agree.
"""
import math
from dataclasses import dataclass, field

from carbon import mode_params as mp

_TO = 1.5                   # each correction to a mode multiplies its share by this...
_FROM = 0.6                 # ... and each one away from a mode multiplies that one's by this
_SPEEDS = ("mean", "cruise", "sustained", "top")
_MARGIN = 1.1               # the member's speed +-10 % joins the mode's typical range
PERSONAL_MODES = ("walk", "run", "bike", "e-bike")   # speeds that are the member's own


@dataclass
class Priors:
    kinds: dict = field(default_factory=lambda: mp.TRIP_KINDS)
    ranges: dict = field(default_factory=lambda: mp.RANGES)


DEFAULT = Priors()


def learn(corrections) -> Priors:
    """The member's priors from their leg corrections (carbon.corrections.Correction with
    `was` and `features`); the defaults when there are none."""
    legs = [c for c in corrections if c.kind == "leg_mode" and c.value in mp.INFERRED]
    if not legs:
        return DEFAULT
    factor = dict.fromkeys(mp.INFERRED, 1.0)
    for c in legs:
        factor[c.value] *= _TO
        if c.was in factor and c.was != c.value:
            factor[c.was] *= _FROM
    return Priors(_kinds(factor), _ranges(legs))


def _kinds(factor: dict) -> dict:
    """Each kind's mode shares scaled and renormalised; the kind's own share scaled by how
    much its vehicles' legs grew (a member who corrects rides to bike makes bike trips
    likelier, one who never drives makes car trips unlikelier)."""
    out = {}
    for name, kind in mp.TRIP_KINDS.items():
        scaled = {m: w * factor.get(m, 1.0) for m, w in kind["modes"].items()}
        total = sum(scaled.values())
        growth = total / sum(kind["modes"].values())
        out[name] = {"prior": kind["prior"] * growth,
                     "modes": {m: w / total for m, w in scaled.items()}}
    total = sum(k["prior"] for k in out.values())
    for kind in out.values():
        kind["prior"] /= total
    return out


def _ranges(legs: list) -> dict:
    ranges = {m: [(share, dict(row)) for share, row in comps] for m, comps in mp.RANGES.items()}
    for c in legs:
        if c.value not in PERSONAL_MODES or not c.features:
            continue
        for _share, row in ranges[c.value]:
            for name in _SPEEDS:
                value = c.features.get(name)
                if value is None or not math.isfinite(value) or value <= 0:
                    continue
                lo, hi, s_lo, s_hi = row[name]
                row[name] = (min(lo, value / _MARGIN), max(hi, value * _MARGIN), s_lo, s_hi)
    return ranges
