"""A phone's queue arriving hours late, through the gateway (a real SQLite store, fixes
stored as ingest stores them, then process_new): the store ends with the trips, legs, modes
and probabilities a rebuild stores (docs/engine.md, "Incremental processing (contract)").
The window a late batch recomputes starts where carbon.timeline.recompute_from starts, from
the belief kept with that stay (stays.parked), and runs on past its last stay when the
vehicles there came out otherwise. bench/live_parity.py --gateway is the sweep."""
from __future__ import annotations

import os
import random
import sys

import pytest

from gateway.trips import pipeline

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))
import live_parity  # noqa: E402


def _feed_late(box, fixes, seed):
    alice = box.ids["alice"]
    batches = live_parity.late_order(fixes, random.Random(seed))
    assert any(b[0].ts < max(f.ts for a in batches[:k] for f in a)
               for k, b in enumerate(batches) if k)          # some do arrive late
    for batch in batches:
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    return live_parity.stored(box.store.conn, alice)


@pytest.mark.parametrize("family, regime, seed", [
    ("ferry", "dense", 0),       # before: metro 0.589 live, 0.583 rebuilt
    ("bike", "sparse", 1),       # before: 3 of 7 trips with other probabilities
])
def test_late_batches_store_what_a_rebuild_stores(box, family, regime, seed):
    fixes = live_parity.history(family, regime, seed, 3)
    live = _feed_late(box, fixes, seed)
    assert len(live) > 3
    pipeline.rebuild_member(box.store, box.ids["alice"])
    assert live == live_parity.stored(box.store.conn, box.ids["alice"])


def test_each_stay_a_late_batch_may_restart_from_keeps_its_belief(box):
    fixes = live_parity.history("ferry", "dense", 0, 3)
    _feed_late(box, fixes, 0)
    rows = box.store.conn.execute(
        "SELECT start_ts, end_ts, parked FROM stays WHERE member_id = ?",
        (box.ids["alice"],)).fetchall()
    long = [r for r in rows if r[1] - r[0] >= pipeline.STAY_MIN_S]
    assert long and all(r[2] and f'"at":{r[0]},' in r[2] for r in long)
    # the vehicles the ferry day left somewhere are in them
    assert any('"bike":[[' in r[2] or '"car":[[' in r[2] for r in long)


def test_a_late_window_starts_where_the_engine_restarts(box):
    # one rule (carbon.timeline.restart_stay) over the timeline and over the stored stays
    from carbon.timeline import build_timeline, recompute_from
    fixes = live_parity.history("ferry", "dense", 0, 3)
    alice = box.ids["alice"]
    box.add("alice", fixes)
    pipeline.rebuild_member(box.store, alice)
    tl = build_timeline(fixes)
    conn = box.store.conn
    resume = pipeline._resume_point(conn, alice, pipeline._state(conn, alice))
    assert resume == tl.resume_ts is not None
    probes = [f.ts for f in fixes[::50]]
    sinces = [pipeline._window(conn, alice, ts, ts, resume)[0] for ts in probes]
    assert sinces == [recompute_from(tl, ts) for ts in probes]
    assert len({s for s in sinces if s is not None}) >= 2     # two stays, and rebuilds
    assert None in sinces


def test_a_store_from_before_the_beliefs_were_kept_rebuilds_where_it_has_none(box):
    # stays stored before m0014 carry no belief (parked NULL): the window must not guess
    # where the vehicles were from the trips, as the engine would not (it rebuilds)
    fixes = live_parity.history("e-bike", "significant", 0, 3)
    alice = box.ids["alice"]
    batches = live_parity.late_order(fixes, random.Random(0))
    for k, batch in enumerate(batches):
        if k == len(batches) // 2:
            with box.store.transaction() as conn:
                conn.execute("UPDATE stays SET parked = NULL")
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    live = live_parity.stored(box.store.conn, alice)
    pipeline.rebuild_member(box.store, alice)
    assert live == live_parity.stored(box.store.conn, alice)
