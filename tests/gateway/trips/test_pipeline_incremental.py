"""The live path gives the same stored trips as a rebuild, whatever the arrival order, and a
late batch only recomputes the window it falls into."""
from __future__ import annotations

import random

from gateway.trips import pipeline

from pipeline_helpers import day_batches, points


def test_day_by_day_arrivals_store_the_same_trips_as_a_rebuild(box):
    alice = box.ids["alice"]
    for batch in day_batches(points("alice")):
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    live, live_stays = box.trips("alice"), box.stays("alice")
    assert len(live) > 30
    pipeline.rebuild_member(box.store, alice)
    assert box.trips("alice") == live
    assert box.stays("alice") == live_stays


def test_shuffled_and_repeated_arrivals_give_the_same_trips_as_ordered_ones(box, tmp_path):
    from pipeline_helpers import Box
    ordered = Box(tmp_path / "ordered.db")
    ordered.add("bob", points("bob"))
    pipeline.rebuild_member(ordered.store, ordered.ids["bob"])
    expected = ordered.trips("bob")
    assert len(expected) > 20

    pts = list(points("bob"))
    rng = random.Random(3)
    # A phone's queue: batches of a few hours, sent out of order, some of them twice.
    batches = [pts[i:i + 40] for i in range(0, len(pts), 40)]
    rng.shuffle(batches)
    batches += rng.sample(batches, 10)
    bob = box.ids["bob"]
    for batch in batches:
        box.add("bob", batch)
        pipeline.process_new(box.store, bob)
    assert box.trips("bob") == expected
    ordered.store.close()


def test_a_late_batch_recomputes_its_window_and_leaves_other_trips_alone(box):
    alice = box.ids["alice"]
    pts = points("alice")
    day = 86400
    t0 = pts[0].ts
    # Day 4 (a Thursday: commute, market walks) arrives a week late.
    late = [p for p in pts if t0 + 3 * day <= p.ts < t0 + 4 * day]
    rest = [p for p in pts if not t0 + 3 * day <= p.ts < t0 + 4 * day]
    for batch in day_batches(rest):
        box.add("alice", batch)
        pipeline.process_new(box.store, alice)
    before = box.trip_rows("alice")
    box.add("alice", late)
    assert pipeline.process_new(box.store, alice) == len(late)
    after = box.trip_rows("alice")

    in_window = {i: r for i, r in after.items() if t0 + 3 * day - 6 * 3600 <= r[0] < t0 + 4 * day + 6 * 3600}
    outside_before = {i: r for i, r in before.items() if not t0 + 2 * day <= r[0] < t0 + 5 * day}
    # Trips well away from the late day kept their rows (same ids, same content) ...
    assert outside_before and all(after.get(i) == r for i, r in outside_before.items())
    # ... the late day now has its trips ...
    assert len(in_window) >= 4
    # ... and the whole is what a rebuild gives.
    live = box.trips("alice")
    pipeline.rebuild_member(box.store, alice)
    assert box.trips("alice") == live


def test_a_rebuild_that_finds_the_same_trips_rewrites_nothing(box):
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, box.ids["bob"])
    rows = box.trip_rows("bob")
    changes = box.store.conn.total_changes
    pipeline.rebuild_member(box.store, box.ids["bob"])
    assert box.trip_rows("bob") == rows
    # Only the bookkeeping row is written again (the SD card's sake).
    assert box.store.conn.total_changes - changes <= 3


def test_nothing_new_is_a_no_op(box):
    box.add("bob", points("bob", 14)[:500])
    bob = box.ids["bob"]
    assert pipeline.process_new(box.store, bob) == 500
    assert pipeline.process_new(box.store, bob) == 0
