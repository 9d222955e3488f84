"""The pipeline alongside the rest of the box: the demo, erasure, retention, restarts."""
from __future__ import annotations

from datetime import date

from harness import make_config
from gateway import demo
from gateway.portability import erasure
from gateway.trips import pipeline
from gateway.service import Gateway
from webui.app import make_app

from pipeline_helpers import points

DAY = 86400


async def test_the_demo_household_has_trips_as_soon_as_it_starts(tmp_path):
    config = make_config(tmp_path / "demo")
    demo.create_household(config, date(2026, 3, 23))
    gw = Gateway(config, web_app=make_app)
    await gw.start()
    try:
        await demo.after_start(gw)
        conn = gw.store.conn
        for name in ("alice", "bob"):
            n = conn.execute("SELECT count(*) FROM trips t JOIN members m ON m.id = t.member_id "
                             "WHERE m.name = ?", (name,)).fetchone()[0]
            assert n >= 30, f"{name} has {n} trips after three weeks"
        assert conn.execute("SELECT count(*) FROM legs WHERE co2_g IS NULL").fetchone()[0] == 0
    finally:
        await gw.stop()


def test_erasing_a_day_removes_its_trips_and_keeps_the_others(box):
    bob = box.ids["bob"]
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, bob)
    before = box.trip_rows("bob")
    t0 = points("bob")[0].ts
    lo, hi = t0 + 2 * DAY, t0 + 3 * DAY
    erasure.erase_range(box.store, bob, lo, hi)
    after = box.trip_rows("bob")
    assert not [r for r in after.values() if lo <= r[0] < hi]
    kept = {i: r for i, r in before.items() if r[0] < lo - DAY or r[0] >= hi + DAY}
    assert kept and all(after.get(i) == r for i, r in kept.items())


def test_trips_whose_fixes_retention_deleted_survive_a_rebuild(box):
    bob = box.ids["bob"]
    box.add("bob", points("bob"))
    pipeline.rebuild_member(box.store, bob)
    before = box.trips("bob")
    cutoff = points("bob")[0].ts + 7 * DAY
    with box.store.transaction() as conn:          # what gateway.retention.apply does
        conn.execute("DELETE FROM fixes WHERE member_id = ? AND ts < ?", (bob, cutoff))
    pipeline.rebuild_member(box.store, bob)
    after = box.trips("bob")
    old = [t for t in before if t[1] < cutoff - DAY]
    assert old and all(t in after for t in old)
    assert len(after) == len({t[0] for t in after})          # no trip twice
    assert [t for t in after if t[0] > cutoff + DAY] == [t for t in before if t[0] > cutoff + DAY]


async def test_fixes_stored_while_the_service_was_down_are_processed_at_start(household):
    from gateway import accounts
    from carbon.fix import Fix
    from gateway.store import Store, insert_fixes
    store = Store(household.config.db_path).open()
    device = accounts.get_device(store.conn, "bob", "phone")
    with store.transaction() as conn:
        insert_fixes(conn, device.id, device.member_id,
                     [Fix(p.ts, p.lat, p.lon, p.acc, vel=p.vel) for p in points("bob")], "import:csv")
    store.close()
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    try:
        await gw.pipeline.idle()
        n = gw.store.conn.execute("SELECT count(*) FROM trips").fetchone()[0]
        assert n >= 20
    finally:
        await gw.stop()
