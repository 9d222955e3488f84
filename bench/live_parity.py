"""The live path against a rebuild (docs/engine.md, "Incremental processing (contract)").

usage: python bench/live_parity.py [--families a,b] [--regimes 1s,dense] [--seeds N]
                                   [--days D] [--batch N]

For every scenario family x sampling regime x seed (simulation/scenarios.py), a history of
D days (the family's day, then D-1 days of other families, each on the next date, so the
member's vehicles are carried from day to day), fed to carbon.timeline three ways:
  all     build_timeline of every fix (the rebuild),
  fixes   one fix at a time (extend_stay, else update_timeline from resume_ts), in batches
          of --batch fixes on the 1 s regime (one at a time there costs minutes a day),
  late    random batches in time order, a few of them held back and delivered hours late
          (recompute_from + update_timeline since), as an offline phone uploads;
  restart every restart recompute_from gives for a late fix at a stay's or a trip's start
          or end (update_timeline since, from the rebuild): random batches rarely start one
          at a short stop (5-20 min), such as an arrival airport's first (round 12,
          landed-mend: 0 of 48 plane and errands histories restarted there);
The families are the suite's and simulation.scenarios.PARITY_DAYS (a change of buses kept
as two trips, a connecting flight, the airport rail link, out and back by air: each a short
stay a joint decision reads across; round 13, long-restart).
and compares the trips (start, end, each leg's mode and probabilities). Prints each
divergence and a count; exit status 1 if any.

With --gateway, the same late batches go through the gateway instead (a real SQLite store:
each batch stored as ingest stores it, then pipeline.process_new; and once more for every
short stop with the fixes after the stop following it held back six hours, so the window
would start at that short stop), and what is stored
(every trip's start and end, each leg's mode, confidence and probabilities) is compared
with what pipeline.rebuild_member stores from the same fixes.
"""
import argparse
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from carbon.fix import Fix  # noqa: E402
from carbon.timeline import (CONTEXT_S, build_timeline, extend_stay,  # noqa: E402
                             recompute_from, update_timeline)
from simulation.phones import REGIMES  # noqa: E402
from simulation.scenarios import FAMILIES, PARITY_DAYS, make_day  # noqa: E402


def history(family: str, regime: str, seed: int, days: int = 1) -> list:
    """The family's day then days - 1 others' (chosen by seed), each moved to the next date
    and to where the day before ended (a day does not always end where it began: without
    this the phone would jump hundreds of km overnight)."""
    rng = random.Random(f"{family}/{regime}/{seed}/history")
    names = [family] + [rng.choice(list(FAMILIES)) for _ in range(days - 1)]
    out, t0 = [], None
    for k, name in enumerate(names):
        day = make_day(name, regime, seed)
        first = day.fixes[0][0]
        t0 = first if t0 is None else t0
        shift = t0 + 86400 * k - first
        dlat, dlon = (out[-1].lat - day.fixes[0][1], out[-1].lon - day.fixes[0][2]) if out \
            else (0.0, 0.0)
        out += [Fix(int(ts) + shift, round(lat + dlat, 6), round(lon + dlon, 6), acc)
                for ts, lat, lon, acc in day.fixes]
    return sorted({f.ts: f for f in out}.values(), key=lambda f: f.ts)


def shape(tl) -> list:
    return [(t.start_ts, t.end_ts, [(g.mode, tuple(sorted((m, round(p, 3)) for m, p in
                                                             (g.probs or {}).items())))
                                    for g in t.legs]) for t in tl.trips]


def _window(have: list, since):
    return have if since is None else [p for p in have if p.ts >= since - CONTEXT_S]


def fix_by_fix(fixes: list, batch: int = 1):
    have = list(fixes[:batch])
    tl = build_timeline(have)
    for k in range(batch, len(fixes), batch):
        new = fixes[k:k + batch]
        have += new
        if len(new) == 1 and extend_stay(tl, new[0]):
            continue
        tl = update_timeline(tl, _window(have, tl.resume_ts))
    return update_timeline(tl, _window(have, tl.resume_ts)), have


def late_order(fixes: list, rng: random.Random, held: int = 2) -> list:
    """Batches of 1 to 200 fixes in time order, in the order they arrive: `held` of them
    only after the batches that follow them for one to six hours of fixes."""
    cuts, k = [], 0
    while k < len(fixes):
        n = rng.choice((1, 1, 3, 10, 50, 200))
        cuts.append(fixes[k:k + n])
        k += n
    order = list(range(len(cuts)))
    for _ in range(held):
        j = rng.randrange(len(order))
        b = order.pop(j)
        ts = cuts[b][-1].ts + rng.randint(3600, 6 * 3600)
        later = next((i for i in range(j, len(order)) if cuts[order[i]][0].ts > ts), len(order))
        order.insert(later, b)
    return [cuts[b] for b in order]


def late_batches(fixes: list, rng: random.Random, held: int = 2):
    """The batches of `late_order` fed to the engine as they arrive."""
    have, tl = [], None
    for batch in late_order(fixes, rng, held):
        late = have and batch[0].ts < have[-1].ts
        have = sorted(have + batch, key=lambda f: f.ts)
        if tl is None:
            tl = build_timeline(have)
        elif late:
            since = recompute_from(tl, batch[0].ts)
            tl = update_timeline(tl, _window(have, since), since=since) if since is not None \
                else build_timeline(have)
        else:
            tl = update_timeline(tl, _window(have, tl.resume_ts))
    return tl


