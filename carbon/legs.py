"""Cut a trip into legs and measure each one; carbon.assign then decides their modes.

People change vehicles on foot (walk to the bus stop, the ride, the walk to the office), so a
trip is first cut into slow and fast stretches at walking speed. Stretches too short to be a
leg (a red light, a GPS burst) are absorbed by their neighbours, least evidence first, so a
long ride is not broken by its stops. A fast stretch that is two vehicles (a ride to the
station, then the train) is cut at its longest halt, and a silence over ground no walker
covers (a flight, a phone asleep on a train) is a leg of its own. Each leg then gets its
features and its likelihood under every mode (carbon.likelihood).
"""
import bisect
import dataclasses
import heapq
import math

from carbon import envelopes
from carbon.features import (DENSE_STEP_S, DWELL_STEPS, SPARSE_BLIND_STEP_S, SUSTAIN_S,
                             STOP_SPEED_MS, _median, bad_accuracy, halts, leg_features,
                             opening_dwell_s)
from carbon.geo import _M_PER_DEG as _M_PER_DEG_LAT, distance_m, metres_per_degree_lon
from carbon.likelihood import (jam_loglik, leg_loglik, measurable, queue_loglik, queue_wait_loglik,
                               wait_loglik)
from carbon.transit import MAX_HALT_STEP_S, MIN_ON_ROUTE_SHARE
from carbon.mode_params import (ACTIVITY_FACTOR, CROSSING_FACTOR, CROSSING_GAP_PACE,
                                CROSSING_MAX_GAP_S, CROSSING_MAX_STEP_S, CROSSING_MIN_M,
                                CROSSING_MIN_S, CROSSING_PACED_MAX_GAP,
                                CROSSING_PACED_MAX_STEP_S, CROSSING_PACED_STEPS,
                                CROSSING_CHORD_M, CROSSING_MAX_DETOUR,
                                CROSSING_SEEN_SHARE, CROSSING_WAIT_S,
                                LINE_ABSENT_SHARE, LINE_MODES, NEEDS_ROUTE, OFF_LINE_FACTOR,
                                RANGES, SPARSE_FILTER_LINE_FACTOR, SPARSE_LINE_FACTOR,
                                TRANSIT_MATCH_FACTOR, UNREPORTED_ACC_M,
                                WALKER_USUAL_PACE_MS)
from carbon.model import Leg
from carbon.modes import ACTIVITY_ALIASES, _EVIDENCE_P85_RANGE
from carbon.params import DEFAULT_PARAMS, Context, Params
from carbon.speeds import jitter_m, step_distances, window_speeds
from carbon.stays import WALK_PACE_MS
from carbon.trips import FILTER_STEP_M, filter_step

_HALT_S = 45.0        # standing this long: time to get off a train and onto a bike
LONG_HALT_S = 120.0   # no vehicle stands this long on the way except at a station, in a jam
RODE_MS = 2.5         # ground covered faster than this between two fixes was ridden, not walked
HOP_MIN_S = 600.0     # a silence this long, while covering ground, is a leg of its own...
HOP_MIN_M = 2000.0    # ... over at least this distance...
_HOP_STEPS = 5.0      # ... and far longer than the phone's usual step
_WAIT_RADIUS_M = 40.0


def _runs(labels: list) -> list:
    """[label, first_step, end_step) runs of equal labels."""
    runs = []
    for k, lab in enumerate(labels):
        if runs and runs[-1][0] == lab:
            runs[-1][2] = k + 1
        else:
            runs.append([lab, k, k + 1])
    return runs


SEEN_WALK_M = 300.0   # a step this long was covered, whatever its pace: no fix noise at rest
#                       reaches it (cleaning drops guesses worse than 200 m)


def _walked_s(dt: float, speed: float, dist: float) -> float:
    """Evidence of walking in one step: its time when the member moved at walking pace or
    more; for a long step at a slower pace (a distance-filtered phone reports a walk and
    a wait at a crossing or a stop as one 500 m step over ten minutes), the time it takes
    to walk its length, which it certainly holds; a standstill, none."""
    if speed >= STOP_SPEED_MS:
        return dt
    if dist >= SEEN_WALK_M:
        return min(dt, dist / WALK_PACE_MS)
    return 0.0


def _netted_past_a_walk(dt: float, dist: float) -> bool:
    """Is this step a chord of minutes (a distance filter's ~500 m report at its 5-minute
    floor) whose straight line alone is faster than a walker's usual pace? Its speed is a
    lower bound of the member's: the path between two fixes minutes apart bends (streets, a
    loop) and is never shorter than the chord. A walker nets 1.4 m/s or more over minutes
    only walking briskly and straight (comfortable gait 1.3-1.5 m/s, Bohannon 1997), while
    a runner or a vehicle beside it nets that on any bend: a filter reports a walk at 1.4
    m/s after 500 / 1.4 = 357 s, past the floor, and a run or a drive at the floor itself.
    So such a chord inside a trip, between two faster runs, is no evidence of a walk
    (run_significant_3's 318 s of 504 m, car_significant_2's 300 s of 534 m were cut off as
    walks). It may still hold a stop (a ride to the station, the walk in and the wait: 119
    s, 24 s and 157 s netted 1.64 m/s): where the vehicle beyond it is no bike's, the
    change of pace cuts there (_split_off_the_train). One closed later, by distance (392 s
    for 497 m), is evidence, and so is one at a trip's end, where the walk to or from the
    vehicle is (`_Runs.evidence`). Only on a phone whose usual step is that long
    (`_absorb_short`'s `filtered`): a dense phone's silence of minutes is no report at a
    floor, and may hold a walk, a wait and a ride (Helsinki dev1's 400 s transfer between
    two metros, 668 m, read as a bus with it)."""
    return dt >= _CHORD_LONG_S and dist >= FILTER_STEP_M and dist > WALKER_USUAL_PACE_MS * dt


# The walk to or from the vehicle at a trip's end, with no stay between (to the parked car,
# from the bike shed, off the bus): a slow run at the trip's end is a walk leg, not absorbed
# into the ride, when the member moved at walking pace for EDGE_WALK_S or more (a walker
# covers 1.0-1.7 m/s, Bohannon 1997; the walk from a door to a car parked in the street or
# a bike shed takes 20 s to a few minutes, and getting in or unlocking 15-60 s more, standing),
# seen with steps of EDGE_WALK_STEP_S at most, over more ground than the fixes' error. A
# vehicle at a trip's end passes through walking pace while it leaves or parks: its
# windowed speed lies in the walking band for about a quarter of the window either side of a
# standstill, 5-15 s at the 20-60 s windows (`_speed_window`), and a trip neither starts
# nor ends at a traffic light. A phone stepping 30 s or more shows a 40-90 s walk as one to
# three chords, which a car leaving a car park gives as well: the walk is not resolved there,
# and the run is left to the rules for every run (EDGE_WALK_STEP_S). Inside a trip nothing
# changes: a bus halting at its stops, a car at the lights, stand (no walking-pace motion).
EDGE_WALK_S = 30.0
# A fast run that covered this much ground at this pace or more is a ride however short
# (_Runs.ridden): a runner's sustained top is ~4.8 m/s (mode_params' run), elite 1500 m
# pace 7 m/s; 300 m is beyond any fix noise at rest (SEEN_WALK_M).
RIDDEN_M = SEEN_WALK_M
RIDDEN_MS = 6.0
RIDDEN_STEP_S = 45.0   # steps of a minute or more (a sparse phone): a minute of riding is one chord
EDGE_WALK_STEP_S = 20.0
EDGE_WALK_STEPS = 3     # one or two chords at walking pace are also a vehicle's from or
#                         into a standstill (a fix at rest, the next one in motion)
EDGE_WALK_M = 25.0      # 30 s at the slowest walking pace (0.8 m/s)...
EDGE_WALK_ACC = 2.0     # ... and twice the fixes' accuracy: 50 m noise makes a standing
#                         phone's windowed speed walking pace, never 100 m of ground
# Between two rides a walk shorter than min_leg_s is kept when it went out from the parked
# vehicle and came back to it (_Runs.out_and_back: a cash machine, a parcel dropped off, a
# shop 60-90 m from the car; docs/engine.md, known weaknesses of round 11). A parked car
# stands, and so does its driver at both ends of the walk: getting out and locking, getting
# back in and starting (10-60 s, see PARKED_HALT_S), at the one place the car was left. A
# vehicle's own manoeuvre at a walker's pace rolls through its ends (a U-turn into a dead
# end, a car park's aisle searched, a bus round its terminus loop, review13: each halts, if
# at all, at its far end or half way round); a car crawling in a queue moves on along its
# road and never comes back; a bus halting at its stop stands (no ground covered); a
# multipath excursion jumps out and back in a second or two.
# The walk between the two halts lasts ERRAND_WALK_MAX_S at most: 60-90 m each way at a slow
# 1.0 m/s and a minute standing (the cash machine, the parcel counter) is 240 s; over
# minutes, fixes with 50 m of correlated noise wander 100 m out and back around a bus at
# its stop (Helsinki noise50c: slow runs of 5-13 minutes read so). Longer errands are stays.
ERRAND_WALK_MAX_S = 240.0
# Getting out of a parked car and locking it, getting in and starting: the egress and
# ingress movements alone are several phases of seconds each (door, legs out, standing up,
# door shut; the motion-capture studies of Causse, Wang & Denninger on roof height, and
# Crizzle et al.'s review of driver ingress and egress, 2017), with the engine switched off,
# the belt, belongings and the lock some 10-40 s (an estimate, no measured figure); getting
# in 15-60 s (EDGE_WALK_S). So a standstill at the car before the walk and after it, of
# features.halts' 8 s floor (the shortest dip its fixes tell from noise) or more: its 10 s
# window of positions gives a 20-25 s stand at 1 s as 8-10 s of halt, losing its ends to
# the drive and the walk beside it and to the phone's drift. A three-point turn's stop
# (3-8 s) is at the manoeuvre's far end, not at both of its ends, and pairs with no other.
PARKED_HALT_S = 8.0
PARKED_HALT_MAX_S = 120.0   # longer at the car: no errand walk (the stay test's, or a jam)
PARKED_SEARCH_S = 30.0      # a halt's start or end smeared into the ride beside it: half the
#                             longest speed window (_speed_window, speed_window_s 60 s)


