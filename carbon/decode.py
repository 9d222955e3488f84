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

A road vehicle's crawl in a queue (mode_params.QUEUE), which the legs cut out of its ride
as a slow stretch, is a state of its own, `<vehicle>~queue`: entered only from a leg of
that vehicle and left only into the same vehicle, the wait before moving on read as a
queue's halt (seconds to a signal cycle) where a walk into the vehicle reads it as a wait
for a service. A slow stretch between two legs of a bus is then a walk (a transfer: the
member got off, walked, waited, boarded again) or the bus queuing, each as its evidence
says; the marginals count the queue as its vehicle. A car in stop-and-go
(mode_params.JAM) is the state `car~jam`: entered from the car, left into it, and chained
(a jam cut into crawls and bursts is one jam); between two drives a slow stretch is the car
crawling or a stop (a walk from the car and back), never another vehicle.
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
_CAR_AFTER_KERB = math.log(mp.CAR_AFTER_KERB)
QUEUED = {v: v + "~queue" for v in mp.QUEUE_MODES}     # vehicle -> its queue state
JAMMED = {v: v + "~jam" for v in mp.JAM_MODES}          # vehicle -> its jam state
VEHICLE_OF = {q: v for v, q in (*QUEUED.items(), *JAMMED.items())}   # state -> its vehicle
_CHAINED = frozenset(JAMMED.values())                  # states that may follow themselves


def base_mode(mode: str) -> str:
    """The mode a state stands for (a queue state: its vehicle)."""
    return VEHICLE_OF.get(mode, mode)


def transition(prev: str, mode: str) -> float:
    """log factor for `mode` right after `prev`: free through a walk, penalised from one
    vehicle straight into another, and for the same mode twice (joined afterwards); a
    queue state only from its vehicle (at the odds of a jam to a change,
    mode_params.QUEUE_SHARE) and back into it."""
    if mode in VEHICLE_OF:
        if prev == VEHICLE_OF[mode]:
            return _JAM_IN if mode in _CHAINED else _QUEUE_IN
        return 0.0 if prev == mode and mode in _CHAINED else NEG
    if prev in VEHICLE_OF:
        return 0.0 if mode == VEHICLE_OF[prev] else NEG
    if prev == mode:
        return _SAME
    if prev in FOOT or mode in FOOT:
        return 0.0
    if prev in mp.KERB_MODES and mode in mp.OWN_CAR_MODES:
        return _OTHER + _CAR_AFTER_KERB
    return _OTHER


_QUEUE_IN = math.log(mp.QUEUE_SHARE / (1.0 - mp.QUEUE_SHARE))   # against the walk's 1
_JAM_IN = math.log(mp.JAM_SHARE)
_PRUNE = 20.0   # a mode this many log units below the leg's best never matters


def _emissions(legs_loglik: list, kind: dict, queues: list | None = None,
               jams: list | None = None) -> list:
    """Per leg, {mode: log emission} within one kind of trip (absent modes impossible;
    modes hopelessly below the leg's best are left out, which keeps decoding cheap).
    `queues`: per leg, its log likelihood as a vehicle queuing (or None), which a queue
    state of each vehicle the kind allows (and the leg's envelope) takes with the share of
    a walk in that kind, and the transition into it QUEUE_SHARE / (1 - QUEUE_SHARE) of the
    walk's (`transition`, mode_params.QUEUE_SHARE: the share of slow stretches between two
    rides of the vehicle that are jams); its measures and the wait after it decide.
    `jams`: per leg, its log likelihood as a car in stop-and-go (or None), which the car's
    jam state takes with the car's share of the kind's legs (JAM_SHARE on entering it)."""
    logp = _log_weights(kind)
    out = []
    for k, ll in enumerate(legs_loglik):
        row = {}
        for mode, value in ll.items():
            lp = logp.get(mode)
            if lp is not None and value > NEG:
                row[mode] = value + lp
        q = queues[k] if queues else None
        if q is not None and q > NEG and "walk" in logp:
            for v, state in QUEUED.items():
                if v in row:
                    row[state] = q + logp["walk"]
        j = jams[k] if jams else None
        if j is not None and j > NEG:
            for v, state in JAMMED.items():
                if v in row:
                    row[state] = j + logp[v]
        if row:
            top = max((v for m, v in row.items() if m not in VEHICLE_OF), default=NEG)
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
        if not w:
            return transition(p, m)
        if p == "walk" != m:
            return transition(p, m) + w.get(m, 0.0)
        if p in VEHICLE_OF:     # a queue moving on (a state's own reading, if it has one)
            return transition(p, m) + w.get(p, w.get("queue", 0.0))
        return transition(p, m)
    # a queue state lies between two legs of its vehicle: never a trip's first or last leg
    fwd = [{m: (NEG if m in VEHICLE_OF else e) for m, e in em[0].items()}]
    for k in range(1, len(em)):
        prev = fwd[-1]
        fwd.append({m: e + _lse([v + step(k, p, m) for p, v in prev.items()])
                    for m, e in em[k].items()})
    bwd = [{m: (NEG if m in VEHICLE_OF else 0.0) for m in em[-1]}]     # built from the end
    for k in range(len(em) - 2, -1, -1):
        nxt, row_next = bwd[-1], em[k + 1]
        bwd.append({m: _lse([step(k + 1, m, n) + e + nxt[n] for n, e in row_next.items()])
                    for m in em[k]})
    bwd.reverse()
    z = _lse([v + bwd[-1][m] for m, v in fwd[-1].items()])
    margs = []
    for f, b in zip(fwd, bwd):
        margs.append({m: math.exp(f[m] + b[m] - z) for m in f
                      if f[m] > NEG and b[m] > NEG and f[m] + b[m] - z > -50})
    return z, margs


