"""The processing pipeline: a member's stored fixes through the trip engine into tables.

Incremental contract (carbon/timeline.py), as the gateway applies it:

* new fixes (`process_new`) recompute from `resume_ts`, the start of the member's last
  closed long stay, to the end: the open end of the timeline;
* a batch that falls earlier (`process_range`, a phone's queue arriving late, an import,
  an erasure) recomputes the window it falls into: from where carbon.timeline.restart_stay
  restarts (the one rule recompute_from applies too: the stay before the last stay starting
  at or before its first fix, both lasting stay_min_s) to the first long stay that starts
  after its last fix; rows outside that window are not touched. If the window's last stay, or the belief of where the vehicles
  are there, comes out differently (the batch changed it), the recomputation runs on to
  the end;
* `rebuild_member` recomputes everything from the first stored fix (rows older than that,
  whose fixes retention deleted, are kept).

Where the member's vehicles are at the resume point (carbon.vehicles) is the engine's own
output (`Timeline.parked`), kept with `resume_ts` in pipeline_state: the next run, and the
next month of a rebuild, decide the trips after it from the same belief a rebuild from the
first fix has there, so the live path stores the rebuild's modes and confidences. The belief
at every stay a late batch may restart from is kept with that stay (stays.parked, m0014).
Without one (a leg corrected before the point since, a store older than m0013 / m0014, a
forced cut) it is read back from the stored trips (`rows.parked_before`).

Fixes are read a month at a time and only the fixes after the latest resume point are
carried over, so memory stays bounded by about a month of one member's fixes. Each month
is written in one transaction (a long rebuild never holds the write lock for long: the
phones' ingest goes on). What the member decided (corrections, place names, vehicle) is
applied after detection each time, so it survives every rebuild.
"""
from __future__ import annotations

import hashlib
import json
import logging
import operator
import threading
import time
from bisect import bisect_left
from dataclasses import dataclass, replace
from itertools import starmap

from carbon import DEFAULT_PARAMS, vehicles
from carbon.factors import CURRENT_VERSION
from carbon.model import Timeline
from carbon.places import find_places
from carbon.fix import Fix
from carbon.timeline import (CONTEXT_S, belief_at, build_timeline, restart_stay,
                             update_timeline)
from carbon.transfers import landed_before

from . import context as member_context
from .rows import HI, LO, detected_of, load_stays, load_trips, parked_before, write_range

log = logging.getLogger(__name__)

MONTH_S = 31 * 86400
LONG_STAY_S = DEFAULT_PARAMS.transfer_max_s     # a stay longer than this is a safe cut
# a stay whose belief is kept (stays.parked): a late batch restarts from one longer than
# LONG_STAY_S (carbon.timeline.restart_stay)
STAY_MIN_S = DEFAULT_PARAMS.stay_min_s
# pipeline_state outcome: the window stopped at a stay whose belief came out as stored, so
# the trips after it, and the belief kept with the resume point, hold
KEEP = object()
# Fixes carried from one month to the next while no long stay closes the timeline (a
# tracker that never rests, a trace with no nights at home): past this, a cut is forced so
# memory stays bounded on a Pi Zero (about 100 bytes a point) and each month is not
# detected again with all the ones before it (people rest 20 minutes well within a week
# of fixes; only degenerate histories reach this).
MAX_CARRY = 20_000

_locks: dict = {}
_locks_guard = threading.Lock()


def member_lock(store, member_id: int) -> threading.Lock:
    """One computation per member at a time in this process (live path, CLI, importer)."""
    with _locks_guard:
        return _locks.setdefault((str(store.path), member_id), threading.Lock())


# ----- state

def _state(conn, member_id: int) -> dict | None:
    row = conn.execute("SELECT * FROM pipeline_state WHERE member_id = ?", (member_id,)).fetchone()
    return dict(row) if row else None


def _save_state(conn, member_id: int, **values) -> None:
    conn.execute("INSERT INTO pipeline_state (member_id, updated_ts) VALUES (?, ?) "
                 "ON CONFLICT (member_id) DO NOTHING", (member_id, int(time.time())))
    if not values:
        return
    values["updated_ts"] = int(time.time())
    conn.execute(f"UPDATE pipeline_state SET {', '.join(k + ' = ?' for k in values)} "
                 "WHERE member_id = ?", (*values.values(), member_id))


def _vehicles_json(parked, at: int | None, mc) -> str | None:
    """The engine's belief of where the member's vehicles are at the resume point `at`
    (``Timeline.parked``), for pipeline_state.parked: kept with the resume point so that the
    next run starts from what detection knew there, as a rebuild does, instead of reading
    it back from the stored trips (which are joined and decided again: other trips)."""
    if parked is None or at is None:
        return None
    # compact: the row is rewritten by every live run (~350 bytes for four spots a vehicle)
    return _belief_json(parked, at, _corrections_key(mc, at))