class _Runs:
    """Runs as a linked list with their evidence from prefix sums, so that absorbing the
    short ones costs O(R log R) on a trip of R runs, not O(R^2)."""

    def __init__(self, runs, points, dists, speeds, params: Params, ends=(False, False),
                 walk_m: float = 0.0, unseen=frozenset(), filtered: bool = False,
                 out_m: float = 0.0):
        fast, slow, inner, seen, steps, dist = [0.0], [0.0], [0.0], [0.0], [0], [0.0]
        for k, v in enumerate(speeds):
            dt = points[k + 1].ts - points[k].ts
            fast.append(fast[-1] + (dt if v >= params.walk_max_ms else 0.0))
            slow.append(slow[-1] + _walked_s(dt, v, dists[k]))
            netted = filtered and _netted_past_a_walk(dt, dists[k])
            inner.append(inner[-1] + (0.0 if netted else slow[-1] - slow[-2]))
            walked = STOP_SPEED_MS <= v < params.walk_max_ms and dt <= EDGE_WALK_STEP_S
            seen.append(seen[-1] + (dt if walked else 0.0))
            steps.append(steps[-1] + walked)
            dist.append(dist[-1] + dists[k])
        self.fast, self.slow, self.dist, self.params = fast, slow, dist, params
        self.inner = inner      # a slow run's evidence between two faster ones
        self.seen, self.seen_steps = seen, steps
        self.nodes = [[lab, a, b, k - 1, k + 1, True] for k, (lab, a, b) in enumerate(runs)]
        self.nodes[-1][4] = -1
        self.points, self.ends, self.walk_m = points, ends, walk_m
        self.unseen = unseen
        self.out_m = max(walk_m, out_m)    # the reach of a walk from the car and back

    def evidence(self, k: int) -> float:
        """Time a run gives evidence of its mode. Standing still says nothing: a car at a
        red light and a walker at a crossing both stand, and a distance-filtered phone
        reports a stop as one long slow step. So a slow run counts only its time at walking
        pace, and a fast run only its time above it: once a fast run has absorbed a short
        slow one (the member standing at the door), that time is no evidence of a vehicle,
        or one 60 s jump of a wifi fix at the end of a walk would grow into a two-minute
        "ride". Between two fast runs a chord of minutes netted past a walk is none
        (`_netted_past_a_walk`)."""
        lab, a, b, before, after = self.nodes[k][:5]
        if lab:
            return self.fast[b] - self.fast[a]
        prefix = self.inner if before >= 0 and after >= 0 else self.slow
        return prefix[b] - prefix[a]

    def short(self, k: int) -> bool:
        lab, a, b = self.nodes[k][:3]
        if self.edge_walk(k) or self.out_and_back(k) or (lab and self.ridden(a, b)):
            return False
        if self.evidence(k) < self.params.min_leg_s:
            return True
        return lab and self.dist[b] - self.dist[a] < self.params.min_leg_m

    def ridden(self, a: int, b: int) -> bool:
        """Did a fast run cover ground no one on foot covers in its time (RIDDEN_M at
        RIDDEN_MS or more)? At a fix every 1-2 minutes a bus pulling out of its stop, or
        its burst between two halts of a jam, is one or two chords: under the two minutes
        of evidence a leg needs, yet 490 m in 64 s is no walker's, no runner's (a
        recreational runner's top is under 5 m/s) and no fix noise at rest (cleaning drops
        guesses worse than 200 m): it is the vehicle the slow stretch beside it belongs to."""
        pts = self.points
        if any(pts[j + 1].ts - pts[j].ts < RIDDEN_STEP_S or j in self.unseen
               for j in range(a, b)):
            return False    # seen fix by fix (its evidence time is what it shows), or a
            #                 step across a tunnel or to a network position (no GPS chord)
        ground = self.dist[b] - self.dist[a]
        return ground >= RIDDEN_M and ground >= RIDDEN_MS * (pts[b].ts - pts[a].ts)

    def edge_walk(self, k: int) -> bool:
        """Is run k the walk to or from the vehicle at a trip's end (see EDGE_WALK_S)?"""
        lab, a, b, before, after = self.nodes[k][:5]
        if lab or not ((before < 0 and self.ends[0]) or (after < 0 and self.ends[1])):
            return False
        if self.seen[b] - self.seen[a] < EDGE_WALK_S or \
                self.seen_steps[b] - self.seen_steps[a] < EDGE_WALK_STEPS:
            return False
        p, q = self.points[a], self.points[b]
        return distance_m(p.lat, p.lon, q.lat, q.lon) >= self.walk_m

    def out_and_back(self, k: int) -> bool:
        """Is slow run k, between two rides, a walk from the parked vehicle and back to it
        (see ERRAND_WALK_MAX_S)? Walked for EDGE_WALK_S or more, as at a trip's end, between
        two standstills at the car (`_at_the_car`, within `out_m` of each other): its
        furthest fix `out_m` or more from that place, reached and left no faster than a
        walk (a multipath excursion jumps)."""
        lab, a, b, before, after = self.nodes[k][:5]
        if lab or before < 0 or after < 0 or self.seen[b] - self.seen[a] < EDGE_WALK_S or \
                self.seen_steps[b] - self.seen_steps[a] < EDGE_WALK_STEPS:
            return False
        car = self._at_the_car(a, b)
        if car is None:
            return False
        pts, (i, j) = self.points, car
        p, q = pts[i], pts[j]
        far, reach = i, 0.0
        for m in range(i + 1, j):
            r = pts[m]
            d = min(distance_m(p.lat, p.lon, r.lat, r.lon), distance_m(q.lat, q.lon, r.lat, r.lon))
            if d > reach:
                far, reach = m, d
        walk = self.params.walk_max_ms
        return reach >= self.out_m and min(pts[far].ts - p.ts, q.ts - pts[far].ts) * walk >= reach

    def _at_the_car(self, a: int, b: int):
        """(i, j): the last fix of a standstill at the run's start and the first of one at
        its end (PARKED_HALT_S to PARKED_HALT_MAX_S each, looked for over the steps into
        and out of the run and PARKED_SEARCH_S into the rides beside it, where the speed
        window smears them; a dense phone skips the standing fixes), the walk between them
        ERRAND_WALK_MAX_S at most; None where the vehicle rolled through either end."""
        pts = self.points
        lo, hi = max(a - 1, 0), min(b + 1, len(pts) - 1)    # the steps into and out of it
        while lo > 0 and pts[a].ts - pts[lo - 1].ts <= PARKED_SEARCH_S:
            lo -= 1
        while hi < len(pts) - 1 and pts[hi + 1].ts - pts[b].ts <= PARKED_SEARCH_S:
            hi += 1
        spans = [(lo + h0, lo + h1) for h0, h1 in
                 halts(pts[lo:hi + 1], PARKED_HALT_S, PARKED_HALT_MAX_S)]
        for _h0, i in spans:        # the earliest and the latest halt at one place (a halt
            p = pts[i]              # at the far end, the shop's counter, pairs with neither)
            for j, _h1 in reversed(spans):
                q = pts[j]
                if i < j and q.ts - p.ts <= ERRAND_WALK_MAX_S and \
                        distance_m(p.lat, p.lon, q.lat, q.lon) < self.out_m:
                    return i, j
        return None

    def flip(self, k: int) -> int:
        """Give run k its neighbours' label and join equal neighbours; returns the joined run."""
        node = self.nodes[k]
        node[0] = not node[0]
        for side in (3, 4):
            j = node[side]
            if j >= 0 and self.nodes[j][0] == node[0]:
                other = self.nodes[j]
                node[1], node[2] = min(node[1], other[1]), max(node[2], other[2])
                node[side] = other[side]
                if other[side] >= 0:
                    self.nodes[other[side]][7 - side] = k
                other[5] = False
        return k

    def alive(self) -> list:
        return [[lab, a, b] for lab, a, b, _p, _n, ok in self.nodes if ok]


