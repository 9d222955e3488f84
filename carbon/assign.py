"""Give a trip's measured legs their modes: the model's decision, then what must hold.

1. Each leg's likelihood loses the modes outside their physical envelope (carbon.envelopes).
2. The trip's legs are decoded together (carbon.decode) under the member's priors.
3. Neighbours with the same mode are joined (their evidence adds up); the bike is carried
   between two rides; the envelope is checked again on the joined legs.
4. The member's own vehicles refine a mode within its family (an e-scooter rider's
   "bike-like" leg is an e-scooter).
"""
from carbon.decode import JAMMED, base_mode, decode, most_probable
from carbon.envelopes import allowed
from carbon.mode_params import QUEUE_MODES
from carbon.model import Leg
from carbon.modes import _fit_to_owned as fit_to_owned

_CYCLES = ("bike", "e-bike", "e-scooter")
JAMMED_STATES = frozenset(JAMMED.values())
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
    return decide_parts(legs, priors, owned, len(legs))[0]


def decide_parts(legs: list, priors, owned: frozenset, cut: int, between=None) -> tuple:
    """The legs decided as one trip (one kind, one path through the modes), then finished
    as two: legs[:cut] and legs[cut:], no leg joined across the cut (one journey the member
    made in two trips: carbon.transfers). `between`: a leg on foot at the cut, in the
    decision only (the member got off there)."""
    if not legs:
        return legs, []
    # `between` is decoded with the journey and left out of both parts: finished in the
    # second, a walk-like leg after it would be joined into it and that trip lose its leg
    _decoded(legs[:cut] + ([between] if between is not None else []) + legs[cut:],
             priors, owned)
    return _finished(legs[:cut], owned), _finished(legs[cut:], owned)


def _decoded(legs: list, priors, owned: frozenset) -> None:
    """Each leg takes its mode on the trip's one path and its marginals."""
    kinds = _owned_kinds(priors.kinds, owned)
    modes, margs = decode([_masked(leg) for leg in legs], kinds,
                          [max(_duration(leg), 1) for leg in legs],
                          [leg.wait_loglik for leg in legs],
                          [leg.queue_loglik for leg in legs],
                          [leg.jam_loglik for leg in legs])
    for leg, mode, marg in zip(legs, modes, margs):
        leg.mode, leg.probs = base_mode(mode), dict(marg)      # whole marginals until _finish
        if mode != leg.mode:
            _queued_in_ride(leg, mode)


def _finished(legs: list, owned: frozenset) -> list:
    legs = carry_bike(join_same_mode(legs))
    for leg in legs:
        _recheck(leg)
        _fit_to_owned(leg, owned)
        _finish(leg)
    return legs


def _finish(leg: Leg) -> None:
    """The leg keeps its mode's probability and the runners-up, as the decision saw them."""
    marg = leg.probs or {}
    leg.confidence = round(marg.get(leg.mode, 0.0), 3)
    top = sorted(marg.items(), key=lambda kv: -kv[1])[:_TOP]
    leg.probs = {m: round(p, 3) for m, p in top if p >= 0.005}


def _recheck(leg: Leg) -> None:
    """A joined leg outside its envelope takes its most probable allowed mode; the modes it
    cannot be have probability zero (the rest renormalised)."""
    if fits(leg, leg.mode):
        return
    probs = {m: p for m, p in (leg.probs or {}).items() if fits(leg, m)}
    total = sum(probs.values())
    if total > 0:
        leg.probs = {m: p / total for m, p in probs.items()}
        leg.mode = most_probable(leg.probs)
        return
    ll = _masked(leg)
    leg.mode = max(ll, key=ll.get) if ll else "unknown"
    leg.probs = {leg.mode: 1.0} if ll else {}