def restarts(fixes: list, full) -> list:
    """The differences from the rebuild of every restart at a boundary of its stays and
    trips (each late fix's restart, from the rebuild as it stood)."""
    out, tried = [], set()
    for ts in sorted({x for t in full.trips + full.stays for x in (t.start_ts, t.end_ts)}):
        since = recompute_from(full, ts)
        if since is None or since in tried:
            continue
        tried.add(since)
        out += compare(f"restart {since}", update_timeline(full, _window(fixes, since),
                                                           since=since), full)
    return out


def short_stops(full) -> list:
    """The indices of the rebuild's short stops (stay_min_s to transfer_max_s: a change
    between two buses, a connection at the gate, an arrival airport's first) followed by
    another stay."""
    from carbon.params import DEFAULT_PARAMS as P
    stays = full.stays
    return [i for i in range(len(stays) - 1)
            if P.stay_min_s <= stays[i].duration_s <= P.transfer_max_s]


def stop_order(fixes: list, full, k: int) -> list:
    """Batches of 50 in time order, the fixes from two minutes after the stay that follows
    the short stop k (``short_stops``) to 25 minutes on held back six hours: the window
    restarts at or before that short stop."""
    stays = full.stays
    lo, hi = stays[k + 1].end_ts + 120, stays[k + 1].end_ts + 1500
    held = [f for f in fixes if lo <= f.ts < hi]
    rest = [f for f in fixes if not lo <= f.ts < hi]
    cut = next((i for i, f in enumerate(rest) if f.ts >= hi + 6 * 3600), len(rest))
    return [rest[i:i + 50] for i in range(0, cut, 50)] + [held] * bool(held) + \
        [rest[i:i + 50] for i in range(cut, len(rest), 50)]


def compare(label: str, tl, full) -> list:
    return _differ(label, shape(tl), shape(full))


def stored(conn, member_id: int) -> list:
    """The member's stored trips as `shape` reads a timeline's."""
    out = {}
    for r in conn.execute(
            "SELECT t.start_ts, t.end_ts, l.detected_mode, l.detected_confidence, l.probs FROM "
            "trips t JOIN legs l ON l.trip_id = t.id WHERE t.member_id = ? "
            "ORDER BY t.start_ts, l.seq", (member_id,)):
        probs = json.loads(r[4]) if r[4] else {}
        out.setdefault((r[0], r[1]), []).append(
            (r[2], round(r[3], 3), tuple(sorted((m, round(p, 3)) for m, p in probs.items()))))
    return [(a, b, legs) for (a, b), legs in out.items()]


def gateway_late(fixes: list, rng: random.Random, order=None, label: str = "gateway") -> list:
    """The late batches (`order`, default late_order's) through a real store and the live
    path, then a rebuild of the same store: the differences between the two."""
    from gateway import accounts
    from gateway.store import Store, insert_fixes
    from gateway.trips import pipeline
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(os.path.join(tmp, "selfdata.db")).open()
        try:
            with store.transaction() as conn:
                member = accounts.add_member(conn, "alice", None).id
                device = accounts.add_device(conn, "alice", "phone")[0]
            for batch in (order if order is not None else late_order(fixes, rng)):
                with store.transaction() as conn:
                    insert_fixes(conn, device, batch, "owntracks-http")
                pipeline.process_new(store, member)
            live = stored(store.conn, member)
            pipeline.rebuild_member(store, member)
            full = stored(store.conn, member)
        finally:
            store.close()
    return _differ(label, live, full)


def _differ(label: str, a: list, b: list) -> list:
    out = []
    if a != b:
        for x, y in zip(a + [None] * len(b), b + [None] * len(a)):
            if x != y:
                out.append(f"{label}: live {x} rebuild {y}")
                break
        out.append(f"{label}: {len(a)} trips live, {len(b)} rebuild, "
                   f"{sum(x != y for x, y in zip(a, b))} differ")
    return out


def check(family: str, regime: str, seed: int, days: int, batch: int,
          gateway: bool = False) -> list:
    fixes = history(family, regime, seed, days)
    if gateway:
        full = build_timeline(fixes)
        out = gateway_late(fixes, random.Random(seed))
        for k in short_stops(full):     # every short stop, not only the first
            out += gateway_late(fixes, None, stop_order(fixes, full, k), f"gateway-stop{k}")
        return out
    full = build_timeline(fixes)
    out = restarts(fixes, full)
    tl, _ = fix_by_fix(fixes, batch if regime == "1s" else 1)
    out += compare("fixes", tl, full)
    out += compare("late", late_batches(fixes, random.Random(seed)), full)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families")
    ap.add_argument("--regimes")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--batch", type=int, default=30)
    ap.add_argument("--gateway", action="store_true",
                    help="the late batches through a real store and pipeline.process_new")
    args = ap.parse_args(argv)
    families = args.families.split(",") if args.families else list(FAMILIES) + list(PARITY_DAYS)
    regimes = args.regimes.split(",") if args.regimes else list(REGIMES)
    bad = total = 0
    for family in families:
        for regime in regimes:
            for seed in range(args.seeds):
                total += 1
                diffs = check(family, regime, seed, args.days, args.batch, args.gateway)
                bad += bool(diffs)
                for d in diffs:
                    print(f"{family:16s} {regime:11s} {seed}  {d}", flush=True)
    print(f"{bad} of {total} histories diverge")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