def _absorb_short(runs: list, points, dists, speeds, params: Params,
                  ends=(False, False), walk_m: float = 0.0, unseen=frozenset(),
                  filtered: bool = False, out_m: float = 0.0) -> list:
    """Runs too short to be a leg take their neighbours' label, the one with the least
    evidence first, so a long ride is not broken by its stops. `ends`: whether the
    first and the last run reach the trip's start and end on foot, `walk_m`: the ground
    a walk there must cover to be seen (see EDGE_WALK_S); `unseen`: the steps that are no
    GPS chord (see _Runs.ridden); `filtered`: the trip's usual step is a distance
    filter's (see _netted_past_a_walk); `out_m`: the reach of a walk from the parked
    vehicle and back (see _Runs.out_and_back)."""
    if len(runs) < 2:
        return runs
    rs = _Runs(runs, points, dists, speeds, params, ends, walk_m, unseen, filtered, out_m)
    heap = [(rs.evidence(k), k) for k in range(len(runs)) if rs.short(k)]
    heapq.heapify(heap)
    count = len(runs)
    while count > 1 and heap:
        ev, k = heapq.heappop(heap)
        if not rs.nodes[k][5] or ev != rs.evidence(k) or not rs.short(k):
            continue
        before = sum(1 for j in (rs.nodes[k][3], rs.nodes[k][4]) if j >= 0)
        k = rs.flip(k)
        count -= before
        if rs.short(k):
            heapq.heappush(heap, (rs.evidence(k), k))
        for j in (rs.nodes[k][3], rs.nodes[k][4]):    # a neighbour may now be at an end
            if j >= 0 and rs.short(j):
                heapq.heappush(heap, (rs.evidence(j), j))
    return rs.alive()


def _family(loglik: dict) -> str:
    """The kind of movement a stretch most looks like: on foot, pedalled or motorised."""
    best = max(loglik, key=loglik.get)
    if best in ("walk",):
        return "foot"
    return "cycle" if best in ("run", "bike", "e-bike") else "motor"


def _split_at_halt(run, points, speeds, dists, params: Params) -> list:
    """A fast run that is two rides: nobody changes vehicle without stopping. The run is
    cut at every standstill of LONG_HALT_S or more (a connection's wait: vehicles stand
    that long only at a station or in a jam, and the model joins two legs of one mode
    again), and at its longest halt of _HALT_S or more when the two sides read as
    different kinds (a cyclist reaching the station, then the train). The halt goes to
    what moves next: before boarding it is the wait for the train; after alighting the
    member is off the train (it leaves within a minute) and getting onto the bike."""
    lab, a, b = run
    if not lab:
        return [run]
    spans = _standing_spans(points, speeds, dists, a, b)
    cuts = [h0 for h0, h1 in spans if points[h1].ts - points[h0].ts >= LONG_HALT_S]
    if not cuts and spans:
        h0, h1 = max(spans, key=lambda h: points[h[1]].ts - points[h[0]].ts)
        if _kinds_differ(points, speeds, dists, a, h0, h1, b, params):
            cuts = [h0]
    out, start = [], a
    for cut in cuts:
        if _long_enough(points, dists, start, cut, params) and \
                _long_enough(points, dists, cut, b, params):
            out.append([lab, start, cut])
            start = cut
    out.append([lab, start, b])
    return [part for piece in out for part in _split_off_the_train(piece, points, speeds,
                                                                   dists, params)]


def _split_off_the_train(run, points, speeds, dists, params: Params) -> list:
    """A ride on a vehicle no cyclist keeps up with, then a bike ridden off it (a folding
    bike off the train), or the other way round: the member stood or walked between, for
    _OFF_HALT_S or more, but a walk that short is absorbed; a phone stepping a minute or
    more may show no halt at all, only its steps leaving a bike's pace (_speed_changes).
    Cut at the span whose one side no pedalled mode's envelope allows and whose other side
    reads as pedalled (and, below _HALT_S, is seen riding: _seen_riding), a standstill seen
    before a change of pace, the one leaving the pedalled side longest (nearest the
    vehicle: a red light in the ride off the train is not where the member got off); a
    walk there is a leg of its own. A bus
    or a car in town moves at speeds a bike reaches, so its slow stretches are never cut
    here (nor even measured: a cheap bound first says whether a side could be beyond)."""
    lab, a, b = run
    # a mean or a headway never beats the fastest step: below a bike's limits, no side can
    # be beyond them
    fastest = max((dists[k] / max(points[k + 1].ts - points[k].ts, 1) for k in range(a, b)),
                  default=0.0)
    if fastest <= min(_BIKE.max_mean_ms, _BIKE.max_sustained_ms) and \
            sum(dists[a:b]) <= _BIKE.max_distance_m:
        return [run]
    measured = {}

    def features(x, y):
        if (x, y) not in measured:
            measured[x, y] = leg_features(points[x:y + 1], speeds[x:y], dists[x:y])
        return measured[x, y]
    for (h0, h1), beyond, ridden in _off_train_candidates(points, speeds, dists, a, b, params):
        if _pedalled(features(*ridden)) and _unpedalled(features(*beyond)):
            parts = _cut_off_the_train(lab, a, b, h0, h1, beyond, points, dists)
            # the vehicle's part may hold a second ride too (to the train and off it): a
            # distance filter's phone shows no halt at either station (the wait at the first
            # is inside a chord the ride netted past a walk: _netted_past_a_walk), so that
            # cut is this rule's too. The part is searched again whole, by the same test
            # (one side pedalled, the other beyond a bike), not only near its other end,
            # where that ride is expected: the vehicle's end just cut leaves no bike there.
            # Not at 1-2 minute steps, where a car's town stretches either side of a
            # motorway read pedalled as well (car-highway sparse, eight seeds, 0.574 ->
            # 0.449 with it)
            if _median([points[k + 1].ts - points[k].ts for k in range(a, b)]) >= _CHORD_LONG_S:
                i = 0 if beyond[0] == a else len(parts) - 1
                parts[i:i + 1] = _split_off_the_train(parts[i], points, speeds, dists, params)
            return parts
    return [run]


def _off_train_candidates(points, speeds, dists, a: int, b: int, params: Params) -> list:
    """[(span, beyond side, ridden side)] where run a..b may change from a vehicle to a
    bike, in the order _split_off_the_train tries them (_MEASURED at most): a standstill
    seen first (where the member got off), a change of pace only where none holds; among
    them the one leaving the ridden side longest, i.e. nearest the vehicle."""
    bound = _Bounds(points, dists, a, b)
    seen_riding = _seen_riding(points, speeds, a, b, params)
    candidates = []     # (the ridden side's duration, span, beyond side, ridden side)
    spans = _standing_spans(points, speeds, dists, a, b, params.walk_max_ms, _OFF_HALT_S)
    for h0, h1 in spans + _speed_changes(points, dists, a, b):
        left, right = (a, h0), (h1, b)
        if not (bound.long_enough(*left, params) and bound.long_enough(*right, params)):
            continue
        for beyond, ridden in ((left, right), (right, left)):
            if points[h1].ts - points[h0].ts < _HALT_S and not seen_riding(*ridden):
                continue    # a short halt or none: the ride itself must be seen
            if bound.rideable(*ridden) and bound.maybe_beyond(*beyond):
                candidates.append((points[ridden[1]].ts - points[ridden[0]].ts, (h0, h1),
                                   beyond, ridden))
    order = sorted(candidates, key=lambda c: (c[1][0] == c[1][1], -c[0]))
    return [c[1:] for c in order[:_MEASURED]]


def _cut_off_the_train(lab, a: int, b: int, h0: int, h1: int, beyond, points, dists) -> list:
    """Run a..b cut at span h0..h1: a walk there is a leg of its own, a standstill joins the
    ride after it."""
    walked = sum(dists[h0:h1]) / max(points[h1].ts - points[h0].ts, 1) >= STOP_SPEED_MS
    if walked and _ridden_chords(points, dists, a, b, h0, h1):
        # the walk off the train is inside a filter's chord the ride netted past a
        # walker's pace: the chord is the ride's (its walk unresolved)
        cut = h0 if beyond[0] == a else h1
        return [[lab, a, cut], [lab, cut, b]]
    if walked:
        return [[lab, a, h0], [False, h0, h1], [lab, h1, b]]
    return [[lab, a, h0], [lab, h0, b]]


def _ridden_chords(points, dists, a: int, b: int, h0: int, h1: int) -> bool:
    """Is the span h0..h1 of run a..b a distance filter's chords at their floor, each netted
    past a walker's pace (_netted_past_a_walk), on a phone whose usual step there is a
    filter's? The walk off the train (20 s-2 min) is inside the first of them, most of it
    ridden. The usual step is read on the run's own steps around the span: a neighbouring
    run's (a stay's silence, a walk's) says nothing of how this ride was reported."""
    usual = _median([points[k + 1].ts - points[k].ts for k in range(max(h0 - 2, a),
                                                                   min(h1 + 2, b))])
    return h1 > h0 and usual >= _CHORD_LONG_S and all(
        _netted_past_a_walk(points[k + 1].ts - points[k].ts, dists[k]) for k in range(h0, h1))


# Off a train with a bike: the doors open, the member steps down with it and wheels it along
# the platform to the exit, 20 s at the least (a platform is 100-300 m long, walked at
# ~1 m/s pushing a bike). The windowed speed (20-60 s windows, _speed_window) reads the
# ride's pace into the first and last quarter-window of it, so a 40 s walk off a 1 s phone
# shows as ~30 s under walking pace: _HALT_S, time to stand and then get going, missed it.
_OFF_HALT_S = 20.0
# ... and from the doors to the street: a regional train's platform is 100-300 m long, and
# the member walks from where their coach stopped to its exit, pushing the bike at ~1 m/s:
# tens of seconds to two minutes. A step of a minute or more can hold all of it.
_HIDDEN_WALK_S = 60.0
# One or two chords at a cyclist's pace are also a vehicle's arrival and the walk away from
# it in one step (EDGE_WALK_STEPS): a ride is seen pedalling over three steps at least.
_RIDDEN_STEPS = 3
# ... but a distance filter's step holds the whole arrival: the train's braking, the walk
# off it (20 s-2 min, _HIDDEN_WALK_S) and the first metres ridden lie in the one chord of
# five minutes that leaves the train's pace, and the next report comes five minutes or more
# later, 500 m or more on: a second such chord at a cyclist's pace is all ridden.
_RIDDEN_CHORDS = 2


