"""A trip's modes decided together: a hidden Markov model over its legs.

Each leg brings its likelihood under every mode (carbon.likelihood, plus a GTFS match or
the phone's activity); the trip brings structure. A trip is of one *kind*, the private
vehicle the member left with (none, a bike, a car: carbon.mode_params.TRIP_KINDS), which
decides which modes its legs may take; inside it, vehicles are joined by walks. For each
kind, forward-backward gives the probability of each mode at each leg; the kinds are
weighed by how well they explain the legs, and the legs' modes are the decision those
probabilities make right for the most time. Each leg gets its mode, the probability of
that mode (its confidence) and its runners-up, the same probabilities the decision used.
Modes outside the leg's physical envelope (carbon.envelopes) have probability zero.
"""
import math

from carbon import mode_params as mp

NEG = -math.inf
FOOT = ("walk", "run")


def _lse(values: list) -> float:
    top = max(values) if values else NEG
    if top == NEG:
        return NEG
    return top + math.log(sum(math.exp(v - top) for v in values if v > NEG))


def _log(x: float) -> float:
    return math.log(x) if x > 0 else NEG


_SAME = math.log(mp.SAME_MODE_AGAIN)
_OTHER = math.log(mp.VEHICLE_TO_OTHER_VEHICLE)


def transition(prev: str, mode: str) -> float:
    """log factor for `mode` right after `prev`: free through a walk, penalised from one
    vehicle straight into another, and for the same mode twice (joined afterwards)."""
    if prev == mode:
        return _SAME
    if prev in FOOT or mode in FOOT:
        return 0.0
    return _OTHER


_PRUNE = 20.0   # a mode this many log units below the leg's best never matters


def _emissions(legs_loglik: list, kind: dict) -> list:
    """Per leg, {mode: log emission} within one kind of trip (absent modes impossible;
    modes hopelessly below the leg's best are left out, which keeps decoding cheap)."""
    logp = _log_weights(kind)
    out = []
    for ll in legs_loglik:
        row = {}
        for mode, value in ll.items():
            lp = logp.get(mode)
            if lp is not None and value > NEG:
                row[mode] = value + lp
        if row:
            top = max(row.values())
            row = {m: v for m, v in row.items() if v >= top - _PRUNE}
        out.append(row)
    return out


_LOGP: dict = {}


def _log_weights(kind: dict) -> dict:
    """{mode: log share of the kind's legs} for the modes a kind of trip allows (cached)."""
    key = id(kind)
    hit = _LOGP.get(key)
    if hit is not None and hit[0] is kind:
        return hit[1]
    logp = {m: math.log(w) for m, w in kind["modes"].items() if w > 0}
    if len(_LOGP) > 256:
        _LOGP.clear()
    _LOGP[key] = (kind, logp)
    return logp


def _marginals(em: list, waits: list) -> tuple:
    """(log evidence, [{mode: probability}] per leg) by forward-backward. `waits`: per leg,
    {mode: log likelihood} of the wait at its boarding point (or None), which counts only
    where the member walked to it: after a ride (a tram crawling out of its stop, a runner
    running on) nobody got off, and there was no boarding to wait for."""
    def step(k, p, m):
        w = waits[k]
        return transition(p, m) + (w.get(m, 0.0) if w and p == "walk" != m else 0.0)
    fwd = [dict(em[0])]
    for k in range(1, len(em)):
        prev = fwd[-1]
        fwd.append({m: e + _lse([v + step(k, p, m) for p, v in prev.items()])
                    for m, e in em[k].items()})
    bwd = [dict.fromkeys(em[-1], 0.0)]
    for k in range(len(em) - 2, -1, -1):
        nxt, row_next = bwd[0], em[k + 1]
        bwd.insert(0, {m: _lse([step(k + 1, m, n) + e + nxt[n] for n, e in row_next.items()])
                       for m in em[k]})
    z = _lse(list(fwd[-1].values()))
    margs = []
    for f, b in zip(fwd, bwd):
        margs.append({m: math.exp(f[m] + b[m] - z) for m in f if f[m] + b[m] - z > -50})
    return z, margs


def decode(legs_loglik: list, kinds: dict | None = None, weights: list | None = None,
           waits: list | None = None) -> tuple:
    """(modes, marginals) for a trip's legs given each leg's {mode: log likelihood}
    (modes left out or at -inf are impossible for that leg). marginals: per leg
    {mode: probability} by forward-backward within each kind of trip, mixed over the kinds
    by their evidence (summed over every sequence, so a short ambiguous first leg cannot
    drag a long clear one into a kind that fits it badly): the model's belief.
    The modes are the decision that belief makes right for the most time (maximum expected
    accuracy, `weights` the legs' durations): within each kind every leg its most probable
    mode the kind allows, and the kind whose legs are then right for the most expected
    time. A Viterbi path of the likeliest kind is not that: a mode shared by several kinds
    (a train) gathers their mass, and the single likeliest sequence can hold a mode below
    its runner-up. So a leg's mode is its most probable one, unless its trip's other legs
    are of a kind that cannot carry it (a bike ride in a car trip)."""
    kinds = kinds or mp.TRIP_KINDS
    n = len(legs_loglik)
    evidence, margs, rows = {}, {}, {}
    for name, kind in kinds.items():
        em = _emissions(legs_loglik, kind)
        if any(not row for row in em):
            continue
        z, m = _marginals(em, waits or [None] * n)
        evidence[name], margs[name], rows[name] = z + math.log(kind["prior"]), m, em
    if not evidence:
        return ["unknown"] * n, [{"unknown": 1.0} for _ in legs_loglik]
    total = _lse(list(evidence.values()))
    mixed = []
    for k in range(n):
        row = {}
        for name, z in evidence.items():
            w = math.exp(z - total)
            for mode, p in margs[name][k].items():
                row[mode] = row.get(mode, 0.0) + w * p
        mixed.append(row)
    return _best_modes(mixed, rows, evidence, weights or [1.0] * n), mixed


def most_probable(probs: dict, allowed=None) -> str:
    """The most probable of a leg's modes (among `allowed`, if given)."""
    options = list(allowed if allowed is not None else probs)
    return max(options, key=lambda m: probs.get(m, 0.0))


def _best_modes(mixed: list, rows: dict, evidence: dict, weights: list) -> list:
    """Per kind, each leg's most probable mode among those the kind allows it; the kind
    whose legs are so right for the most expected time (ties: the likelier kind)."""
    best, best_score = None, None
    for name in sorted(evidence, key=evidence.get, reverse=True):
        modes = [most_probable(row, em_row) for row, em_row in zip(mixed, rows[name])]
        score = round(sum(w * row.get(m, 0.0) for w, row, m in zip(weights, mixed, modes)), 9)
        if best_score is None or score > best_score:
            best, best_score = modes, score
    return best
