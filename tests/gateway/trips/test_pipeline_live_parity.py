"""The gateway's live path, fed a sparse phone's fixes as they come, stores every leg's mode
and confidence as a rebuild does (bench/live_parity.py is the engine's sweep)."""
from __future__ import annotations

import os
import sys

from gateway.trips import pipeline

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))
import live_parity  # noqa: E402


def _legs(box, member):
    return box.store.conn.execute(
        "SELECT l.start_ts, l.end_ts, l.mode, round(l.confidence, 3) FROM legs l JOIN trips t "
        "ON t.id = l.trip_id WHERE t.member_id = ? ORDER BY l.start_ts",
        (box.ids[member],)).fetchall()


def test_a_ride_out_of_the_resume_stay_is_stored_as_the_rebuild_decides_it(box):
    # the first trip after the resume point starts with that stay's own first fixes: it left
    # the stay before, where the bike was (pipeline._stay_before), as in the rebuild
    fixes = live_parity.history("plane", "sparse", 0, 3)
    alice = box.ids["alice"]
    for k in range(0, len(fixes), 5):
        box.add("alice", fixes[k:k + 5])
        pipeline.process_new(box.store, alice)
    live = [tuple(r) for r in _legs(box, "alice")]
    assert len(live) > 5
    pipeline.rebuild_member(box.store, alice)
    assert live == [tuple(r) for r in _legs(box, "alice")]