# The candidates measured, nearest the vehicle first. A member gets off a vehicle at one
# place; a ride offering dozens is a vehicle's own stop-and-go at a fix a minute (a car
# whose chords straddle a bike's pace between lights), and measuring each of its sides
# (leg_features, O(n)) made a day's drive quadratic. The bound never binds on the benches:
# at most 33 candidates to a ride, the one kept at most 8th (docs/engine.md, change-fix).
_MEASURED = 64


def _speed_changes(points, dists, a: int, b: int) -> list:
    """Zero-length spans (h, h) at the fixes where the phone's own steps go from faster
    than any bike is ridden to slower, or back: a phone stepping a minute or more shows
    the train's arrival, the walk off it and the first metres on the bike in one chord,
    and no standstill (the walk is inside the chord). Only where the slower step is long
    enough to hide that walk (_HIDDEN_WALK_S): a phone stepping seconds shows it
    (_standing_spans), one stepping 10-30 s shows part of it, and there a network
    position's jump beside a walk to the metro's platform is no change of vehicle. The
    chord itself is offered to either side (a cut at each of its ends): it is the train's
    braking and the walk, or mostly the ride after it, and the sides' reading decides."""
    def dt(k):
        return max(points[k + 1].ts - points[k].ts, 1)

    def fast(k):
        return dists[k] > _BIKE.max_mean_ms * dt(k)
    out = []
    for h in range(a + 1, b):
        if fast(h - 1) != fast(h):
            slow = h if fast(h - 1) else h - 1      # the chord that may hold the walk...
            if dt(slow) >= _HIDDEN_WALK_S:
                out += [h, slow + 1 if slow == h else slow]
    return [(h, h) for h in sorted(set(out)) if a < h < b]


def _seen_riding(points, speeds, a: int, b: int, params: Params):
    """Is x..y (inside a..b) seen riding: above walking pace for min_leg_s over
    _RIDDEN_STEPS steps or more (_RIDDEN_CHORDS on a phone whose usual step is a distance
    filter's), by GPS (a bike is ridden in the open; underground a network
    position's jumps are no pace), not across a phone's silence (a metro's tunnel in one
    step of many usual ones, _HOP_STEPS)? A wait on a platform among network positions'
    jumps, or the chord of a train's arrival and the walk away, is not."""
    usual = _median([points[k + 1].ts - points[k].ts for k in range(a, b)])
    need = _RIDDEN_CHORDS if usual >= _CHORD_LONG_S else _RIDDEN_STEPS
    gps = bad_accuracy(_median([p.acc or 10.0 for p in points[a:b + 1]]))
    moving, steps = [0.0], [0]
    for k in range(a, b):
        dt = points[k + 1].ts - points[k].ts
        seen = speeds[k] >= params.walk_max_ms and dt <= _HOP_STEPS * usual and \
            max(points[k].acc or 10.0, points[k + 1].acc or 10.0) < gps
        moving.append(moving[-1] + (dt if seen else 0.0))
        steps.append(steps[-1] + seen)

    def seen(x: int, y: int) -> bool:
        return moving[y - a] - moving[x - a] >= params.min_leg_s and \
            steps[y - a] - steps[x - a] >= need
    return seen


def _unpedalled(f) -> bool:
    """Beyond every pedalled mode's envelope."""
    return not any(envelopes.allowed(m, f.distance_m, f.duration_s, f.sustained_p85_ms)
                   for m in _PEDALLED)


def _pedalled(f) -> bool:
    return _family(leg_loglik(f)) == "cycle"


_PEDALLED = ("bike", "e-bike", "e-scooter")
_BIKE = envelopes.ENVELOPES["bike"]


class _Bounds:
    """Cheap bounds on the stretches a..h0 and h1..b of a ride, before measuring them: the
    mean and length from prefix sums, the sustained headway from the fastest two-minute
    window inside the stretch (features._sustained_p85 reads the same windows)."""

    def __init__(self, points, dists, a: int, b: int):
        self.points, self.dists, self.a, self.b = points, dists, a, b
        self.path = [0.0]
        for k in range(a, b):
            self.path.append(self.path[-1] + dists[k])
        self.ends = None

    def _windows(self) -> None:
        """From each fix, the window to the first one SUSTAIN_S later: its end, its speed
        (computed once, when a stretch's mean and length leave it undecided)."""
        points, a, b = self.points, self.a, self.b
        ends, fast, j = [], [], a
        for i in range(a, b):
            p = points[i]
            while j < b and points[j].ts < p.ts + SUSTAIN_S:
                j += 1
            if points[j].ts - p.ts < SUSTAIN_S:
                break
            ends.append(j)
            fast.append(distance_m(p.lat, p.lon, points[j].lat, points[j].lon) /
                        (points[j].ts - p.ts))
        self.ends = ends
        self.prefix = _running_max(fast)
        self.suffix = _running_max(fast[::-1])[::-1]

    def _mean_length(self, x: int, y: int) -> tuple:
        duration = self.points[y].ts - self.points[x].ts
        length = self.path[y - self.a] - self.path[x - self.a]
        return (length / duration if duration > 0 else 0.0), length

    def maybe_beyond(self, x: int, y: int) -> bool:
        """Could x..y be beyond a bike's envelope (and so perhaps every pedalled mode's)?"""
        mean, length = self._mean_length(x, y)
        if mean > _BIKE.max_mean_ms or length > _BIKE.max_distance_m:
            return True
        if self.ends is None:
            self._windows()
        if x == self.a:     # windows starting in the stretch and ending by y: a prefix
            k = bisect.bisect_right(self.ends, y) - 1
            headway = self.prefix[k] if k >= 0 else 0.0
        else:               # windows starting at x or later: a suffix
            k = x - self.a
            headway = self.suffix[k] if k < len(self.suffix) else 0.0
        return headway > _BIKE.max_sustained_ms

    def long_enough(self, x: int, y: int, params: Params) -> bool:
        """_long_enough from the prefix sums; the sum itself only where their rounding
        could decide (a length within a nanometre per kilometre of the limit)."""
        if self.points[y].ts - self.points[x].ts < params.min_leg_s:
            return False
        length = self.path[y - self.a] - self.path[x - self.a]
        if abs(length - params.min_leg_m) > 1e-9 * (self.path[-1] + 1.0):
            return length >= params.min_leg_m
        return _long_enough(self.points, self.dists, x, y, params)

    def rideable(self, x: int, y: int) -> bool:
        """Could a pedalled mode's envelope hold x..y at all (its mean and length)?"""
        mean, length = self._mean_length(x, y)
        return mean <= _PEDALLED_MEAN_MAX and length <= _BIKE.max_distance_m


def _running_max(values: list) -> list:
    out, top = [], 0.0
    for v in values:
        top = max(top, v)
        out.append(top)
    return out


_PEDALLED_MEAN_MAX = max(envelopes.ENVELOPES[m].max_mean_ms for m in _PEDALLED)


def _long_enough(points, dists, x: int, y: int, params: Params) -> bool:
    return points[y].ts - points[x].ts >= params.min_leg_s and sum(dists[x:y]) >= params.min_leg_m


def _kinds_differ(points, speeds, dists, a, h0, h1, b, params: Params) -> bool:
    sides = []
    for x, y in ((a, h0), (h1, b)):
        if not _long_enough(points, dists, x, y, params):
            return False
        f = leg_features(points[x:y + 1], speeds[x:y], dists[x:y])
        sides.append(_family(leg_loglik(f)))
    return sorted(sides) == ["cycle", "motor"]


def _standing_spans(points, speeds, dists, a: int, b: int, below: float = STOP_SPEED_MS,
                    min_s: float = _HALT_S) -> list:
    """(first, end) steps of each standstill of `min_s` or more strictly inside a..b
    (`below`: each span of `min_s` or more under that speed)."""
    # standing: the windowed speed or the step's own (a window of sparse fixes reaches
    # into the ride on either side of a short halt)
    def standing(k):
        return min(speeds[k], dists[k] / max(points[k + 1].ts - points[k].ts, 1)) < below
    out, k = [], a
    while k < b:
        if not standing(k):
            k += 1
            continue
        j = k
        while j < b and standing(j):
            j += 1
        if k > a and j < b and points[j].ts - points[k].ts >= min_s:
            out.append((k, j))
        k = j
    return out


def _split_at_hops(runs: list, points, dists) -> list:
    """A step much longer than the phone's usual one, over ground no walker covers in that
    time, is a leg of its own: a flight (phones are off), or a stretch the phone slept
    through. Its mode is read from its distance and duration alone."""
    dts = [q.ts - p.ts for p, q in zip(points, points[1:])]
    usual = _median(dts)
    out = []
    for lab, a, b in runs:
        start = a
        for k in range(a, b):
            if dts[k] >= max(HOP_MIN_S, _HOP_STEPS * usual) and dists[k] >= HOP_MIN_M and \
                    dists[k] > RODE_MS * dts[k]:
                if k > start:
                    out.append([lab, start, k])
                out.append([True, k, k + 1])
                start = k + 1
        if start < b:
            out.append([lab, start, b])
    return out


