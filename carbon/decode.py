"""A trip's modes decided together: a hidden Markov model over its legs.

Each leg brings its likelihood under every mode (carbon.likelihood, plus a GTFS match or
the phone's activity); the trip brings structure. A trip is of one *kind*, the private
vehicle the member left with (none, a bike, a car: carbon.mode_params.TRIP_KINDS), which
decides which modes its legs may take; inside it, vehicles are joined by walks. For each
kind, Viterbi finds the best sequence of modes and forward-backward the probability of
each mode at each leg; the kinds are then weighed by how well they explain the legs.
Each leg gets its mode, the probability of that mode (its confidence) and its runners-up.
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


def _viterbi(em: list) -> tuple:
    """(log score, best path) over legs; (-inf, None) if some leg has no possible mode."""
    if any(not row for row in em):
        return NEG, None
    score = dict(em[0])
    back = []
    for row in em[1:]:
        nxt, ptr = {}, {}
        for m, e in row.items():
            best, arg = NEG, None
            for p, v in score.items():
                t = v + transition(p, m)
                if t > best:
                    best, arg = t, p
            nxt[m], ptr[m] = best + e, arg
        score = nxt
        back.append(ptr)
    last = max(score, key=score.get)
    path = [last]
    for ptr in reversed(back):
        path.append(ptr[path[-1]])
    return score[last], path[::-1]


def _marginals(em: list) -> tuple:
    """(log evidence, [{mode: probability}] per leg) by forward-backward."""
    fwd = [dict(em[0])]
    for row in em[1:]:
        prev = fwd[-1]
        fwd.append({m: e + _lse([v + transition(p, m) for p, v in prev.items()])
                    for m, e in row.items()})
    bwd = [dict.fromkeys(em[-1], 0.0)]
    for k in range(len(em) - 2, -1, -1):
        nxt, row_next = bwd[0], em[k + 1]
        bwd.insert(0, {m: _lse([transition(m, n) + e + nxt[n] for n, e in row_next.items()])
                       for m in em[k]})
    z = _lse(list(fwd[-1].values()))
    margs = []
    for f, b in zip(fwd, bwd):
        margs.append({m: math.exp(f[m] + b[m] - z) for m in f if f[m] + b[m] - z > -50})
    return z, margs


def decode(legs_loglik: list, kinds: dict | None = None) -> tuple:
    """(modes, marginals) for a trip's legs given each leg's {mode: log likelihood}
    (modes left out or at -inf are impossible for that leg). The kind of trip is the one
    that explains the legs best over all their possible modes (its evidence, not its one
    best path: a short ambiguous first leg must not drag a long clear one into a kind
    that fits it badly); the modes are that kind's best sequence. marginals: per leg
    {mode: probability}, mixed over the kinds by their evidence."""
    kinds = kinds or mp.TRIP_KINDS
    evidence, margs, paths = {}, {}, {}
    for name, kind in kinds.items():
        em = _emissions(legs_loglik, kind)
        _score, path = _viterbi(em)
        if path is None:
            continue
        z, m = _marginals(em)
        evidence[name], margs[name], paths[name] = z + math.log(kind["prior"]), m, path
    if not evidence:
        return ["unknown"] * len(legs_loglik), [{"unknown": 1.0} for _ in legs_loglik]
    total = _lse(list(evidence.values()))
    mixed = []
    for k in range(len(legs_loglik)):
        row = {}
        for name, z in evidence.items():
            w = math.exp(z - total)
            for mode, p in margs[name][k].items():
                row[mode] = row.get(mode, 0.0) + w * p
        mixed.append(row)
    return paths[max(evidence, key=evidence.get)], mixed
