"""The stay or trip in progress may lag behind its fixes (`[pipeline] progress_every_s`):
a live run that would only make it longer writes nothing, not even its cursor (the SD
card's wear: docs/operations.md, "Wear"); everything else a run finds (a trip that ended,
a new stay or leg, a mode that changed) is written at once; and once the hold is over the
rows are exactly what they are without it."""
from __future__ import annotations

import asyncio

from gateway.config import Config
from gateway.trips import pipeline
from gateway.trips.runner import PipelineRunner

from pipeline_helpers import Box, points

HOLD_S = 3600


def _shape(box: Box, member: str) -> tuple:
    """What a member sees besides lengths: stays' starts, trips' starts, legs' starts and
    modes, purposes."""
    stays = tuple(s[0] for s in box.stays(member))
    trips = tuple((t[0], t[3], tuple((g[0], g[3]) for g in t[4])) for t in box.trips(member))
    return stays, trips


def _cursor(box: Box, member: str) -> int:
    return box.store.conn.execute("SELECT last_fix_id FROM pipeline_state WHERE member_id = ?",
                                  (box.ids[member],)).fetchone()[0]


def test_only_growth_waits_and_the_rows_end_as_without_the_hold(tmp_path):
    held, live = Box(tmp_path / "held.db"), Box(tmp_path / "live.db")
    pts = points("alice")
    day = [p for p in pts if p.ts < pts[0].ts + 86400]
    alice = held.ids["alice"]
    for box in (held, live):
        box.add("alice", day[:20])
        pipeline.process_new(box.store, alice)
    waited = written = changes = 0
    shape = _shape(live, "alice")
    for i in range(20, len(day), 8):          # a phone's fixes, a few minutes at a time
        for box in (held, live):
            box.add("alice", day[i:i + 8])
        before = _cursor(held, "alice")
        pipeline.process_new(held.store, alice, HOLD_S)
        pipeline.process_new(live.store, alice)
        if _cursor(held, "alice") == before:
            waited += 1
        else:
            written += 1
        assert _shape(held, "alice") == _shape(live, "alice"), i   # never behind
        changes += _shape(live, "alice") != shape
        shape = _shape(live, "alice")
    assert waited >= 20 and written >= changes >= 3, (waited, written, changes)
    assert held.trips("alice") != live.trips("alice") or held.stays("alice") != live.stays("alice")
    # the hold over (its last write an hour and more ago): the same rows as without it
    held.store.conn.execute("UPDATE pipeline_state SET updated_ts = updated_ts - ?", (HOLD_S,))
    pipeline.process_new(held.store, alice, HOLD_S)
    assert held.trips("alice") == live.trips("alice")
    assert held.stays("alice") == live.stays("alice")
    assert _cursor(held, "alice") == _cursor(live, "alice")
    for box in (held, live):
        box.store.close()


async def test_a_phone_gone_quiet_still_gets_its_trip_written(box):
    """No fix after a held run: the runner computes the member again once the hold is over."""
    config = Config()
    config.pipeline.debounce_s, config.pipeline.progress_every_s = 0.05, 3.0
    runner = PipelineRunner(box.store, config=config)
    alice = box.ids["alice"]
    day = points("alice")[:400]
    box.add("alice", day[:300])
    await runner.start()
    await runner.idle()
    assert _cursor(box, "alice") > 0
    # a moment later, fixes that only make the trip or stay in progress longer
    box.add("alice", day[300:302])
    last = box.store.conn.execute("SELECT max(id) FROM fixes").fetchone()[0]
    runner.request([alice])
    await runner.idle()
    assert _cursor(box, "alice") < last          # held: the run wrote nothing
    await asyncio.sleep(4.5)                     # no new fix; the hold (3 s) is over
    await runner.idle()
    assert _cursor(box, "alice") == last
    await runner.stop()


def test_a_last_write_in_the_future_holds_nothing(box):
    """The clock set back after a write (a Pi without a clock, before NTP): runs write."""
    alice = box.ids["alice"]
    day = points("alice")[:300]
    box.add("alice", day[:200])
    pipeline.process_new(box.store, alice)
    box.store.conn.execute("UPDATE pipeline_state SET updated_ts = updated_ts + 86400")
    box.add("alice", day[200:202])
    last = box.store.conn.execute("SELECT max(id) FROM fixes").fetchone()[0]
    pipeline.process_new(box.store, alice, HOLD_S)
    assert _cursor(box, "alice") == last