def _activity(points: list) -> dict:
    """Share of the stretch's time covered by each activity the phone reported."""
    if not any(p.activity for p in points):
        return {}
    shares, total = {}, 0.0
    for p, q in zip(points, points[1:]):
        dt = q.ts - p.ts
        total += dt
        mode = ACTIVITY_ALIASES.get((p.activity or "").lower())
        if mode:
            shares[mode] = shares.get(mode, 0.0) + dt
    return {m: s / total for m, s in shares.items()} if total > 0 else {}


def _sparse_line(seg: list, context: Context) -> tuple:
    """(mode, path over chords) of the feed's line a leg seen too sparsely to show its
    halts (its median step longer than transit.MAX_HALT_STEP_S) follows in order, else
    (None, None): carbon.transit.TransitIndex.line_path."""
    if context.transit is None or len(seg) < 2:
        return None, None
    if _median([q.ts - p.ts for p, q in zip(seg, seg[1:])]) <= MAX_HALT_STEP_S:
        return None, None
    return context.transit.line_path(seg)


def _sparse_line_factor(seg: list, context: Context, line: str | None, filtered: bool) -> float:
    """What following a tram's or a metro's line at sparse steps is worth
    (mode_params.SPARSE_LINE_FACTOR): a car or a bike runs along a tram line as often as
    the trams run its streets (simulation.scenarios.TRAM_DECOY_SHARE), and at a bike's
    4-5 m/s its paces are a tram's, so the line alone is not a tram. At a clock's steps the
    tram shows what the car and the bike do not: its fixes lie at the line's stops, where
    it dwells (transit.TransitIndex.dwells_shown). A distance filter reports by distance
    moved, never during a dwell: there the line is worth SPARSE_FILTER_LINE_FACTOR."""
    if line not in SPARSE_LINE_FACTOR:
        return 1.0
    if filtered:
        return SPARSE_FILTER_LINE_FACTOR[line]
    return SPARSE_LINE_FACTOR[line] if context.transit.dwells_shown(seg, line) else 1.0


def _evidence(loglik: dict, seg: list, f, context: Context, ride: tuple = (None, None),
              tunnel: bool = False, sparse_line: str | None = None,
              line_factor: float = 1.0) -> int | None:
    """GTFS and the phone's own activity, as factors on the likelihood: a route followed
    with halts at its stops is near proof, and a ferry is not believed without one (or
    the member saying they use it); the phone's guess counts when it covers half the leg
    and is physically believable (phones say "walking" in a slow bus queue). `ride`: the
    line the whole ride this leg is a part of follows (_ride_lines), taken when the leg
    alone is too short to show it and lies on it. `tunnel`: steps of the leg crossed network
    positions taken out (_bridge_network_positions), which could hide its halts.
    `sparse_line`: the line a leg too sparse to show halts follows in order (_sparse_line),
    worth `line_factor` (_sparse_line_factor) where no stops were seen served."""
    feed = context.transit
    counts = feed.route_counts(seg) if feed is not None else None
    line, route_type = feed.match_route(seg, counts) if feed is not None else (None, None)
    if line is None and ride[0] is not None and feed.follows(seg, ride[0]):
        line, route_type = ride
    if line in loglik:
        loglik[line] += math.log(TRANSIT_MATCH_FACTOR.get(line, TRANSIT_MATCH_FACTOR["other"]))
    elif sparse_line in loglik and line_factor != 1.0:
        loglik[sparse_line] += math.log(line_factor)
    if feed is not None and len(seg) >= 3:   # a hop's ends show no line between
        _off_line(loglik, feed.route_shares(seg, counts), feed.line_modes)
    for mode, factor in NEEDS_ROUTE.items():
        if mode in loglik and mode != line and mode not in context.owned_modes:
            loglik[mode] += math.log(factor)
            if not tunnel and _unbroken(f, seg):
                f.unbroken = True
    shares = _activity(seg)
    if shares:
        mode, share = max(shares.items(), key=lambda kv: kv[1])
        lo, hi = _EVIDENCE_P85_RANGE.get(mode, (0.0, 0.0))
        if share >= 0.5 and lo <= f.p85_ms <= hi:
            for m in _ACTIVITY_COVERS.get(mode, (mode,)):
                if m in loglik:
                    loglik[m] += math.log(ACTIVITY_FACTOR)
    return route_type


def _unbroken(f, seg: list) -> bool:
    """Ten minutes and 3 km or more without one halt, seen closely enough to tell
    (mode_params.CROSSING_*): with a wait before it, a ferry's crossing. A silence is
    taken only at the ride's own pace: a halt or a detour inside it would slow its chord;
    one before the ride first keeps its pace or after it last does holds its ends (the
    boarding, the berthing and the walk off, as _paced leaves its first and last step out).
    And it runs straight from shore to shore, as a land route seldom does (_straight)."""
    if f.paced:             # seen every minute or two, and no step lost its pace
        return _straight(seg)
    if f.duration_s < CROSSING_MIN_S or f.distance_m < CROSSING_MIN_M or len(seg) < 3:
        return False
    if f.halted_s > 0 and any(0 < i and j < len(seg) - 1 for i, j in halts(seg)):
        return False        # a halt inside the ride; one at its first or last fix is its end
    acc, bad_acc = _accuracies(seg)
    if any(a > bad_acc for a in acc):
        return False        # network positions: a tunnel, or fixes that could hide a halt
    seen_s, seen_steps = 0.0, 0
    for k, (p, q) in enumerate(zip(seg, seg[1:])):
        dt = q.ts - p.ts
        if dt <= CROSSING_MAX_GAP_S:
            seen_s, seen_steps = seen_s + dt, seen_steps + 1
        elif not _at_pace(seg, k, f.p50_ms) and _paced_step(seg, range(k), f.p50_ms) \
                and _paced_step(seg, range(len(seg) - 2, k, -1), f.p50_ms):
            return False    # a halt may hide in it; before the ride's pace or after, its ends
    return seen_steps > 0 and seen_s / seen_steps <= CROSSING_MAX_STEP_S and \
        seen_s >= CROSSING_SEEN_SHARE * f.duration_s and _straight(seg)


def _at_pace(seg: list, k: int, pace: float) -> bool:
    """Step k's chord keeps CROSSING_GAP_PACE of the ride's median pace."""
    p, q = seg[k], seg[k + 1]
    return distance_m(p.lat, p.lon, q.lat, q.lon) >= CROSSING_GAP_PACE * pace * (q.ts - p.ts)


def _paced_step(seg: list, steps, pace: float) -> bool:
    """One of these steps keeps the ride's pace (looked for from the leg's end inwards:
    the first few past the boarding or the berthing do)."""
    return any(_at_pace(seg, k, pace) for k in steps)


def _straight(seg: list) -> bool:
    """The ride's path over chords of CROSSING_CHORD_M or more (the fixes' noise and a
    street grid's blocks cut off) is at most CROSSING_MAX_DETOUR times its ends' distance
    (mode_params): a fairway runs straight from pier to pier, a land route bends.
    Network positions are stepped over."""
    acc, bad_acc = _accuracies(seg)
    kept = [seg[0]]
    for p, a in zip(seg[1:-1], acc[1:-1]):
        if a <= bad_acc and distance_m(kept[-1].lat, kept[-1].lon, p.lat, p.lon) >= CROSSING_CHORD_M:
            kept.append(p)
    kept.append(seg[-1])
    path = sum(distance_m(p.lat, p.lon, q.lat, q.lon) for p, q in zip(kept, kept[1:]))
    return path <= CROSSING_MAX_DETOUR * distance_m(seg[0].lat, seg[0].lon, seg[-1].lat, seg[-1].lon)


def _accuracies(seg: list) -> tuple:
    """(each fix's accuracy, the accuracy beyond which a fix of this ride is a network
    position): a fix without one is a GPS fix (UNREPORTED_ACC_M), both in the phone's usual
    accuracy and when telling its network positions."""
    acc = [p.acc or UNREPORTED_ACC_M for p in seg]
    return acc, bad_accuracy(_median(acc))


def _paced(f, seg: list, usual_dt) -> bool:
    """A ride seen only every minute or two whose every step kept its pace: no halt hid in
    any (mode_params.CROSSING_PACED_*). A network position shows nothing (the step runs on
    to the next GPS fix), nor does a silence (a tunnel: none may last long). The first and
    the last step hold the boarding and the alighting (a vessel leaves and berths at a
    walk), so only the steps between are read."""
    if f.duration_s < CROSSING_MIN_S or f.distance_m < CROSSING_MIN_M or \
            len(seg) - 1 < CROSSING_PACED_STEPS or \
            not DENSE_STEP_S < f.median_step_s <= CROSSING_PACED_MAX_STEP_S:
        return False
    gap = CROSSING_PACED_MAX_GAP * (usual_dt or f.median_step_s)
    if any(not 0 < q.ts - p.ts <= gap for p, q in zip(seg, seg[1:])):
        return False
    acc, bad_acc = _accuracies(seg)
    seen = [seg[0]] + [p for p, a in zip(seg[1:-1], acc[1:-1]) if a <= bad_acc] + [seg[-1]]
    paces = [distance_m(p.lat, p.lon, q.lat, q.lon) / (q.ts - p.ts)
             for p, q in zip(seen, seen[1:])]
    inner = paces[1:-1]
    median = _median(paces)
    return len(inner) >= CROSSING_PACED_STEPS - 2 and median > 0 and \
        min(inner) >= CROSSING_GAP_PACE * median