def _fit_to_owned(leg: Leg, owned: frozenset) -> None:
    """The member's own vehicle within the mode's family: the probability goes with it."""
    mode = fit_to_owned(leg.mode, owned)
    if mode != leg.mode and leg.probs is not None:
        probs = dict(leg.probs)
        probs[mode] = probs.get(mode, 0.0) + probs.pop(leg.mode, 0.0)
        leg.probs = probs
    leg.mode = mode


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
    prev.probs = _time_mix(prev, leg)
    prev.end_ts = leg.end_ts
    prev.distance_m = round(prev.distance_m + leg.distance_m, 1)
    prev.n_points += leg.n_points - 1
    if prev.loglik and leg.loglik:
        prev.loglik = {m: v + leg.loglik[m] for m, v in prev.loglik.items() if m in leg.loglik}
    # the joined ride is a queue's or a jam's crawl only if every part of it reads one
    prev.queue_loglik = _both(prev.queue_loglik, leg.queue_loglik)
    prev.jam_loglik = _both(prev.jam_loglik, leg.jam_loglik)
    a, b = prev.features or {}, leg.features or {}
    merged = dict(a)
    for k in ("sustained", "chord_top"):    # the fastest either part held
        if k in a or k in b:
            merged[k] = max(a.get(k, 0.0), b.get(k, 0.0))
    merged["distance"] = prev.distance_m
    merged["duration"] = _duration(prev)
    if merged["duration"] > 0:
        merged["mean"] = round(prev.distance_m / merged["duration"], 2)
    prev.features = merged


def _both(x: float | None, y: float | None) -> float | None:
    return None if x is None or y is None else x + y


def _time_mix(a: Leg, b: Leg) -> dict:
    """The joined leg's probabilities: each part's, weighed by its time (what the member's
    day shows, instant by instant). A mode most probable in both parts stays so."""
    wa, wb = max(_duration(a), 1), max(_duration(b), 1)
    pa, pb = a.probs or {}, b.probs or {}
    return {m: (wa * pa.get(m, 0.0) + wb * pb.get(m, 0.0)) / (wa + wb) for m in {*pa, *pb}}


def carry_bike(legs: list) -> list:
    """A cyclist does not leave the bike behind in the middle of a trip: between two cycle
    legs (a train between them carried it too), a stretch at walking pace is the member
    pushing it or riding slowly (at lights, in a station, uphill), so it is the cycle leg's
    mode. Legs are joined again when neighbours end up with the same mode."""
    idx = [k for k, leg in enumerate(legs) if leg.mode in _CYCLES]
    if len(idx) < 2:
        return legs
    carried = []
    for k in range(idx[0] + 1, idx[-1]):
        if legs[k].mode in FOOT_MODES:
            legs[k].mode = legs[k - 1].mode if legs[k - 1].mode in _CYCLES else \
                next(legs[j].mode for j in idx if j > k)
            _carried(legs[k])
            carried.append(k)
    for k in carried:
        if any(legs[j].mode == legs[k].mode and j not in carried for j in (k - 1, k + 1)):
            _walked_in_ride(legs[k])
    return join_same_mode(legs)


def _queued_in_ride(leg: Leg, state: str) -> None:
    """A stretch decided as its vehicle queuing, about to join the ride: its evidence under
    every vehicle that queues on roads is the queue's, so a trip decided again with the
    joined leg (a connection found after it: carbon.transfers) weighs what this decision
    weighed, not a bus at walking pace (nor the decided vehicle alone: a bus and a tram in
    the same queue look alike)."""
    ll = leg.loglik or {}
    if state in JAMMED_STATES:      # a car's crawl: its evidence as the car is the jam's
        if leg.jam_loglik is not None and "car" in ll:
            leg.loglik = dict(ll, car=max(ll["car"], leg.jam_loglik))
        return
    q = leg.queue_loglik
    if q is not None:
        leg.loglik = {m: max(v, q) if m in QUEUE_MODES else v for m, v in ll.items()}


def _carried(leg: Leg) -> None:
    """The bike is with the member: the leg's walking and running are the bike pushed, and
    their probability the bike's."""
    probs = dict(leg.probs or {})
    foot = sum(probs.pop(m, 0.0) for m in FOOT_MODES)
    probs[leg.mode] = probs.get(leg.mode, 0.0) + foot
    leg.probs = probs


def _walked_in_ride(leg: Leg) -> None:
    """A carried stretch about to join a ride: its evidence under every vehicle is the
    walk's. The decision weighed each vehicle with this stretch walked (a ride, a walk, the
    same ride: a stop at the lights, a transfer, a bike pushed), so a trip decided again
    with the joined leg (a connection found after it: carbon.transfers) weighs the same
    readings. Summed as it was, the stretch's pace (0.6 m/s: no bike's, no bus's) became
    evidence against the whole ride, and a 2.6 km ride with a stop in it read as a walk."""
    ll = leg.loglik or {}
    walked = ll.get("walk")
    if walked is not None:
        leg.loglik = {m: v if m in FOOT_MODES else max(v, walked) for m, v in ll.items()}
