"""What the household sees is the live path: fixes one at a time, and batches a phone that
was offline uploads hours late, must end with the trips, legs, modes and probabilities of a
rebuild (docs/engine.md, "Incremental processing (contract)"). A subset of the sweep
`bench/live_parity.py` runs over every family x regime x seed."""
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import live_parity as lp  # noqa: E402
from carbon.timeline import build_timeline  # noqa: E402


def _diverge(family, regime, seed):
    return lp.check(family, regime, seed, days=3, batch=30)


@pytest.mark.parametrize("regime", ["significant", "sparse"])
def test_every_family_reads_live_as_in_a_rebuild(regime):
    bad = {f: d for f in lp.FAMILIES for d in [_diverge(f, regime, 0)] if d}
    assert bad == {}


def test_a_ride_out_of_the_resume_stay_is_decided_knowing_the_stay_it_left():
    # the first trip after a resume point may begin with the resume stay's own first fixes
    # (a sparse phone): it left the stay before it, where the bike was, and the live path
    # must weigh the bike at hand from there as the rebuild does (before: bike 0.77 / 0.61
    # on the live path, 0.88 / 0.75 in the rebuild)
    fixes = lp.history("plane", "sparse", 0, 3)
    tl, _ = lp.fix_by_fix(fixes)
    assert lp.shape(tl) == lp.shape(build_timeline(fixes))


def test_an_upload_hours_late_keeps_the_vehicles_where_the_rebuild_has_them():
    # a late batch restarts from a stay before the resume point: the belief there is the
    # one detection had (Timeline.beliefs), not one read back from the joined trips
    fixes = lp.history("ferry", "dense", 1, 3)
    tl = lp.late_batches(fixes, random.Random(1))
    assert lp.shape(tl) == lp.shape(build_timeline(fixes))


def test_a_late_batch_inside_a_stay_lets_the_stay_start_move():
    # fixes a phone uploads late from within the evening's stay move its centre, so its
    # start: the update restarts from the stay before (carbon.timeline.recompute_from)
    fixes = lp.history("walk", "sparse", 0, 3)
    tl = lp.late_batches(fixes, random.Random(0))
    full = build_timeline(fixes)
    assert [(s.start_ts, s.end_ts) for s in tl.stays] == [(s.start_ts, s.end_ts) for s in full.stays]
    assert lp.shape(tl) == lp.shape(full)


def test_the_walk_home_a_distance_filter_reported_reads_live_as_in_a_rebuild():
    # OwnTracks' significant changes (tests/carbon/test_trip_boundaries.py): home, a report
    # 520 m out, silence at the shop, a report back home, the data ends. The walk home is
    # read from how the shop was reached (a filter's step from the fix before it), a fix the
    # live path restarting at the shop would not have (only CONTEXT_S before it): it must
    # restart before the shop. Before: the live path lost the walk home (one trip, not two)
    # on a re-sync of the same fixes, or on a junk fix (5 km accuracy) the cleaning drops.
    from carbon.fix import Fix
    from carbon.timeline import CONTEXT_S, update_timeline
    t0 = 1_772_000_000
    home = Fix(t0, 46.16, -1.15, 10.0)
    out = Fix(t0 + 2200, home.lat + 520 / 111_000, home.lon, 20.0)
    back = Fix(out.ts + 2800, home.lat, home.lon, 20.0)
    junk = Fix(back.ts + 300, home.lat, home.lon, 5000.0)
    full = build_timeline([home, out, back])
    assert len(full.trips) == 2
    for fixes in ([home, out, back], [home, out, back, junk]):
        since = full.resume_ts
        window = fixes if since is None else [p for p in fixes if p.ts >= since - CONTEXT_S]
        assert lp.shape(update_timeline(full, window)) == lp.shape(build_timeline(fixes))
    assert full.resume_ts is None or full.resume_ts < out.ts     # not at the shop


def _fed_a_day_at_a_time(given):
    from carbon.timeline import CONTEXT_S, update_timeline
    tl, k = None, 0
    while k < len(given):
        n = next((i for i in range(k, len(given)) if given[i].ts >= given[k].ts + 86400),
                 len(given))
        have = given[:n]
        tl = build_timeline(have) if tl is None else update_timeline(
            tl, [p for p in have if tl.resume_ts is None or p.ts >= tl.resume_ts - CONTEXT_S])
        k = n
    return tl