def _slow(jams: list, k: int) -> bool:
    return jams[k] is not None and jams[k] > NEG


def _drive(loglik: dict) -> bool:
    """The leg reads as a car's drive by its own measures: no rail ride (mode_params.
    JAM_NOT_DRIVES) strongly more likely, a likelihood ratio of ten (Jeffreys' "strong"),
    a sparse phone's chords of a metro reading near-ties with a road's."""
    car = loglik.get("car", NEG)
    return car > NEG and all(car >= loglik.get(m, NEG) - mp.JAM_DRIVE_LOG_RATIO
                             for m in mp.JAM_NOT_DRIVES)


def _crawled(legs_loglik: list, jams: list | None) -> list | None:
    """`jams` with the jam state closed over each run of slow legs that reads as the member
    on foot at least as well as the car crawling (the runs' log likelihoods summed, a jam
    cut into pieces being one jam). Between two drives a slow stretch is a stop (the member
    walked from the car, or changed vehicles) or the car crawling; the state is there for
    the stretches no walk explains, a pace held or bursts no walker shows. Where a walk
    explains the stretch as well, its measures say nothing of a jam, and its prior alone
    lent the car kind a tenth of the walk's mass: every transfer walk between two metro
    rides a sparse phone reads near-ties with a car (Helsinki at a fix every 1-2 minutes,
    walk -1.5 against the crawl's -2.0; docs/engine.md, round 11, car-seeds-2)."""
    if not jams:
        return jams
    n, out, k = len(jams), list(jams), 0
    while k < n:
        end = k
        while end < n and _slow(jams, end):
            end += 1
        crawl = sum(jams[i] for i in range(k, end))
        walk = sum(legs_loglik[i].get("walk", NEG) for i in range(k, end))
        drives = 0 < k and end < n and _drive(legs_loglik[k - 1]) and _drive(legs_loglik[end])
        if end > k and (crawl <= walk or not drives):
            out[k:end] = [None] * (end - k)
        k = max(end, k + 1)
    return out


def decode(legs_loglik: list, kinds: dict | None = None, weights: list | None = None,
           waits: list | None = None, queues: list | None = None,
           jams: list | None = None) -> tuple:
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
    are of a kind that cannot carry it (a bike ride in a car trip).
    `queues` (per leg, its log likelihood as a vehicle queuing, or None) opens the queue
    states; a leg decided as one has the state as its mode (`base_mode` gives the
    vehicle), and its marginals count it as its vehicle."""
    kinds = kinds or mp.TRIP_KINDS
    n = len(legs_loglik)
    evidence, margs, rows = {}, {}, {}
    jams = _crawled(legs_loglik, jams)
    for name, kind in kinds.items():
        em = _emissions(legs_loglik, kind, queues, jams)
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
    folded = [_folded(row) for row in mixed]
    return _best_modes(mixed, folded, rows, evidence, weights or [1.0] * n), folded


def _folded(row: dict) -> dict:
    """A leg's probabilities with each queue state counted as its vehicle."""
    if not any(m in VEHICLE_OF for m in row):
        return row
    out = {}
    for mode, p in row.items():
        out[base_mode(mode)] = out.get(base_mode(mode), 0.0) + p
    return out


def _state(mode: str, row: dict, em_row: dict) -> str:
    """The state a leg decided as `mode` is in: the vehicle's queue state when the belief
    has it queuing more than riding."""
    for state in (QUEUED.get(mode), JAMMED.get(mode)):
        if state is not None and state in em_row and row.get(state, 0.0) > row.get(mode, 0.0):
            return state
    return mode


def _unqueued(modes: list, mixed: list, em_rows: list) -> None:
    """A leg decided as a queue state whose decided neighbours are not both its vehicle
    takes its best mode outside the queue states (each leg decided on its own marginals can
    leave a crawl with no ride of its vehicle on one side, which the model never allows)."""
    for k, mode in enumerate(modes):
        vehicle = VEHICLE_OF.get(mode)
        if vehicle is None:
            continue
        left, right = k - 1, k + 1
        while mode in _CHAINED and left >= 0 and modes[left] == mode:
            left -= 1
        while mode in _CHAINED and right < len(modes) and modes[right] == mode:
            right += 1
        if left >= 0 and right < len(modes) and base_mode(modes[left]) == vehicle == \
                modes[right]:
            continue
        options = [m for m in em_rows[k] if m not in VEHICLE_OF]
        if options:
            modes[k] = most_probable(mixed[k], options)


def most_probable(probs: dict, allowed=None) -> str:
    """The most probable of a leg's modes (among `allowed`, if given)."""
    options = list(allowed if allowed is not None else probs)
    return max(options, key=lambda m: probs.get(m, 0.0))


def _best_modes(mixed: list, folded: list, rows: dict, evidence: dict, weights: list) -> list:
    """Per kind, each leg's most probable mode among those the kind allows it; the kind
    whose legs are so right for the most expected time (ties: the likelier kind).
    `folded`: `mixed` with each queue state counted as its vehicle (`_folded`)."""
    best, best_score = None, None
    for name in sorted(evidence, key=evidence.get, reverse=True):
        modes = [_state(most_probable(frow, dict.fromkeys(base_mode(m) for m in em_row)),
                        row, em_row)
                 for row, frow, em_row in zip(mixed, folded, rows[name])]
        _unqueued(modes, mixed, rows[name])
        score = round(sum(w * frow.get(base_mode(m), 0.0)
                          for w, frow, m in zip(weights, folded, modes)), 9)
        if best_score is None or score > best_score:
            best, best_score = modes, score
    return best