def _stored_vehicles(state: dict | None, since: int | None, mc):
    """The belief stored with the resume point `since`, or None (none stored, another
    point, or a leg correction before it since: then it is read back from the stored
    trips, where that correction is certain)."""
    text = state.get("parked") if state and since is not None else None
    return _vehicles_of(text, since, mc)


def _vehicles_of(text: str | None, since: int, mc):
    """The belief `_vehicles_json` wrote for the point `since`, or None (none, another point,
    or a leg correction before it since)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if data["at"] != since or data["corrections"] != _corrections_key(mc, since):
            return None
        return vehicles.Parked(tuple(map(tuple, data["car"])), tuple(map(tuple, data["bike"])))
    except (ValueError, KeyError, TypeError):
        return None


def _belief_at(conn, member_id: int, state: dict | None, since: int | None, mc):
    """Where the vehicles were at `since` as detection had it: kept with the resume point,
    else with the stay starting there (stays.parked, m0014: a late batch's window); None:
    read back from the stored trips."""
    if since is None:
        return None
    kept = _stored_vehicles(state, since, mc)
    if kept is not None:
        return kept
    row = conn.execute("SELECT parked FROM stays WHERE member_id = ? AND start_ts = ?",
                       (member_id, since)).fetchone()
    return _vehicles_of(row[0], since, mc) if row else None


def _stay_beliefs(tl: Timeline, stays: list, mc) -> list:
    """[(the belief JSON, start_ts)] of the stays lasting STAY_MIN_S or more: where a late
    batch may restart (stays.parked). The key of the corrections before each is computed
    once per number of corrections before it (a rebuild stores thousands of stays)."""
    keys: dict = {}
    starts = sorted(c.start_ts for c in vehicles.leg_corrections(mc.detect.certain))
    out = []
    for s in stays:
        if s.duration_s < STAY_MIN_S:
            continue
        parked = belief_at(tl, s.start_ts)
        if parked is None:
            continue
        n = bisect_left(starts, s.start_ts)
        if n not in keys:
            keys[n] = _corrections_key(mc, s.start_ts)
        out.append((_belief_json(parked, s.start_ts, keys[n]), s.start_ts))
    return out


def _belief_json(parked, at: int, key: str) -> str:
    return json.dumps({"at": at, "corrections": key, "car": parked.car, "bike": parked.bike},
                      separators=(",", ":"))


def _corrections_key(mc, at: int) -> str:
    """What the member's leg corrections before `at` were when the belief was computed."""
    seen = [(c.start_ts, c.end_ts, c.value, c.created_ts)
            for c in vehicles.leg_corrections(mc.detect.certain) if c.start_ts < at]
    return hashlib.sha256(repr(seen).encode()).hexdigest()[:16]


def _resume_point(conn, member_id: int, state: dict | None) -> int | None:
    """The stored resume_ts if its stay is still there; else the last long stay a trip
    left (an erasure may have removed the one recorded); None: rebuild. A stored None is
    the engine's answer (no stay closed early enough, or a trip before every one still open,
    carbon.silence), not a stay gone: the last long stay a trip left may be after that trip."""
    if not state or state["resume_ts"] is None:
        return None
    if conn.execute("SELECT 1 FROM stays WHERE member_id = ? AND start_ts = ?",
                    (member_id, state["resume_ts"])).fetchone():
        return state["resume_ts"]
    row = conn.execute(
        "SELECT max(s.start_ts) FROM stays s WHERE s.member_id = ? AND s.end_ts - s.start_ts > ? "
        "AND EXISTS (SELECT 1 FROM trips t WHERE t.member_id = s.member_id "
        "AND t.start_ts >= s.end_ts)", (member_id, LONG_STAY_S)).fetchone()
    return row[0] if state and row else None


def _window(conn, member_id: int, lo_ts: int, hi_ts: int, resume: int | None,
            late: bool = True):
    """(since, until) for fixes in [lo_ts, hi_ts]. New fixes after every fix computed before
    (not `late`) and after the resume point: since = the resume point, until None. Else
    since = carbon.timeline.restart_stay over the stored stays, the engine's own restart
    rule (None: from the first fix; the gateway keeps every such stay's belief in
    stays.parked, so none is forgotten, except a stay stored before m0014, whose NULL
    says rebuild); until = (start, end) of the first long stay starting after hi_ts, at or
    before the resume point (None: to the end)."""
    if resume is None:
        return None, None
    if lo_ts >= resume and not late:
        return resume, None
    since = restart_stay(lambda bound, n: _last_starts(conn, member_id, bound, n), lo_ts, resume)
    if since is not None and since != resume and _unparked(conn, member_id, since):
        since = None    # where the vehicles were then was never stored: rebuild, not guess
    row = conn.execute(
        "SELECT start_ts, end_ts FROM stays WHERE member_id = ? AND start_ts > ? AND "
        "end_ts - start_ts > ? AND start_ts <= ? ORDER BY start_ts LIMIT 1",
        (member_id, hi_ts, LONG_STAY_S, resume)).fetchone()
    return since, (tuple(row) if row else None)


def _unparked(conn, member_id: int, start_ts: int) -> bool:
    """Whether the stored stay starting at start_ts has no belief of the vehicles: a stay
    stored before m0014 (``stays.parked`` NULL until the member's next rebuild), where the
    engine's rule (a forgotten belief) says rebuild."""
    row = conn.execute("SELECT parked IS NULL FROM stays WHERE member_id = ? AND start_ts = ?",
                       (member_id, start_ts)).fetchone()
    return bool(row and row[0])


def _last_starts(conn, member_id: int, bound: int, n: int) -> list:
    """The starts, in time order, of the member's last n stored stays longer than
    LONG_STAY_S that start at or before bound (``restart_stay``'s question of the store)."""
    rows = conn.execute(
        "SELECT start_ts FROM stays WHERE member_id = ? AND start_ts <= ? AND "
        "end_ts - start_ts > ? ORDER BY start_ts DESC LIMIT ?",
        (member_id, bound, LONG_STAY_S, n)).fetchall()
    return [r[0] for r in reversed(rows)]


# ----- reading fixes

def _points(conn, member_id: int, lo: int, hi: int) -> list:
    # Plain tuples straight into Fix's fields (ts lat lon acc alt vel cog batt activity):
    # a month of fixes is read this way for every month of every rebuild. The altitude
    # tells a descent (carbon.features._gravity), the rest is for exports.
    cur = conn.cursor()
    cur.row_factory = None
    return list(starmap(Fix, cur.execute(
        "SELECT ts, lat, lon, acc, alt, vel, NULL, NULL, activity FROM fixes WHERE "
        "member_id = ? AND ts >= ? AND ts < ? ORDER BY ts", (member_id, lo, hi))))


def _months(conn, member_id: int, lo: int, hi: int):
    """The member's fixes in [lo, hi) a month at a time (empty months skipped)."""
    row = conn.execute("SELECT min(ts), max(ts) FROM fixes WHERE member_id = ? AND ts >= ? AND "
                       "ts < ?", (member_id, lo, hi)).fetchone()
    if row[0] is None:
        return
    t, last = row
    while t <= last:
        chunk = _points(conn, member_id, t, min(t + MONTH_S, hi))
        if chunk:
            yield chunk
        t += MONTH_S


def _following(conn, member_id: int, lo: int, hi: int, feed):
    """``_months`` while an import is still storing fixes in time order (``follow.py``):
    the same months from the same first fix, each read once every fix before its end is
    committed (``feed.reached(ts)``; False once the import ended: then every fix is there).
    The first fix is final when this starts (``_settle_first``)."""
    row = conn.execute("SELECT min(ts) FROM fixes WHERE member_id = ? AND ts >= ? AND ts < ?",
                       (member_id, lo, hi)).fetchone()
    if row[0] is None:
        return
    t, last = row[0], None
    while last is None or t <= last:
        end = min(t + MONTH_S, hi)
        if last is None and not feed.reached(end):
            last = conn.execute("SELECT max(ts) FROM fixes WHERE member_id = ? AND ts >= ? AND "
                                "ts < ?", (member_id, lo, hi)).fetchone()[0]
            continue
        chunk = _points(conn, member_id, t, end)
        if chunk:
            yield chunk
        t += MONTH_S


def _count(conn, member_id: int, lo: int, hi: int) -> int:
    return conn.execute("SELECT count(*) FROM fixes WHERE member_id = ? AND ts >= ? AND ts < ?",
                        (member_id, lo, hi)).fetchone()[0]


# ----- detection and storing

def _detect(window: list, since: int | None, mc, parked=None, earlier=(),
            landed: bool = False) -> Timeline:
    """`parked`: where the member's car and bike were left before `since` (carbon.vehicles:
    the engine's own belief there, ``Timeline.parked``, kept from the run that found
    `since`, else read back from the trips stored before it). `earlier`: the stay before
    `since`, which the first trip after it may have left (carbon.vehicles.left). `landed`:
    the member still at an arrival airport at `since` (``_landed_at``)."""
    if since is None:
        return build_timeline(window, DEFAULT_PARAMS, mc.detect)
    detect = replace(mc.detect, parked=parked)
    return update_timeline(Timeline(list(earlier), [], since), window, DEFAULT_PARAMS, detect,
                           since=since, landed=landed)


def _landed_at(conn, member_id: int, since: int | None) -> bool:
    """carbon.transfers.landed_before over the stored stays and trips before `since`, with
    the modes detection gave them (a rebuild's join_transfers reads those, not the member's
    corrections): from the last stay longer than a connection before it, where the answer
    is settled (a restart may fall on an arrival airport's first stop: carbon.transfers)."""
    if since is None:
        return False
    row = conn.execute("SELECT max(start_ts) FROM stays WHERE member_id = ? AND start_ts < ? "
                       "AND end_ts - start_ts > ?", (member_id, since, LONG_STAY_S)).fetchone()
    lo = LO if row[0] is None else row[0]
    trips, detected, _ = load_trips(conn, member_id, lo, since)
    trips = [replace(t, legs=[replace(g, mode=m) for g, (m, _c) in zip(t.legs, modes)])
             for t, modes in zip(trips, detected)]
    return landed_before(load_stays(conn, member_id, lo, since), trips, since)


def _stay_before(conn, member_id: int, ts: int | None) -> list:
    """[the stored stay starting last before ts], or []."""
    if ts is None:
        return []
    row = conn.execute("SELECT max(start_ts) FROM stays WHERE member_id = ? AND start_ts < ?",
                       (member_id, ts)).fetchone()
    return [] if row[0] is None else load_stays(conn, member_id, row[0], row[0] + 1)[:1]


def _store(store, member_id: int, lo: int, hi: int, tl: Timeline, mc,
           state: dict | None = None, hold: "Hold | None" = None) -> bool:
    """Write the part of tl starting in [lo, hi) in one transaction, context applied;
    with ``state``, the member's pipeline_state in the same commit (the live path: one
    commit and one fsync per run instead of two; the cursor and the rows it covers are
    then stored together or not at all). With ``hold``, a run whose only change is the
    stay or trip in progress growing is rolled back instead (nothing reaches the WAL),
    state included, so the next run computes those fixes again. Returns False then."""
    stays = [s for s in tl.stays if lo <= s.start_ts < hi]
    trips = [t for t in tl.trips if lo <= t.start_ts < hi]
    beliefs = _stay_beliefs(tl, stays, mc)
    stays, trips = member_context.shape(stays, trips, mc)
    detected = detected_of(trips)
    member_context.finish(stays, trips, mc)
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        changes = write_range(conn, member_id, lo, hi, stays, trips, detected)
        if hold is not None and hold.allows(changes, state):
            conn.execute("ROLLBACK")
            return False
        # a column outside every index, written only where it changed (the SD card's wear)
        conn.executemany("UPDATE stays SET parked = ? WHERE member_id = ? AND start_ts = ? "
                         "AND parked IS NOT ?", [(b, member_id, ts, b) for b, ts in beliefs])
        if state is not None:
            _save_state(conn, member_id, **state)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True


@dataclass(frozen=True)
class Hold:
    """How long the live path may leave the stored stay or trip in progress behind its
    fixes (`[pipeline] progress_every_s`; docs/operations.md, "Wear"). A run that only
    makes it longer is not written until ``hold_s`` after the member's last write;
    anything else (a trip that ended, a new stay or leg, a mode or purpose that changed,
    a new resume point) is written by the run that finds it."""

    written: float          # the member's state last written (epoch s)
    hold_s: float
    resume_ts: int | None

    def allows(self, changes: dict, state: dict | None) -> bool:
        only_grown = (changes["inserted"] == changes["deleted"] == 0
                      and changes["updated"] == changes["grown"])
        same_resume = state is None or state.get("resume_ts", self.resume_ts) == self.resume_ts
        # a last write "in the future" (the clock set back since) holds nothing
        return only_grown and same_resume and 0 <= time.time() - self.written < self.hold_s


def _recompute(store, member_id: int, since, until, mc, progress=None,
               last_fix_id: int | None = None, hold: Hold | None = None,
               months=_months, parked=None) -> tuple:
    """Detect and store from `since` (a long stay's start; None: the first fix) up to the
    long stay starting at until[0] (None: the end). `parked`: the engine's belief of where
    the vehicles were at `since` (None: read back from the stored trips). Returns
    (resume_ts, to_the_end, vehicles, held): the new resume point, and the belief there
    (pipeline_state.parked), are only known when the recomputation ran to the end. With
    ``last_fix_id``, the state that outcome makes is saved in the last write's commit,
    unless ``hold`` held that write back (held: True)."""
    def state_of(outcome: tuple) -> dict | None:
        return None if last_fix_id is None else _state_values(outcome, last_fix_id)

    conn = store.conn
    written = _rebuild_floor(conn, member_id) if since is None else since  # rows before: final
    tl, written, last_since, last_parked = _through_months(
        store, member_id, since, until, mc, progress, months, parked, written)
    if tl is None:          # no fixes left in the range (an erasure): nothing derived either
        outcome = None, until is None, None
        _store(store, member_id, written, HI if until is None else until[0], Timeline(), mc,
               state_of(outcome))
        return (*outcome, False)
    if until is None:
        outcome = tl.resume_ts, True, _vehicles_json(tl.parked, tl.resume_ts, mc)
        stored = _store(store, member_id, written, HI, tl, mc, state_of(outcome), hold)
        return (*outcome, not stored)
    if _window_holds(conn, member_id, tl, written, until[0], mc):
        # the trips after the window were decided from the belief it ends with, as a rebuild
        # decides them: they hold, and so does the belief kept with the resume point
        outcome = None, False, KEEP
        _store(store, member_id, written, until[0], tl, mc, state_of(outcome))
        return (*outcome, False)
    log.info("member %d: the window ending at %d changed its last stay, the vehicles there or "
             "left a trip open; recomputing to the end", member_id, until[0])
    return _recompute(store, member_id, last_since, None, mc, progress, last_fix_id, hold,
                      months, last_parked)


def _through_months(store, member_id: int, since, until, mc, progress, months, parked,
                    written: int) -> tuple:
    """Detect month by month from `since`, each month from where the last one's cut left
    it, and store what each settles (``_store_settled``). Returns (the last month's
    timeline, None when no fix is left; where the rows are written to; where the last
    month's detection started and the belief it started from: a window that does not
    hold runs on to the end from there)."""
    conn = store.conn
    first = LO if since is None else since - CONTEXT_S
    last = HI if until is None else until[1] + CONTEXT_S
    total, done = _count(conn, member_id, first, last), 0
    resume, carry, tl, chunk_since, chunk_parked = since, [], None, since, parked
    earlier = None          # the stay before `resume` (read from the store the first time)
    landed = _landed_at(conn, member_id, since)
    for chunk in months(conn, member_id, first, last):
        window = carry + chunk
        done += len(chunk)
        chunk_since = resume
        if resume is not None and parked is None:
            parked = parked_before(conn, member_id, resume)
        chunk_parked = parked
        if earlier is None:
            earlier = _stay_before(conn, member_id, resume)
        tl = _detect(window, resume, mc, parked, earlier, landed)
        cut, parked = _month_cut(tl, window, member_id)
        written = _store_settled(store, member_id, written, cut, until, tl, mc)
        if cut is not None:
            resume, earlier = cut, [s for s in tl.stays if s.start_ts < cut][-1:]
            landed = landed_before(tl.stays, tl.trips, cut)   # False at a long stay
            carry = window[_from(window, resume - CONTEXT_S):]
        else:
            carry = window
        if progress:
            progress(done, total)
    return tl, written, chunk_since, chunk_parked


def _month_cut(tl: Timeline, window: list, member_id: int) -> tuple:
    """(where the next month starts, the belief detection had there): the timeline's resume
    point, or a forced cut when too many fixes would be carried (inside the movement: no
    belief, read back)."""
    if _carried(window, tl.resume_ts) <= MAX_CARRY:
        return tl.resume_ts, tl.parked
    cut = _forced_cut(tl, window)
    log.warning("member %d: %d fixes since the last long stay; cutting the timeline at %d "
                "to bound memory", member_id, len(window), cut)
    return cut, None


def _store_settled(store, member_id: int, written: int, cut, until, tl: Timeline, mc) -> int:
    """Store the rows from `written` to the month's cut (to the window's end at most): what
    no later month changes. Returns where the stored rows reach now."""
    final = cut if cut is not None else written
    if until is not None:
        final = min(final, until[0])
    if final > written:
        _store(store, member_id, written, final, tl, mc)
        return final
    return written


def _window_holds(conn, member_id: int, tl: Timeline, written: int, end: int, mc) -> bool:
    """Whether the window ends as stored: its last stay still starts at `end`, no trip
    before it waits for fixes after the window (a silence read as a flight, carbon.silence)
    and the belief of the vehicles there came out as stored. Else the batch changed what
    the trips after it were decided from: the caller carries on to the end."""
    held = tl.open_ts is not None and tl.open_ts < end
    return not held and (any(s.start_ts == end for s in tl.stays) or written == end) \
        and _same_belief(conn, member_id, tl, end, mc)


def _same_belief(conn, member_id: int, tl: Timeline, at: int, mc) -> bool:
    """Whether the belief at the stay starting at `at` comes out of `tl` as it is stored
    (stays.parked; a stay stored without one, before m0014, is not known: False)."""
    row = conn.execute("SELECT parked FROM stays WHERE member_id = ? AND start_ts = ?",
                       (member_id, at)).fetchone()
    parked = belief_at(tl, at)
    return bool(row and row[0] and parked is not None) and \
        row[0] == _belief_json(parked, at, _corrections_key(mc, at))


def _forced_cut(tl, window) -> int:
    """Where to cut a timeline that no long stay closes early enough: at the first stay
    among the last MAX_CARRY/2 fixes (a short stop is still a place where nothing moves),
    else right there."""
    limit = window[-(MAX_CARRY // 2)].ts
    later = [s.start_ts for s in tl.stays if s.start_ts >= limit]
    return later[0] if later else limit


def _carried(window, cut) -> int:
    """How many fixes the next month would carry from this window."""
    if cut is None:
        return len(window)
    return len(window) - _from(window, cut - CONTEXT_S)


_TS = operator.attrgetter("ts")


def _from(window: list, ts: int) -> int:
    """Index of the window's first fix at or after ts. A window is in time order: the
    fixes carried (a suffix of the last one) then a month read ``ORDER BY ts``, all later
    than them; so the fixes from ts on are a suffix, found by bisection (these ran a
    comparison a fix, over every window, twice a month)."""
    return bisect_left(window, ts, key=_TS)


def _rebuild_floor(conn, member_id: int) -> int:
    """Where a rebuild starts replacing rows: after every stay and trip that ended before the
    first stored fix (retention deleted their fixes; they are the member's summary, kept)."""
    first = conn.execute("SELECT min(ts) FROM fixes WHERE member_id = ?", (member_id,)).fetchone()[0]
    if first is None:
        return LO
    ends = [conn.execute(f"SELECT max(end_ts) FROM {t} WHERE member_id = ? AND end_ts < ?",
                         (member_id, first)).fetchone()[0] for t in ("trips", "stays")]
    ends = [e for e in ends if e is not None]
    return max(ends) + 1 if ends else LO


def _state_values(outcome: tuple, last_fix_id=None) -> dict:
    resume, to_the_end, parked = outcome
    if to_the_end:
        values = {"resume_ts": resume, "parked": parked}
    else:
        values = {} if parked is KEEP else {"parked": None}
    if last_fix_id is not None:
        values["last_fix_id"] = last_fix_id
    return values


def _after(store, member_id: int, outcome: tuple, mc, last_fix_id=None,
           force_places=False, keep_versions=True, state_saved=False) -> None:
    """Bookkeeping and the member's places once detection is stored (``state_saved``: the
    state went with the last write already)."""
    if not state_saved:
        with store.transaction() as conn:
            _save_state(conn, member_id, **_state_values(outcome, last_fix_id))
    refresh_places(store, member_id, mc, force=force_places, keep_versions=keep_versions)


# ----- public entry points

def rebuild_member(store, member_id: int, progress=None) -> dict:
    """Recompute a member's whole history from their fixes (and their corrections). Every
    leg is priced with the current factor table afterwards, even those whose fixes are
    gone; the counts say how many moved from an older table ("factor_table")."""
    with member_lock(store, member_id):
        return _rebuild(store, member_id, progress)


def _rebuild(store, member_id: int, progress=None) -> dict:
    conn = store.conn
    max_id = _max_fix_id(conn)
    older = _older_versions(conn, member_id)
    with store.transaction() as c:
        _save_state(c, member_id)
    mc = member_context.load(store, member_id)
    outcome = _recompute(store, member_id, None, None, mc, progress)[:3]
    result = _finish_rebuild(store, member_id, outcome, mc, max_id, older)
    if older:
        log.info("member %d: %d legs moved to factor table %s (from %s)", member_id,
                 sum(older.values()), CURRENT_VERSION,
                 ", ".join(f"{v}: {n}" for v, n in sorted(older.items())))
    return result


def can_follow(conn, member_id: int) -> bool:
    """Whether an import's trip phase may run beside its storing (``follow.py``): only
    when the member has nothing computed yet, where ``process_range`` rebuilds from the
    first fix (a window inside stored stays would depend on where the import starts)."""
    return _state(conn, member_id) is None


def follow_import(store, member_id: int, feed, progress=None) -> dict:
    """``process_range`` of a member with nothing computed yet (``_rebuild``), run while
    the import is still storing in time order: the same months, detected and written in
    the same order, so the same rows with the same ids. The state is saved only with the
    run's end: an import stopped part-way leaves none, and the next run rebuilds."""
    with member_lock(store, member_id):
        conn = store.conn
        _settle_first(conn, member_id, feed)
        older = _older_versions(conn, member_id)
        mc = member_context.load(store, member_id)
        months = lambda c, m, lo, hi: _following(c, m, lo, hi, feed)  # noqa: E731
        # The fixes seen are those committed when the import ended, before the last months
        # were read: a live fix committed while they were being computed stays unseen (the
        # next run computes it), as ``_rebuild`` reads its ``max_id`` before it starts.
        feed.on_end = lambda: _max_fix_id(conn)
        # The months are committed without an fsync each, as the import's batches are
        # (synchronous NORMAL: atomic and in order, none lost if this process dies), and
        # leave the WAL's checkpoints (two fsyncs each) to the importing process, which
        # commits several times a second meanwhile: this process is the import's longest
        # chain of work. The state is saved only after them, in a FULL commit whose fsync
        # of the WAL puts every month before it on the card; a power cut before that
        # leaves no state, and the next run rebuilds the member from their fixes, as after
        # a kill.
        checkpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        _synchronous(conn, "NORMAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            outcome = _recompute(store, member_id, None, None, mc, progress, months=months)[:3]
        finally:
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")
            _synchronous(conn, "FULL")
        max_id = feed.at_end if feed.at_end is not None else _max_fix_id(conn)
        return _finish_rebuild(store, member_id, outcome, mc, max_id, older)


def _synchronous(conn, level: str) -> None:
    """SQLite refuses to change it inside a transaction (never open between months)."""
    if not conn.in_transaction:
        conn.execute(f"PRAGMA synchronous = {level}")


def _max_fix_id(conn) -> int:
    return conn.execute("SELECT max(id) FROM fixes").fetchone()[0] or 0


def _finish_rebuild(store, member_id: int, outcome: tuple, mc, max_id: int, older: dict) -> dict:
    """Places, corrections and the current factor table applied to every stored trip,
    once; the member's counts and the factor table's move."""
    _after(store, member_id, outcome, mc, max_id, force_places=True, keep_versions=False)
    result = counts(store.conn, member_id)
    result["factor_table"] = {"version": CURRENT_VERSION, "moved": sum(older.values()),
                              "from": older}
    return result


def _settle_first(conn, member_id: int, feed) -> None:
    """Wait until the member's first fix is final (every fix before it committed, or the
    import ended): the months' grid, and where the rebuild starts, begin there."""
    while True:
        first = conn.execute("SELECT min(ts) FROM fixes WHERE member_id = ?",
                             (member_id,)).fetchone()[0]
        if first is None or not feed.reached(first):
            return
        if conn.execute("SELECT min(ts) FROM fixes WHERE member_id = ?",
                        (member_id,)).fetchone()[0] == first:
            return


def _older_versions(conn, member_id: int) -> dict:
    """{factor table version: legs} of the member's legs priced with another table."""
    return dict(conn.execute(
        "SELECT factor_version, count(*) FROM legs WHERE member_id = ? AND factor_version "
        "IS NOT NULL AND factor_version != ? GROUP BY factor_version",
        (member_id, CURRENT_VERSION)).fetchall())


def process_range(store, member_id: int, start_ts: int, end_ts: int, progress=None) -> dict:
    """Take into account fixes added (or removed) between start_ts and end_ts: recomputes the
    window they fall into. The importer and erasure call this."""
    with member_lock(store, member_id):
        conn = store.conn
        max_id = _max_fix_id(conn)
        state = _state(conn, member_id)
        if state is None:
            return _rebuild(store, member_id, progress)
        resume = _resume_point(conn, member_id, state)
        since, until = _window(conn, member_id, int(start_ts), int(end_ts), resume)
        mc = member_context.load(store, member_id)
        outcome = _recompute(store, member_id, since, until, mc, progress,
                             parked=_belief_at(conn, member_id, state, since, mc))[:3]
        # When every fix added since the live path last ran lies in this range, it need not
        # look at them again.
        outside = conn.execute("SELECT 1 FROM fixes WHERE id > ? AND id <= ? AND +member_id = ? "
                               "AND (ts < ? OR ts > ?) LIMIT 1",
                               (state["last_fix_id"], max_id, member_id, start_ts, end_ts)).fetchone()
        _after(store, member_id, outcome, mc, None if outside else max_id)
        return counts(conn, member_id)


def process_new(store, member_id: int, hold_s: float = 0) -> int:
    """The live path: take into account fixes stored since the last run (in any order:
    a phone's late queue recomputes the window it falls into). Returns how many.
    ``hold_s``: a run that would only make the stay or trip in progress longer writes
    nothing (not even its cursor) unless the member's state was last written ``hold_s``
    or more ago; the fixes stay "new" and the next run computes them again (`Hold`)."""
    with member_lock(store, member_id):
        conn = store.conn
        state = _state(conn, member_id)
        if state is None:
            n = _count(conn, member_id, LO, HI)
            if n:
                _rebuild(store, member_id)
            return n
        cursor = state["last_fix_id"]
        if _max_fix_id(conn) < cursor:
            cursor = 0        # the table was emptied (erasure): ids start again from 1
        # `+member_id` keeps SQLite on the primary key: only the new rows are visited.
        lo, hi, max_id, n = conn.execute(
            "SELECT min(ts), max(ts), max(id), count(*) FROM fixes WHERE id > ? AND "
            "+member_id = ?", (cursor, member_id)).fetchone()
        if not n:
            return 0
        resume = _resume_point(conn, member_id, state)
        # late: fixes computed before are later than some of these (a phone's queue)
        late = conn.execute("SELECT 1 FROM fixes WHERE member_id = ? AND ts > ? AND id <= ? "
                            "LIMIT 1", (member_id, lo, cursor)).fetchone() is not None
        since, until = _window(conn, member_id, lo, hi, resume, late)
        mc = member_context.load(store, member_id)
        hold = Hold(state["updated_ts"], hold_s, state["resume_ts"]) if hold_s > 0 else None
        *outcome, held = _recompute(store, member_id, since, until, mc, last_fix_id=max_id,
                                    hold=hold, parked=_belief_at(conn, member_id, state,
                                                                 since, mc))
        if not held:
            _after(store, member_id, tuple(outcome), mc, max_id, state_saved=True)
        return n


def counts(conn, member_id: int) -> dict:
    one = lambda sql: conn.execute(sql, (member_id,)).fetchone()[0]  # noqa: E731
    return {"stays": one("SELECT count(*) FROM stays WHERE member_id = ?"),
            "trips": one("SELECT count(*) FROM trips WHERE member_id = ?"),
            "legs": one("SELECT count(*) FROM legs WHERE member_id = ?"),
            "places": one("SELECT count(*) FROM places WHERE member_id = ?")}


# ----- places and the member's context applied again (no fixes needed)

def refresh_places(store, member_id: int, mc=None, force: bool = False,
                   keep_versions: bool = True) -> bool:
    """Recompute detected places from the member's stays; when home, work or the set of
    places changed, apply the context again to every stored trip (purposes follow).
    Skipped while only the open last stay grows (the live path's usual case). ``mc`` is the
    run's member context (loaded here when not given); only its places are read again."""
    conn = store.conn
    closed = tuple(conn.execute(
        "SELECT count(*), total(start_ts), total(end_ts) FROM stays WHERE member_id = ? AND "
        "start_ts < (SELECT max(start_ts) FROM stays WHERE member_id = ?)",
        (member_id, member_id)).fetchone())
    state = _state(conn, member_id) or {"places_digest": ""}
    seen = json.loads(state["places_digest"] or "{}")
    if not force and seen.get("stays") == list(closed):
        return False
    mc = mc or member_context.load(store, member_id)
    found = find_places(load_stays(conn, member_id), tz=mc.tz)
    places = sorted((p.id, p.label) for p in found)
    digest = json.dumps({"stays": list(closed), "places": places})
    changed = seen.get("places") != [list(p) for p in places]
    if changed or digest != state["places_digest"]:
        with store.transaction() as conn:
            if changed:
                conn.execute("DELETE FROM places WHERE member_id = ? AND source = 'auto'",
                             (member_id,))
                conn.executemany(
                    "INSERT INTO places (member_id, place_key, lat, lon, label, source, visits, "
                    "dwell_s) VALUES (?, ?, ?, ?, ?, 'auto', ?, ?)",
                    [(member_id, p.id, p.lat, p.lon, p.label, p.visits, p.dwell_s) for p in found])
            _save_state(conn, member_id, places_digest=digest)
    if changed:
        mc.places = member_context.effective_places(store.conn, member_id)
    if changed or force:
        reapply(store, member_id, mc, keep_versions)
    return changed


def reapply(store, member_id: int, mc=None, keep_versions: bool = True) -> None:
    """Places, corrections and footprints applied again to every stored trip, a month at a
    time, without re-reading fixes (works on trips whose fixes retention deleted). ``mc``:
    the member's context when the caller has it, else read now. Legs keep the factor table
    they were priced with unless `keep_versions` is False."""
    mc = mc or member_context.load(store, member_id)
    conn = store.conn
    row = conn.execute("SELECT min(start_ts), max(start_ts) FROM trips WHERE member_id = ?",
                       (member_id,)).fetchone()
    srow = conn.execute("SELECT min(start_ts), max(start_ts) FROM stays WHERE member_id = ?",
                        (member_id,)).fetchone()
    bounds = [v for v in (row[0], row[1], srow[0], srow[1]) if v is not None]
    if not bounds:
        return
    t, last = min(bounds), max(bounds)
    while t <= last:
        hi = t + MONTH_S
        with store.transaction() as conn:
            stays = load_stays(conn, member_id, t, hi)
            trips, detected, _ids = load_trips(conn, member_id, t, hi)
            if mc.edits:      # stored legs carry the engine's own modes: detected follows
                stays, trips = member_context.shape(stays, trips, mc)
                detected = detected_of(trips)
            member_context.finish(stays, trips, mc, keep_versions)
            write_range(conn, member_id, t, hi, stays, trips, detected)
        t = hi