def test_a_batch_older_than_the_beliefs_kept_rebuilds_instead_of_guessing():
    # a phone's queue released 16 days late, past the two weeks of beliefs a live timeline
    # keeps: recompute_from says rebuild (None) rather than restart from a belief read back
    # from the joined trips, so the day ends as a rebuild (the review of round 11: bus
    # dense 0 read car 0.688 / train 0.312 live against 0.597 / 0.403 rebuilt, 9 of 29
    # trips apart, with the restart taken)
    from carbon.timeline import recompute_from
    fixes = lp.history("bus", "dense", 0, 20)
    start = next(i for i, f in enumerate(fixes) if f.ts >= fixes[-1].ts - 16 * 86400)
    held = fixes[start:start + 30]
    tl = _fed_a_day_at_a_time([f for f in fixes if f not in held])
    assert recompute_from(tl, held[0].ts) is None
    assert recompute_from(tl, fixes[-1].ts - 86400) is not None   # a day late still restarts


def test_a_live_timeline_keeps_beliefs_for_two_weeks_only_and_still_reads_as_a_rebuild():
    # Timeline.beliefs serve late batches; a timeline updated for weeks (a box's, a
    # month-by-month rebuild) keeps those of the last BELIEFS_S before its resume point,
    # not one per trip since the first fix (the Pi Zero's 512 MB); a batch held back for
    # hours of the last day still restarts from the belief detection had there
    from carbon.timeline import BELIEFS_S, CONTEXT_S, recompute_from, update_timeline
    fixes = lp.history("bike", "sparse", 0, 20)
    last_day = [f for f in fixes if f.ts >= fixes[-1].ts - 86400]
    held = last_day[len(last_day) // 3:len(last_day) // 3 + 20]
    tl = _fed_a_day_at_a_time([f for f in fixes if f not in held])
    full = build_timeline(fixes)
    kept = [ts for ts, _ in tl.beliefs if ts is not None]
    assert kept and min(kept) >= tl.resume_ts - BELIEFS_S
    assert len(kept) < len(full.beliefs) - 1          # the rebuild's has one per trip
    since = recompute_from(tl, held[0].ts)
    assert since is not None and since > fixes[0].ts + BELIEFS_S
    tl = update_timeline(tl, [p for p in fixes if p.ts >= since - CONTEXT_S], since=since)
    assert lp.shape(tl) == lp.shape(full)


def test_a_late_batch_after_a_change_of_buses_stores_the_second_bus_as_the_rebuild():
    # two buses with a 6-15 min change kept as two trips and decided as one journey
    # (carbon.transfers._changed): a late batch must not restart at the change stop, or
    # the second bus is decided alone (before: car 0.61 live, bus 0.60 rebuild; round 13,
    # long-restart: carbon.timeline.restart_stay cuts only at stays longer than a connection)
    from carbon.params import DEFAULT_PARAMS as P
    fixes = lp.history("bus-change", "dense", 0, 2)
    full = build_timeline(fixes)
    change = next(s for s in full.stays if P.stay_min_s <= s.duration_s <= P.transfer_max_s)
    second = next(t for t in full.trips if t.start_ts >= change.end_ts)
    assert [g.mode for g in second.legs][0] == "bus"
    assert lp.restarts(fixes, full) == []
    assert lp.recompute_from(full, second.start_ts) not in (change.start_ts,)


def test_a_late_batch_never_restarts_at_a_stop_a_connection_may_still_join():
    # a stay of transfer_max_s or less may be joined as a connection once the late fixes
    # decide the ride after it (errands sparse 0, round 13: a drive read car before the
    # late fix, bus after it with the shop stop as its wait); restarted there, the trip
    # before it was kept and the live path had 5 trips to the rebuild's 4
    from carbon.params import DEFAULT_PARAMS as P
    from carbon.timeline import recompute_from
    fixes = lp.history("errands", "sparse", 0, 3)
    full = build_timeline(fixes)
    starts = {s.start_ts: s for s in full.stays}
    sinces = {recompute_from(full, f.ts) for f in fixes} - {None}
    assert sinces and all(starts[s].duration_s > P.transfer_max_s for s in sinces)
    assert lp.check("errands", "sparse", 0, days=3, batch=30) == []
