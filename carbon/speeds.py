"""Speeds that a mode can be read from.

Speed from one fix to the next is dominated by position noise when fixes are seconds apart
(20 m of noise over 5 s reads as 4 m/s), so each step gets the displacement speed over a window
of about a minute centred on it. A step long enough to stand out of the noise (a phone with
a distance filter reports every 50 m) keeps its own speed: a window would blend it with the
pauses around it.
"""
from carbon.geo import distance_m, step_metres

_MIN_NOISE_M = 10.0     # even a good fix wanders this much
_NOISE_MULTIPLE = 3.0   # a step this many accuracies long is mostly real movement...
PATH_BASELINE_ACC = 2.0   # path lengths are counted over steps this many accuracies long
_OWN_STEP_S = 8.0       # ... if it also took a while: a 100 m jump in a second or two
#                         is a multipath excursion in a street canyon (longer steps are
#                         capped by their neighbours, carbon.features._open_spikes)


def window_speeds(points: list, window_s: float, dists: list | None = None,
                  silence_s: float | None = None) -> list:
    """One speed (m/s) per step between consecutive fixes (`dists`: the steps' lengths,
    when already known). `silence_s`: a step this long bounds the windows of the steps
    beside it (see _bounded)."""
    n = len(points)
    dists = dists if dists is not None else step_metres(points)
    ts = [p.ts for p in points]
    out = []
    a = 0
    b = 1
    half = window_s / 2
    for k in range(n - 1):
        centre = (ts[k] + ts[k + 1]) / 2
        while a < k and ts[a + 1] <= centre - half:
            a += 1
        if b < k + 1:
            b = k + 1
        while b < n - 1 and ts[b] < centre + half:
            b += 1
        step, dt = dists[k], ts[k + 1] - ts[k]
        if dt >= _OWN_STEP_S and step >= _NOISE_MULTIPLE * max(_acc(points[k]), _acc(points[k + 1]),
                                                               _MIN_NOISE_M):
            out.append(step / dt)
            continue
        if b == k + 1 and a == k:
            out.append(step / dt if dt > 0 else 0.0)
            continue
        lo, hi = (a, b) if silence_s is None else _bounded(ts, a, b, k, silence_s)
        if hi == k + 1 and lo == k:
            out.append(step / dt if dt > 0 else 0.0)
            continue
        pa, pb = points[lo], points[hi]
        dt = ts[hi] - ts[lo]
        out.append(distance_m(pa.lat, pa.lon, pb.lat, pb.lon) / dt if dt > 0 else 0.0)
    return out


JITTER_SPAN_S = 60.0    # triples of fixes within this span show the track's jitter
_JITTER_MIN = 10        # ... and this many at least are needed to say anything


def jitter_m(points: list) -> float:
    """How far the fixes stray from one another, as the track itself shows it (m): the
    median distance of each fix from the point interpolated in time between its two
    neighbours, over triples spanning JITTER_SPAN_S at most (0 with fewer than
    _JITTER_MIN of them).

    A phone's claimed accuracy is its own estimate of its error, and phones misstate it:
    in a street canyon multipath throws fixes 20-80 m off while the claimed accuracy
    stays at 5-10 m, a receiver may claim 5 m and wander 20, and a phone that stamps its
    fixes late makes a moving track zig-zag along itself whatever its accuracy (Helsinki's
    Android phones: 130, 96, 35, 80, 39 m in consecutive 10 s steps of one steady drive).
    Each inflates a speed between fixes as position error does. For independent errors
    of radial rms s, the middle fix's residual (e_i - (e_a + e_b) / 2 for a fix midway) is a
    2-D Gaussian of mean square 1.5 s^2, whose median is ~1.0 s: the figure reads as the
    rms of the error that changes from fix to fix. An error correlated over minutes
    (satellite geometry, the simulator's 5-minute process) moves the three fixes together
    and cancels out of it, as it does out of a speed. The member's own motion adds its
    curvature (a turn, a start from a stop), which the median over a trip mostly leaves
    out, and which can only widen the window (carbon.legs._speed_window)."""
    out = []
    for a, p, b in zip(points, points[1:], points[2:]):
        span = b.ts - a.ts
        if span > JITTER_SPAN_S or p.ts <= a.ts or b.ts <= p.ts:
            continue
        w = (p.ts - a.ts) / span
        out.append(distance_m(a.lat + w * (b.lat - a.lat), a.lon + w * (b.lon - a.lon),
                              p.lat, p.lon))
    if len(out) < _JITTER_MIN:
        return 0.0
    out.sort()
    return out[len(out) // 2]


def _bounded(ts: list, a: int, b: int, k: int, silence_s: float) -> tuple:
    """The window [a, b] of step k without what lies beyond a silence of `silence_s` or
    more on either side of it: the phone saw nothing of the member then (a metro's tunnel,
    a flight), and a window reaching across it would give the walk to the station the
    tunnel's kilometres."""
    lo, hi = a, b
    for j in range(k, b):
        if j > k and ts[j + 1] - ts[j] >= silence_s:
            hi = j
            break
    for j in range(k - 1, a - 1, -1):
        if ts[j + 1] - ts[j] >= silence_s:
            lo = j + 1
            break
    return lo, hi


def _acc(p) -> float:
    return p.acc if p.acc is not None else _MIN_NOISE_M


def path_metres(points: list, dists: list, acc: float) -> float:
    """Length of the path through `points` (`dists`: their steps), counted between fixes
    at least PATH_BASELINE_ACC accuracies (`acc`, the phone's usual one) apart.

    Summing every step adds the fixes' error to the path: each step gains the error's
    component across it, and a phone standing at a light at 1 Hz walks a metre a second
    on the spot, so a 1 s track of a ride is ~10 % longer than its 10 s track of the same
    ride (Ranacher, Brunauer, Trutschnig, Van der Spek & Reich 2016, "Why GPS makes
    distances bigger than they are", IJGIS 30(2): the overestimation grows as the
    sampling interval shrinks against the error). Steps of a few accuracies keep that
    error to a few percent of their length whatever the sampling, and a standing phone's
    drift (GPS error is correlated over minutes: a Gauss-Markov process, a metre or so a
    second) never reaches one; a track already that coarse is summed as it is."""
    if len(points) < 2:
        return 0.0
    baseline = PATH_BASELINE_ACC * max(acc, _MIN_NOISE_M)
    if min(dists) >= baseline:
        return sum(dists)
    total, last = 0.0, points[0]
    for p in points[1:-1]:
        d = distance_m(last.lat, last.lon, p.lat, p.lon)
        if d >= baseline:
            total += d
            last = p
    q = points[-1]
    return total + distance_m(last.lat, last.lon, q.lat, q.lon)


def step_distances(points: list) -> list:
    return step_metres(points)
