"""The stay or trip in progress grows in place: a live run that only extends it keeps its
row id and leaves its index entries alone (what the SD card is spared: docs/operations.md,
"Wear"), and the stored result is still exactly what a rebuild stores."""
from __future__ import annotations

from gateway.trips import pipeline

from pipeline_helpers import points


def _rows(conn, table: str, member_id: int) -> dict:
    return {r["start_ts"]: (r["id"], r["end_ts"]) for r in conn.execute(
        f"SELECT id, start_ts, end_ts FROM {table} WHERE member_id = ?", (member_id,))}


def test_a_growing_stay_and_trip_keep_their_ids_and_match_a_rebuild(box):
    alice = box.ids["alice"]
    pts = points("alice")
    day = [p for p in pts if p.ts < pts[0].ts + 86400]
    box.add("alice", day[:20])
    pipeline.process_new(box.store, alice)
    conn = box.store.conn
    kept = {"stays": 0, "trips": 0}
    before = {t: _rows(conn, t, alice) for t in kept}
    for i in range(20, len(day), 8):          # a phone's fixes, a few minutes at a time
        box.add("alice", day[i:i + 8])
        pipeline.process_new(box.store, alice)
        now = {t: _rows(conn, t, alice) for t in kept}
        for table in kept:
            for start, (row_id, end) in now[table].items():
                old = before[table].get(start)
                if old and old[0] == row_id and end > old[1]:
                    kept[table] += 1          # the same row, grown
        before = now
    assert kept["stays"] >= 10 and kept["trips"] >= 3, kept
    live_trips, live_stays = box.trips("alice"), box.stays("alice")
    assert live_trips and live_stays
    pipeline.rebuild_member(box.store, alice)
    assert box.trips("alice") == live_trips
    assert box.stays("alice") == live_stays
