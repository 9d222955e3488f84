"""Give a trip's measured legs their modes: the model's decision, then what must hold.

1. Each leg's likelihood loses the modes outside their physical envelope (carbon.envelopes).
2. The trip's legs are decoded together (carbon.decode) under the member's priors.
3. Neighbours with the same mode are joined (their evidence adds up); the bike is carried
   between two rides; the envelope is checked again on the joined legs.
4. The member's own vehicles refine a mode within its family (an e-scooter rider's
   "bike-like" leg is an e-scooter).
"""
from carbon.decode import decode
from carbon.envelopes import allowed
from carbon.model import Leg
from carbon.modes import _fit_to_owned as fit_to_owned

_CYCLES = ("bike", "e-bike", "e-scooter")
FOOT_MODES = ("walk", "run")
_TOP = 3                     # runners-up kept with each leg


def _duration(leg: Leg) -> float:
    return max(leg.end_ts - leg.start_ts, 0)


def _sustained(leg: Leg):
    return (leg.features or {}).get("sustained")


def fits(leg: Leg, mode: str) -> bool:
    """Is the leg within the mode's physical envelope?"""
    f = leg.features or {}
    return allowed(mode, leg.distance_m, _duration(leg), f.get("sustained"), f.get("hop", False))


def _masked(leg: Leg) -> dict:
    """The leg's likelihood with modes outside their envelope removed."""
    return {m: v for m, v in (leg.loglik or {}).items() if fits(leg, m)}


def decide(legs: list, priors, owned: frozenset = frozenset()) -> list:
    """The trip's legs with modes, confidences and runners-up; equal neighbours joined."""
    if not legs:
        return legs
    kinds = _owned_kinds(priors.kinds, owned)
    modes, margs = decode([_masked(leg) for leg in legs], kinds)
    for leg, mode, marg in zip(legs, modes, margs):
        _set(leg, mode, marg)
    legs = carry_bike(join_same_mode(legs))
    for leg in legs:
        _recheck(leg)
        leg.mode = fit_to_owned(leg.mode, owned)
    return legs


def _set(leg: Leg, mode: str, marg: dict) -> None:
    leg.mode = mode
    leg.confidence = round(marg.get(mode, 0.0), 3)
    top = sorted(marg.items(), key=lambda kv: -kv[1])[:_TOP]
    leg.probs = {m: round(p, 3) for m, p in top if p >= 0.005}


def _recheck(leg: Leg) -> None:
    """A joined leg outside its envelope takes its most probable allowed mode."""
    if fits(leg, leg.mode):
        return
    options = [m for m in sorted(leg.probs or {}, key=lambda m: -leg.probs[m]) if fits(leg, m)]
    if not options:
        ll = _masked(leg)
        options = sorted(ll, key=lambda m: -ll[m])
    leg.mode = options[0] if options else "unknown"
    leg.confidence = round((leg.probs or {}).get(leg.mode, 0.0), 3)


def _owned_kinds(kinds: dict, owned: frozenset) -> dict:
    """A member who said which vehicles they use makes trips with the others unlikely
    (they may still be driven or ride a shared bike)."""
    if not owned:
        return kinds
    out = dict(kinds)
    if not owned & {"car", "carpool", "motorcycle"}:
        out["car"] = dict(kinds["car"], prior=kinds["car"]["prior"] * 0.2)
    if not owned & {"bike", "e-bike", "e-scooter"}:
        out["bike"] = dict(kinds["bike"], prior=kinds["bike"]["prior"] * 0.2)
    return out


def join_same_mode(legs: list) -> list:
    out = []
    for leg in legs:
        prev = out[-1] if out else None
        if prev and prev.mode == leg.mode:
            _absorb(prev, leg)
        else:
            out.append(leg)
    return out


def _absorb(prev: Leg, leg: Leg) -> None:
    """prev takes leg's span, distance and evidence (independent parts of one ride)."""
    prev.end_ts = leg.end_ts
    prev.distance_m = round(prev.distance_m + leg.distance_m, 1)
    prev.confidence = max(prev.confidence, leg.confidence)
    prev.n_points += leg.n_points - 1
    if prev.loglik and leg.loglik:
        prev.loglik = {m: v + leg.loglik[m] for m, v in prev.loglik.items() if m in leg.loglik}
    a, b = prev.features or {}, leg.features or {}
    merged = dict(a)
    if "sustained" in a or "sustained" in b:
        merged["sustained"] = max(a.get("sustained", 0.0), b.get("sustained", 0.0))
    merged["distance"] = prev.distance_m
    merged["duration"] = _duration(prev)
    if merged["duration"] > 0:
        merged["mean"] = round(prev.distance_m / merged["duration"], 2)
    prev.features = merged


def carry_bike(legs: list) -> list:
    """A cyclist does not leave the bike behind in the middle of a trip: between two cycle
    legs (a train between them carried it too), a stretch at walking pace is the member
    pushing it or riding slowly (at lights, in a station, uphill), so it is the cycle leg's
    mode. Legs are joined again when neighbours end up with the same mode."""
    idx = [k for k, leg in enumerate(legs) if leg.mode in _CYCLES]
    if len(idx) < 2:
        return legs
    for k in range(idx[0] + 1, idx[-1]):
        if legs[k].mode in FOOT_MODES:
            legs[k].mode = legs[k - 1].mode if legs[k - 1].mode in _CYCLES else \
                next(legs[j].mode for j in idx if j > k)
            legs[k].confidence = 0.5
    return join_same_mode(legs)
