"""A long silence as evidence of flight mode (issue #9: a phone in flight mode records nothing
between take-off and landing).

A phone that reports while the member moves (every few seconds, every minute or two, or, in
significant-changes mode, every ~500 m and at most every 5 minutes) keeps reporting on a
train, a bus or a motorway: the only silences a ground ride holds are tunnels (minutes: the
longest rail tunnels, Gotthard 57 km and Seikan 54 km, take 17-25 minutes to cross) and the
operating system's naps (minutes). A silence of DARK_MIN_S or more, spanning SILENT_STEPS or
more of the phone's own steps while moving, over ground a flight could cover, is either a
flight (the phone is in flight mode from the gate to the landing: certain) or a ground ride
with the phone dark throughout (switched off, its battery or its app dead: DARK_SHARE of
such rides). The likelihood of every mode but the plane is multiplied by DARK_SHARE.

The phone's step while moving is read from the trip's own steps, or where they are too few,
with the steps after it (a significant-changes phone's flight is often the whole trip, two
fixes, and the taxi after landing shows how it reports), never from the steps before the trip: detection restarted
from a stay (carbon.timeline.update_timeline) must read what a rebuild reads. What is read
after the trip is settled once AFTER_STEPS moving steps in all were found or AFTER_S has passed;
until then the silence is no evidence and the trip stays open to recomputation
(carbon.timeline._resume_ts).

Not evidence: a silence the member rode into and out of at a vehicle's pace (fixes on a
motorway either side: a flight needs a stop at the gate and after landing, the drive goes
on), nor one from a phone whose moving steps are unknown or as long as the silence allows.
"""
import math

from carbon import envelopes
from carbon.features import SILENT_STEPS, _median
from carbon.geo import distance_m
from carbon.legs import HOP_MIN_S
from carbon.params import DEFAULT_PARAMS

# 40 minutes: longer than any rail tunnel takes (above), shorter than any flight's silence
# (boarding to landing: at least ~45 minutes for the shortest scheduled hops, taxi-out alone
# 10-15 min, Eurocontrol CODA).
DARK_MIN_S = 2400.0
# A ground ride of 40 minutes or more with a phone that reports while moving dark throughout
# (switched off, its battery or its tracking app dead). Every smartphone travel survey loses
# stretches of data this way (McCool, Lugtig, Mussmann & Schouten 2021, "An app-assisted
# travel survey in official statistics", Journal of Official Statistics 37(1)), none gives
# the share of long rides lost whole; one in twenty is an assumed order of magnitude
# (docs/engine.md, round 9 engine-hop: 0.02 and 0.1 measured alike).
DARK_SHARE = 0.05
MOVING_MS = DEFAULT_PARAMS.walk_max_ms   # a step faster than brisk walking was ridden
MAX_MOVING_STEP_S = HOP_MIN_S             # ... and one shorter than a hop was the phone reporting
AFTER_STEPS = 5
AFTER_S = 6 * 3600.0
MIN_STEPS = 3
# The fixes after the last one read that its cleaning looks at (carbon.cleaning: drop_imprecise
# 5 fixes and one more for the interleaved test, then drop_jumps, drop_stale and smooth one
# each, each on the last's output): until these are in, a later fix may drop or move a fix
# read, and the count read can change.
READ_MARGIN = 10


def _moving_steps(fixes) -> list:
    """The steps over which the member rode and the phone reported (not a silence)."""
    return [q.ts - p.ts for p, q in zip(fixes, fixes[1:])
            if q.ts - p.ts < MAX_MOVING_STEP_S and _ridden_step(p, q)]


def _ridden_step(p, q) -> bool:
    """The step p -> q went faster than a walk."""
    dt = q.ts - p.ts
    return dt > 0 and distance_m(p.lat, p.lon, q.lat, q.lon) >= MOVING_MS * dt


def phone_step(track: list, a: int, b: int) -> tuple:
    """(the phone's median step while moving or None, settled?, read_to) from the trip's fixes
    track[a..b], and when they show fewer than MIN_STEPS, from the fixes after it (see the
    module's docstring). read_to: the ts from which the fixes read are final (READ_MARGIN
    fixes after the last one read; math.inf while they are not all in): a resume point
    between the trip and it would freeze a decision a later fix can change."""
    steps = _moving_steps(track[a:b + 1])
    if len(steps) >= MIN_STEPS:
        return _median(steps), True, track[b].ts
    end, j = track[b].ts, b
    while j + 1 < len(track) and len(steps) < AFTER_STEPS and track[j + 1].ts <= end + AFTER_S:
        steps += _moving_steps(track[j:j + 2])
        j += 1
    settled = len(steps) >= AFTER_STEPS or track[-1].ts > end + AFTER_S
    read_to = track[j + READ_MARGIN].ts if settled and j + READ_MARGIN < len(track) else math.inf
    return (_median(steps) if len(steps) >= MIN_STEPS else None), settled, read_to


def dark_hops(seg: list) -> list:
    """Indexes k of the silent steps seg[k] -> seg[k + 1] a flight could be: DARK_MIN_S or
    longer, within the plane's envelope, not ridden into and out of at a vehicle's pace."""
    out = []
    for k, (p, q) in enumerate(zip(seg, seg[1:])):
        dt = q.ts - p.ts
        if dt < DARK_MIN_S:
            continue
        d = distance_m(p.lat, p.lon, q.lat, q.lon)
        if not envelopes.allowed("plane", d, dt, None, hop=True):
            continue
        if _ridden(seg, k - 1) and _ridden(seg, k + 1):
            continue
        out.append(k)
    return out


def _ridden(seg: list, k: int) -> bool:
    if k < 0 or k + 1 >= len(seg):
        return False                    # the trip's end: a place, where a flight starts
    return _ridden_step(seg[k], seg[k + 1])


def weigh(legs: list, seg: list, step: float | None) -> None:
    """Every mode but the plane x DARK_SHARE on the legs that are one of seg's dark hops, when
    the phone's step while moving (`step`) makes the silence SILENT_STEPS of them or more."""
    if step is None:
        return
    for k in dark_hops(seg):
        p, q = seg[k], seg[k + 1]
        if q.ts - p.ts < SILENT_STEPS * step:
            continue
        for leg in legs:
            if leg.loglik and leg.start_ts <= p.ts and q.ts <= leg.end_ts and \
                    (leg.features or {}).get("hop"):
                for m in leg.loglik:
                    if m != "plane":
                        leg.loglik[m] += math.log(DARK_SHARE)
                leg.features["dark"] = round((q.ts - p.ts) / step, 1)
