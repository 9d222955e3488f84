"""The writer inserts a batch's fixes in one statement; a repeat in the batch (a fix already
stored, or the same fix twice in the batch) must still be told apart, per message."""
from __future__ import annotations

import asyncio
import json
import sqlite3

from gateway import accounts
from gateway.ingest.group_commit import Ingest
from gateway.ingest.owntracks import to_submission
from gateway.ingest.quota import Limits
from gateway.store import Store
from harness import Household, make_config
from helpers import location

T0 = 1_790_000_000


def _payload(ts: int) -> bytes:
    return json.dumps(location(ts, batt=50)).encode()


async def _ingest(tmp_path):
    config = make_config(tmp_path)
    Household(config)
    store = Store(config.db_path).open()
    ingest = Ingest(store, batch_wait_ms=200)   # a long wait: the messages share a batch
    await ingest.start()
    alice = accounts.get_device(store.conn, "alice", "phone")
    bob = accounts.get_device(store.conn, "bob", "phone")
    return config, store, ingest, alice, bob


async def _submit_all(ingest, items):
    subs = [to_submission(device, _payload(ts), "owntracks-mqtt") for device, ts in items]
    return subs, await asyncio.gather(*(ingest.submit(s) for s in subs))


async def test_repeats_in_a_batch_are_counted_as_repeats_and_the_rest_stored(tmp_path):
    config, store, ingest, alice, bob = await _ingest(tmp_path)
    committed = []
    ingest.listeners.append(lambda c: committed.extend((d.username, f.ts) for d, f in c.fixes))
    try:
        _, first = await _submit_all(ingest, [(alice, T0)])
        assert first[0].stored == 1
        # alice's T0 again (stored before), bob's T0 twice in the batch, three new ones.
        items = [(alice, T0), (alice, T0 + 1), (bob, T0), (bob, T0), (alice, T0 + 2),
                 (bob, T0 + 5)]
        _, outcomes = await _submit_all(ingest, items)
        assert [(o.stored, o.duplicates) for o in outcomes] == [
            (0, 1), (1, 0), (1, 0), (0, 1), (1, 0), (1, 0)]
        # Listeners (the live socket, the trip engine) hear of each new fix once.
        assert sorted(committed) == sorted([
            ("alice/phone", T0), ("alice/phone", T0 + 1), ("bob/phone", T0),
            ("alice/phone", T0 + 2), ("bob/phone", T0 + 5)])
        assert ingest.counts["owntracks-mqtt.stored"] == 5
        assert ingest.counts["owntracks-mqtt.duplicates"] == 2
    finally:
        await ingest.stop()
        store.close()
    conn = sqlite3.connect(config.db_path)
    rows = conn.execute("SELECT device_id, ts, loc IS NOT NULL FROM fixes ORDER BY id").fetchall()
    assert sorted(rows) == sorted([(alice.id, T0, 1), (alice.id, T0 + 1, 1), (bob.id, T0, 1),
                                   (alice.id, T0 + 2, 1), (bob.id, T0 + 5, 1)])


async def test_a_repeat_does_not_count_against_the_daily_quota(tmp_path):
    config, store, ingest, alice, bob = await _ingest(tmp_path)
    try:
        await _submit_all(ingest, [(alice, T0 + i) for i in range(10)])
        stored = ingest._daily._stored[alice.id]
        # The same ten again, in one batch beside one new fix: only the new one counts.
        await _submit_all(ingest, [(alice, T0 + i) for i in range(11)])
        one = ingest._daily._stored[alice.id] - stored
        assert 0 < one < stored / 5
    finally:
        await ingest.stop()
        store.close()


def test_the_directory_asks_whether_the_household_changed_at_most_every_quarter_second(
        tmp_path):
    from gateway.ingest.mqtt import DeviceDirectory

    config = make_config(tmp_path)
    Household(config)
    store = Store(config.db_path).open()
    now = [0.0]
    directory = DeviceDirectory(lambda: store.conn, clock=lambda: now[0])
    try:
        assert directory.get("bob", "phone") is not None
        with store.transaction() as conn:
            accounts.remove_device(conn, "bob", "phone")
        now[0] = 0.1    # within the window: the cache answers (the writer refuses its data)
        assert directory.get("bob", "phone") is not None
        now[0] = 0.3    # past it: the change is seen
        assert directory.get("bob", "phone") is None
    finally:
        store.close()


async def test_submit_many_answers_each_in_order_after_one_commit_and_refuses_by_rate(tmp_path):
    config = make_config(tmp_path)
    Household(config)
    store = Store(config.db_path).open()
    ingest = Ingest(store, batch_wait_ms=200, limits=Limits(device_burst=3))  # 3 at once
    await ingest.start()
    alice = accounts.get_device(store.conn, "alice", "phone")
    bob = accounts.get_device(store.conn, "bob", "phone")
    commits = []
    ingest.listeners.append(lambda c: commits.append(len(c.fixes)))
    try:
        items = [(alice, T0), (bob, T0), (bob, T0 + 1), (alice, T0), (bob, T0 + 2),
                 (bob, T0 + 3), (alice, T0 + 1)]
        subs = [to_submission(d, _payload(ts), "owntracks-mqtt") for d, ts in items]
        outcomes = await ingest.submit_many(subs)
        # bob's fourth is over his burst: refused, the others answered in their order.
        assert [(o.stored, o.duplicates, o.refusal is not None) for o in outcomes] == [
            (1, 0, False), (1, 0, False), (1, 0, False), (0, 1, False), (1, 0, False),
            (0, 0, True), (1, 0, False)]
        assert commits == [5], "the submissions did not share one commit"
        stored = {tuple(r) for r in store.conn.execute("SELECT device_id, ts FROM fixes")}
        assert stored == {(alice.id, T0), (bob.id, T0), (bob.id, T0 + 1), (bob.id, T0 + 2),
                          (alice.id, T0 + 1)}
        reasons = [r[0] for r in store.conn.execute("SELECT reason FROM rejections")]
        assert len(reasons) == 1 and "rate quota" in reasons[0]   # the refusal, recorded
        assert ingest.counts["owntracks-mqtt.over_quota"] == 1
    finally:
        await ingest.stop()
        store.close()
