"""What the engine believes before looking at a leg, and how a member's corrections move it.

The defaults (carbon.mode_params) describe people in general. A member who corrects a few
legs tells the engine about themselves: the modes they use (each leg corrected to a mode
makes it more likely for them, the mode it was corrected from less likely) and how fast
they walk, run or ride (their corrected legs' speeds are widened into the mode's typical
range for them). The member's recurring trips are learned in carbon.corrections. Pure
data in, data out: the same corrections always give the same priors, so a rebuild and an
incremental update agree.
"""
import math
from dataclasses import dataclass, field

from carbon import mode_params as mp

_TO_WEIGHT = 0.5            # each correction to a mode adds half its base share
_FROM_FACTOR = 0.6          # ... and each one away from a mode keeps 60 % of its share
_SPEEDS = ("mean", "cruise", "sustained")
_MARGIN = 1.1               # the member's speed +-10 % joins the mode's typical range
PERSONAL_MODES = ("walk", "run", "bike", "e-bike")   # speeds that are the member's own


@dataclass
class Priors:
    leg_prior: dict = field(default_factory=lambda: dict(mp.LEG_PRIOR))
    kinds: dict = field(default_factory=lambda: mp.TRIP_KINDS)
    ranges: dict = field(default_factory=lambda: mp.RANGES)


DEFAULT = Priors()


def learn(corrections) -> Priors:
    """The member's priors from their leg corrections (carbon.corrections.Correction with
    `was` and `features`); the defaults when there are none."""
    legs = [c for c in corrections if c.kind == "leg_mode" and c.value in mp.INFERRED]
    if not legs:
        return DEFAULT
    prior = dict(mp.LEG_PRIOR)
    for c in legs:
        prior[c.value] += _TO_WEIGHT * mp.LEG_PRIOR[c.value]
        if c.was in prior and c.was != c.value:
            prior[c.was] *= _FROM_FACTOR
    total = sum(prior.values())
    prior = {m: p / total for m, p in prior.items()}
    return Priors(prior, _kinds(prior), _ranges(legs))


def _kinds(prior: dict) -> dict:
    """Trip kinds weighed by how much the member uses their vehicles (a member who never
    drives makes car trips unlikely)."""
    base = {name: sum(mp.LEG_PRIOR[m] for m in k["modes"] if m not in ("walk", "run"))
            for name, k in mp.TRIP_KINDS.items()}
    now = {name: sum(prior[m] for m in k["modes"] if m not in ("walk", "run"))
           for name, k in mp.TRIP_KINDS.items()}
    out = {}
    for name, kind in mp.TRIP_KINDS.items():
        out[name] = dict(kind, prior=kind["prior"] * now[name] / base[name])
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