def crossing_lift(unbroken: bool, wait_s) -> dict:
    """What a wait of `wait_s` before an unbroken ride whose mode needs a route gives back
    of NEEDS_ROUTE: the terminal's wait and the crossing together (mode_params)."""
    if not unbroken or (wait_s or 0.0) < CROSSING_WAIT_S:
        return {}
    return {m: math.log(CROSSING_FACTOR / factor) for m, factor in NEEDS_ROUTE.items()}


def _off_line(loglik: dict, shares: dict, feed_modes: set) -> None:
    """The feed's route types settle which vehicle of LINE_MODES a leg on its lines is:
    those whose lines it does not follow are x OFF_LINE_FACTOR (mode_params). Only modes
    the feed has lines of: a town's trams in one operator's feed say nothing of the buses
    of another, whose feed was not imported."""
    if not any(shares.get(m, 0.0) >= MIN_ON_ROUTE_SHARE for m in LINE_MODES):
        return
    for m in LINE_MODES:
        if m in loglik and m in feed_modes and shares.get(m, 0.0) < LINE_ABSENT_SHARE:
            loglik[m] += math.log(OFF_LINE_FACTOR)


# "automotive" covers every motor vehicle; "cycling" every pedalled one
_ACTIVITY_COVERS = {"car": ("car", "bus", "tram", "metro", "train"), "bike": ("bike", "e-bike")}


def _make_leg(points, speeds, dists, a, b, trip_acc, trip_dt, context: Context,
              ranges: dict, boarded: bool, blind_steps: set, ride: tuple = (None, None),
              opening=None) -> Leg:
    """`boarded`: the member came to this leg on foot (a wait there means something; after
    a halt inside a ride, they may simply have stayed aboard). `blind_steps`: its steps
    that crossed network positions (see _bridge_network_positions). `opening`: the trip's
    first leg, the place's fix it left from (see _opening_wait)."""
    seg = points[a:b + 1]
    f = leg_features(seg, speeds[a:b], dists[a:b], trip_acc, trip_dt, blind_steps, doppler=True)
    # Windowed speed x time ignores the zig-zag that fix noise adds to slow, dense tracks.
    windowed = sum(v * (points[k + 1].ts - points[k].ts) for k, v in zip(range(a, b), speeds[a:b]))
    if b > a + 1:
        _off_the_zigzag(f, windowed)
    if opening is not None and seg[0].ts == opening.ts:
        _without_dwell(f, seg)
    sparse_line, shape_bend = _sparse_line(seg, context)
    f.paced = not blind_steps and _paced(f, seg, trip_dt)
    filtered = _filter_chords(points, dists, a, b, trip_dt)
    if filtered:
        read = _on_the_path(f, _path_over_chords(points, dists, a, b))
    else:   # a line's shape between fixes minutes apart is the path they cut the corners of
        read = _on_the_path(f, shape_bend or 1.0)
    line_factor = _sparse_line_factor(seg, context, sparse_line, filtered)
    loglik = leg_loglik(read, ranges)
    # read off the measures alone, before `_evidence` below moves the modes' likelihoods
    queue_ll = queue_loglik(read, loglik["walk"], ranges) if "walk" in loglik else None
    waited = None
    if boarded and not _boarding_unseen(points, a, b):
        # A slow stretch is not always a walk (a tram crawling out of its stop in stop-and-go
        # is one, and its rider never got off): the wait counts where the trip's decision
        # has the member on foot before this leg (carbon.decode), not in the leg itself.
        f.wait_s = _wait_before(points, a, speeds)
        waited = wait_loglik(f.wait_s, ranges)
        # ... and, after a vehicle's crawl (carbon.decode's queue state), the standing of a
        # queue moving on: seconds to a signal cycle, not a wait for a service
        waited["queue"] = queue_wait_loglik(f.wait_s)
    if opening is not None and not boarded:
        _opening_wait(f, loglik, points, speeds, a, b, ranges, opening)
    route_type = _evidence(loglik, seg, f, context, ride, bool(blind_steps), sparse_line,
                           line_factor)
    lift = crossing_lift(f.unbroken, f.wait_s)
    for m, v in lift.items():
        if waited is not None and m in waited:
            waited[m] += v          # read where the decode has the member wait on foot
        elif opening is not None and m in loglik:
            loglik[m] += v          # the opening wait is in the leg's own likelihood
    distance = min(windowed, f.distance_m) if windowed > 0 else f.distance_m
    if b == a + 1:
        distance = f.distance_m     # one step (a hop): its great-circle length
    features = _summary(f)
    features["acc"] = round(trip_acc, 1)
    if b == a + 1 and _rode(seg[0], seg[1]):
        features["hop"] = True
    if route_type is not None:
        features["route_type"] = route_type
    if f.unbroken and not lift:
        features["unbroken"] = True     # a wait read later (carbon.transfers) may lift it, once
    return Leg(seg[0].ts, seg[-1].ts, round(distance, 1), "unknown", 0.0, n_points=len(seg),
               features=features, loglik=loglik, wait_loglik=waited,
               queue_loglik=queue_ll, jam_loglik=jam_loglik(read))


# A leg's path is counted between fixes a few claimed accuracies apart (speeds.path_metres);
# the distance its windowed speeds cover (each window's displacement over its time) cuts
# the corners inside a window, a few percent on streets: route circuity, the ratio of the
# network distance to the straight line, is 1.2-1.4 even between a city's origins and
# destinations kilometres apart (Levinson & El-Geneidy 2009, "The minimum circuity frontier
# and the journey to work", Regional Science and Urban Economics 39(6); Giacomin & Levinson
# 2015, Environment and Planning B 42(6)), and less over a window's 25-800 m. A path longer
# than ZIGZAG_RATIO times the windowed distance is the fixes' zig-zag, not the route: a
# phone that claims 5 m while its fixes stray 25 m, seen at 1 Hz, walked 4.8 km for 1.2 km.
ZIGZAG_RATIO = 1.5


def _off_the_zigzag(f, windowed: float) -> None:
    """The leg's distance and mean speed from the distance its windowed speeds cover
    (`windowed`) where its path is mostly zig-zag (see ZIGZAG_RATIO); the caller leaves a
    hop (one step) its great-circle length."""
    if f.duration_s <= 0:
        return
    if 0.0 < windowed and f.distance_m > ZIGZAG_RATIO * windowed:
        # the halts per km on the same distance (features.leg_features: over 50 m at least)
        f.stops_per_km *= max(f.distance_m, 50.0) / max(windowed, 50.0)
        f.distance_m = windowed
        f.mean_ms = windowed / f.duration_s


def _without_dwell(f, seg: list) -> None:
    """The trip's first leg, read from the place's last fix: its mean speed over the time
    it moved, without the standing a sparse phone's first step holds (features.
    opening_dwell_s). A 4-minute drive seen by a fix at home 10 minutes before it and two
    on the road read 2.6 m/s door to door, a bike; over its moving time, a car's 7."""
    dwell = opening_dwell_s(seg)
    if dwell > 0 and f.duration_s > dwell:
        f.duration_s -= dwell
        f.mean_ms = f.distance_m / f.duration_s


def _ride_lines(runs: list, points: list, context: Context) -> list:
    """Per run, the (mode, route type) of the line followed by the ride it is part of. A
    ride is cut at every standstill of two minutes or more and at a crawl in a queue,
    and each part alone may pass too few stops to show that it serves them; the stops
    are counted over the ride from its first fast run to its last, with what lies between
    (nobody leaves a bus to walk along its line and board it again). Each run takes the
    line only if it lies on it itself (`_evidence`). (None, None) without a feed or with
    fewer than two fast runs."""
    out = [(None, None)] * len(runs)
    fast = [k for k, run in enumerate(runs) if run[0]]
    if context.transit is None or len(fast) < 2:
        return out
    k, j = fast[0], fast[-1]
    line = context.transit.match_route(points[runs[k][1]:runs[j][2] + 1])
    out[k:j + 1] = [line] * (j + 1 - k)
    return out


def _summary(f) -> dict:
    out = {k: round(v, 2) for k, v in measurable(f).items()}
    out["duration"] = round(f.duration_s)
    if f.silent_share:
        out["silent"] = round(f.silent_share, 2)
    if f.sustained_p85_ms is not None:
        out["sustained"] = round(f.sustained_p85_ms, 2)
    return out


# A car or a bike is kept at the door, in the street or the shed: a minute's walk (the
# access walk's argument, mode_params.ACCESS_WALK_M); a stand nearer the place left may be
# the member getting in, or the phone still at home.
_DOOR_M = 100.0


def _opening_wait(f, loglik: dict, points: list, speeds: list, a: int, b: int,
                  ranges: dict, origin) -> None:
    """A trip's first leg that opens standing, beyond the place the member left, for
    _HALT_S or more: they got there on foot (a walk the phone did not see, between a fix
    at home and one at the stop) and stood, which is a wait at a boarding point, read as
    one (nobody waits minutes beside their own car or bike, riders wait for a service:
    mode_params' wait ranges). With no walk leg before it, the trip model cannot read it at
    a boarding (carbon.decode), so it joins the leg's own likelihood."""
    k = _standstill_end(speeds, a, b)
    stood = points[k].ts - points[a].ts
    if k == a or k >= b or stood < _HALT_S or \
            distance_m(origin.lat, origin.lon, points[a].lat, points[a].lon) < _DOOR_M:
        return
    f.wait_s = float(stood)
    for m, v in wait_loglik(stood, ranges).items():
        if m in loglik:
            loglik[m] += v


# A distance filter's step is a straight line between two reports ~500 m or more apart,
# minutes long: the member's path between them was longer, and so was their pace. How much
# the path bent shows in the chords themselves: on a path of steady curvature each chord
# turns from the one before by the arc it spans, and an arc of angle t is (t/2)/sin(t/2)
# times its chord (a quarter turn 1.11, a half-loop 1.57). A street route's chords run on
# nearly straight (no change); a loop's or an out-and-back's 5-minute chords turn 120-180
# degrees and cut 20-60 % of the way.
_CHORD_LONG_S = 240.0   # the filter's 5-minute floor, less the phone's timing slack
_MAX_BEND = math.pi     # a chord turned back on itself: the path went round half a loop


def _filter_chords(points: list, dists: list, a: int, b: int, trip_dt: float) -> bool:
    """Is every step of this leg a distance filter's report (FILTER_STEP_M or more apart,
    minutes apart, on a phone whose usual step is that long: not a dense phone's silence in
    a tunnel): only chords of the member's path, never its curves, were seen?"""
    return b > a and trip_dt >= _CHORD_LONG_S and all(
        dists[k] >= FILTER_STEP_M and points[k + 1].ts - points[k].ts >= _CHORD_LONG_S
        for k in range(a, b))


_TURN_ACC_SHARE = 0.2   # a fix off by a fifth of a chord turns it by ~11 degrees (x 1.005);
#                         a cell position's 500 m+ on a 500 m chord could turn it any way


def _turn(p, q, r) -> float | None:
    """The angle (radians, 0-pi) the chord q->r turns from p->q (None: a chord of nothing,
    or one whose fixes are too coarse for its direction to mean anything)."""
    worst = max(x.acc or 0.0 for x in (p, q, r))
    if worst > _TURN_ACC_SHARE * min(distance_m(p.lat, p.lon, q.lat, q.lon),
                                     distance_m(q.lat, q.lon, r.lat, r.lon)):
        return None
    kx = metres_per_degree_lon(q.lat)
    ux, uy = (q.lon - p.lon) * kx, q.lat - p.lat
    vx, vy = (r.lon - q.lon) * kx, r.lat - q.lat
    uy, vy = uy * _M_PER_DEG_LAT, vy * _M_PER_DEG_LAT
    nu, nv = math.hypot(ux, uy), math.hypot(vx, vy)
    if nu == 0 or nv == 0:
        return None
    return math.acos(max(-1.0, min(1.0, (ux * vx + uy * vy) / (nu * nv))))


def _path_over_chords(points: list, dists: list, a: int, b: int) -> float:
    """How much longer than its chords the leg's path was: each step's arc over its chord
    from the turns at its two ends (the fixes either side of the leg count: the bend goes
    on through them), weighted by the steps' lengths."""
    path = chords = 0.0
    for k in range(a, b):
        turns = [t for t in (_turn(points[k - 1], points[k], points[k + 1]) if k >= 1 else None,
                             _turn(points[k], points[k + 1], points[k + 2])
                             if k + 2 < len(points) else None) if t is not None]
        half = min(_MAX_BEND, sum(turns) / len(turns)) / 2 if turns else 0.0
        path += dists[k] * (half / math.sin(half) if half > 1e-6 else 1.0)
        chords += dists[k]
    return path / chords if chords > 0 else 1.0


def _on_the_path(f, bend: float):
    """The features a leg seen only in chords is read by: its paces and length on the path
    they imply (`bend`: path over chords). A run round a loop seen at 2.0 m/s on its chords
    went at 2.6-3 m/s, past the pace people change from walking to running (~2.0 m/s,
    Hreljac 1993, J Biomech 26:63); a straight ride is read as it was seen."""
    if bend <= 1.0:
        return f
    c = bend        # every pace and the length alike: the path is c times the chords
    return dataclasses.replace(
        f, distance_m=f.distance_m * c, mean_ms=f.mean_ms * c, p50_ms=f.p50_ms * c,
        p85_ms=f.p85_ms * c, p95_ms=f.p95_ms * c, p85_held_ms=f.p85_held_ms * c,
        p95_held_ms=f.p95_held_ms * c,
        p95_level_held_ms=None if f.p95_level_held_ms is None else f.p95_level_held_ms * c,
        sustained_p85_ms=None if f.sustained_p85_ms is None else f.sustained_p85_ms * c)


def _boarding_unseen(points: list, a: int, b: int) -> bool:
    """A phone that reports only by distance (~500 m, both the step to the leg's first fix
    and the leg's first step are such reports) cannot show a standstill: the walk to the
    stop, the wait and the first minutes aboard lie inside one step, and a wait of 0 s
    read off it is no evidence against a service. A phone stepping by time that covered
    400 m on both sides of the fix was moving there: the member boarded inside the step
    before it, and no wait was seen either."""
    if a < 1 or b < a + 1:
        return False
    return filter_step(points[a - 1], points[a]) and filter_step(points[a], points[a + 1])


def _wait_before(points: list, a: int, speeds: list) -> float:
    """How long the member stood where this leg starts: back from its first fix while the
    fixes stay within reach of it (phones that stop reporting while standing show the wait
    as one long step); when the leg starts with a standstill (cut at a halt), forward
    over it too."""
    p = points[a]
    j = a
    while j > 0:
        q = points[j - 1]
        if distance_m(p.lat, p.lon, q.lat, q.lon) > max(_WAIT_RADIUS_M, 1.5 * (q.acc or 0.0)):
            break
        j -= 1
    return float(points[_standstill_end(speeds, a, len(speeds))].ts - points[j].ts)


def _standstill_end(speeds: list, a: int, end: int) -> int:
    """The first fix from a on (at most end) where the member moves: a leg cut at a halt
    opens with the standstill, which belongs to the wait before it."""
    k = a
    while k < end and speeds[k] < STOP_SPEED_MS:
        k += 1
    return k


def _open_span(points: list, radius: float, steps: list) -> tuple:
    """(lo, hi): the fixes of a trip out in the open, from the first one beyond the stay
    radius of its start to the last one beyond that of its end. The steps leaving and reaching
    the places have an unknown timing (the phone slept there or repeated a stale cached fix:
    a 500 m "hop" in 30 s right after leaving home is the phone catching up, not a car) and
    the fixes at the places are standing: neither says anything about the mode."""
    n = len(points)
    first, last = points[0], points[-1]
    lo = 0
    while lo < n - 1 and distance_m(first.lat, first.lon, points[lo].lat, points[lo].lon) <= radius:
        lo += 1
    hi = n - 1
    while hi > lo and distance_m(last.lat, last.lon, points[hi].lat, points[hi].lon) <= radius:
        hi -= 1
    # A sparse phone crosses the radius in one step: that step is the ride itself, unless it
    # is much longer than the phone's usual step (the phone catching up after sleeping).
    # A phone that kept reporting as the member left (or arrived) timed those steps: the
    # walk out of the door is a walk, and the bike shed 150 m away is not a blind spot.
    dts = [q.ts - p.ts for p, q in zip(points, points[1:])]
    timed = max(_TIMED_EDGE_S, 3 * _median(dts))
    if lo > 0 and max(dts[:lo]) <= timed:
        lo = 0
    if hi < n - 1 and max(dts[hi:]) <= timed:
        hi = n - 1
    # A long silent hop is no catch-up either: the phone slept through a ride it then
    # reports whole (its mean speed is what we know of it, see _split_at_hops).
    # A phone silent at the place for far longer than its usual step slept there: the step's
    # timing is the dwell's, not the ride's.
    usual, slept = _median(steps), _CATCH_UP * _median(dts)
    if lo == 1 and (_rode(points[0], points[1]) or
                    (_hop(points[0], points[1]) <= _CATCH_UP * usual and dts[0] <= slept)):
        lo = 0
    if hi == n - 2 and (_rode(points[-2], points[-1]) or
                        (_hop(points[-2], points[-1]) <= _CATCH_UP * usual and dts[-1] <= slept)):
        hi = n - 1
    return (lo, hi) if hi - lo >= 2 else (0, n - 1)


_CATCH_UP = DWELL_STEPS   # a step this many times the phone's median step is a catch-up hop
_TIMED_EDGE_S = 30.0  # steps this short leaving a place were timed, not caught up


def _hop(p, q) -> float:
    return distance_m(p.lat, p.lon, q.lat, q.lon)


def _rode(p, q) -> bool:
    """A silent step that is a ride (see _split_at_hops), not a phone asleep at the place."""
    d, dt = _hop(p, q), q.ts - p.ts
    return dt >= HOP_MIN_S and d >= HOP_MIN_M and d > RODE_MS * dt


_DENSE_BRIDGE_S = 30.0   # at this step or finer, every trip's network positions are bridged


def _bridge_network_positions(core: list, trip_acc: float) -> list:
    """Without the fixes that are network positions for this phone (underground, Wi-Fi and
    cell guesses jump by hundreds of metres to kilometres): their zig-zag would make a 5 km
    metro ride 30 km long at 60 m/s. What is left is a silence from the tunnel's entry to
    its exit, which the legs read like any other (blind, mean speed end to end). At a fix
    every 1-2 minutes too: a tunnel then shows as a few positions kilometres off the way
    (a 10 km metro read 15 km at a car's 16 m/s sustained); without them it is the silence
    of several usual steps that `features._blind_share` reads at that sampling. There only
    runs of two or more go, between ends a ride apart (_keep_unridden_runs)."""
    step = _median([q.ts - p.ts for p, q in zip(core, core[1:])]) if len(core) >= 3 else 0
    if len(core) < 3 or step > SPARSE_BLIND_STEP_S:
        return core, set()
    bad = bad_accuracy(trip_acc)
    jumped = _jumps(core)
    off = [(p.acc or 0.0) > bad or k in jumped for k, p in enumerate(core)]
    if step > _DENSE_BRIDGE_S:
        # a tunnel lasts several of these steps; a lone network fix between two of the
        # phone's own is a moment in a street, and taking it out would only double a step
        off = [o and ((k > 0 and off[k - 1]) or (k + 1 < len(off) and off[k + 1]))
               for k, o in enumerate(off)]
        _keep_unridden_runs(core, off)
    kept, bridged = [], set()
    for k, p in enumerate(core):
        if k in (0, len(core) - 1) or not off[k]:
            kept.append(p)
        elif kept:
            bridged.add(len(kept) - 1)       # the step leaving kept[-1] crosses the tunnel
    return (kept, bridged) if len(kept) >= 2 else (core, set())


def _keep_unridden_runs(core: list, off: list) -> None:
    """Clears `off` on each run of network positions whose own fixes on either side are
    closer than a ride covers in that time (RODE_MS): a tunnel's entry and
    exit are a station or more apart. Between two fixes near one another the member stayed
    (a hall, a building) or went and came back, which those ends cannot tell: bridged, the
    run would read as minutes of walking (aalto_dev8 thinned to 120 s: 27 minutes of a
    train ride read as a 390 m walk), so the positions stay, as they did at this sampling."""
    k = 0
    while k < len(off):
        if not off[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(off) and off[j + 1]:
            j += 1
        if 0 < k and j + 1 < len(core):
            p, q = core[k - 1], core[j + 1]
            if _hop(p, q) <= RODE_MS * (q.ts - p.ts):
                off[k:j + 1] = [False] * (j + 1 - k)
        k = j + 1


# A fix this far off the way between its neighbours, and this many times its own claimed
# accuracy, where going there and back is more than twice the direct way, is a network
# position whatever accuracy it claims: no vehicle turns back at speed between two fixes
# a few seconds to half a minute apart (a U-turn stops first), and a GPS fix is not 300 m
# and five of its 68 % radii off (street multipath throws fixes 20-80 m, rarely 150).
# Underground phones report Wi-Fi and cell positions kilometres off that claim 20-60 m
# (Helsinki's metro legs), which the accuracy alone does not catch.
_JUMP_M = 300.0
_JUMP_ACC = 5.0
_JUMP_PASSES = 3      # a run of wrong positions: each pass judges the fixes left between


def _jumps(core: list) -> set:
    """Indexes of the fixes of `core` that lie where no vehicle between their neighbours
    could have been (see _JUMP_M)."""
    live = list(range(len(core)))
    out = set()
    for _ in range(_JUMP_PASSES):
        found = set()
        for i in range(1, len(live) - 1):
            a, p, b = core[live[i - 1]], core[live[i]], core[live[i + 1]]
            d1 = distance_m(a.lat, a.lon, p.lat, p.lon)
            d2 = distance_m(p.lat, p.lon, b.lat, b.lon)
            direct = distance_m(a.lat, a.lon, b.lat, b.lon)
            if d1 + d2 <= 2.0 * direct or min(d1, d2) < _JUMP_M:
                continue
            if _off_the_way(d1, d2, direct) > max(_JUMP_M, _JUMP_ACC * (p.acc or 10.0)) \
                    and live[i - 1] not in found:
                found.add(live[i])
        if not found:
            break
        out |= found
        live = [k for k in live if k not in found]
    return out


def _off_the_way(d1: float, d2: float, direct: float) -> float:
    """Distance of a point from the segment between two others, from the three sides."""
    if direct <= 0.0:
        return min(d1, d2)
    if d1 * d1 > d2 * d2 + direct * direct or d2 * d2 > d1 * d1 + direct * direct:
        return min(d1, d2)          # beyond one end of the segment
    s = 0.5 * (d1 + d2 + direct)
    area = math.sqrt(max(0.0, s * (s - d1) * (s - d2) * (s - direct)))
    return 2.0 * area / direct


def _speed_window(params: Params, acc: float) -> float:
    """Speeds are averaged over long enough a span that the fixes' error is small beside
    the distance covered: a minute for phones whose fixes are 20-40 m off, 20 s for good
    GPS (whose error then costs a quarter of a metre per second), so that a car's speed
    between two corners is not smeared into its stops. `acc`: the larger of the fixes'
    claimed accuracy and their jitter (speeds.jitter_m): a window of 3 x the error keeps
    the speed's error near 0.5 m/s (sqrt(2) s / 3 s), under the walking band's width."""
    return max(20.0, min(params.speed_window_s, 3.0 * acc))


def split_legs(points: list, params: Params = DEFAULT_PARAMS, context: Context | None = None,
               ranges: dict | None = None, jitter: float | None = None) -> list:
    """Measured legs (mode not yet decided) of a trip whose clean fixes (departure to
    arrival) are given. Legs are read on the fixes out in the open (see _open_span); the
    first and last legs then stretch to the trip's ends, with the distance of the steps
    they gain. `jitter`: the trip's fixes' jitter before smoothing (speeds.jitter_m; None:
    read from `points`, which smoothing has already steadied to about a third of it)."""
    context = context or Context()
    if len(points) < 2:
        return []
    steps = step_distances(points)
    lo, hi = _open_span(points, params.stay_radius_m, steps)
    core = points[lo:hi + 1]
    trip_acc = _median([p.acc or 10.0 for p in core])
    core, bridged = _bridge_network_positions(core, trip_acc)
    # Nothing bridged: the core's steps are the trip's, already measured.
    dists = steps[lo:hi] if len(core) == hi - lo + 1 else step_distances(core)
    # The window averages what the fixes show of their error, or what they claim when
    # that is more (see speeds.jitter_m): a phone that under-reports its accuracy, or a
    # street canyon's multipath, gets the window its fixes need.
    noise = max(trip_acc, jitter_m(core) if jitter is None else jitter)
    speeds = window_speeds(core, _speed_window(params, noise), dists, silence_s=HOP_MIN_S)
    labels = [v >= params.walk_max_ms for v in speeds]
    ends = (_walkable(points[:lo + 1], steps[:lo], params),
            _walkable(points[hi:], steps[hi:], params))
    walk_m = max(EDGE_WALK_M, EDGE_WALK_ACC * trip_acc)
    # steps that are no GPS chord: across a tunnel (bridged) or to a network position
    bad = bad_accuracy(trip_acc)
    unseen = set(bridged) | {k for k in range(len(core) - 1)
                             if max(core[k].acc or 0.0, core[k + 1].acc or 0.0) > bad}
    trip_dt = _median([q.ts - p.ts for p, q in zip(core, core[1:])])
    # a phone whose usual step is a distance filter's (see _netted_past_a_walk)
    runs = _absorb_short(_runs(labels), core, dists, speeds, params, ends, walk_m, unseen,
                         filtered=trip_dt >= _CHORD_LONG_S,
                         out_m=EDGE_WALK_ACC * noise)
    runs = [part for run in runs for part in _split_at_halt(run, core, speeds, dists, params)]
    runs = _split_at_hops(runs, core, dists)
    rides = _ride_lines(runs, core, context)
    legs = [_make_leg(core, speeds, dists, a, b, trip_acc, trip_dt, context, ranges or RANGES,
                      k > 0 and not runs[k - 1][0], {j - a for j in bridged if a <= j < b},
                      rides[k], opening=points[0] if k == 0 else None)
            for k, (_, a, b) in enumerate(runs)]
    for leg, run in zip(legs, runs):
        if run[0]:
            leg.queue_loglik = None    # a vehicle's crawl is a slow stretch (carbon.decode)
    _stretch(legs[0], points[:lo + 1], steps[:lo], at_start=True)
    _stretch(legs[-1], points[hi:], steps[hi:], at_start=False)
    return legs


def _walkable(edge: list, edge_steps: list, params: Params) -> bool:
    """Could the member have walked every step between the legs' fixes and the trip's end
    (a silent hop there is a ride the last leg is stretched over, not a walk)?"""
    return all(d <= params.walk_max_ms * max(q.ts - p.ts, 1)
               for p, q, d in zip(edge, edge[1:], edge_steps))


def _stretch(leg: Leg, edge: list, edge_steps: list, at_start: bool) -> None:
    """Extend a leg over the fixes between it and the trip's end (`edge`, in time order)."""
    if len(edge) < 2:
        return
    leg.distance_m = round(leg.distance_m + sum(edge_steps), 1)
    leg.n_points += len(edge) - 1
    if at_start:
        leg.start_ts = edge[0].ts
    else:
        leg.end_ts = edge[-1].ts
