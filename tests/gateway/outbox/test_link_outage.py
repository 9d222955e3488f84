"""The city down for a month loses nothing: the service's outbox keeps trying with backoff
while months close and the gateway itself restarts; once the city is back, everything due
arrives once, in order, and every receipt is recorded."""
from __future__ import annotations

import asyncio

from carbon import summary_wire as wire
from gateway.outbox.keys import receipt_problem
from gateway.queries import link as read
from gateway.service import Gateway

from link_boxes import Clock, Member, make_box

MONTHS = ["2026-03", "2026-04", "2026-05"]


async def _until(predicate, timeout=60.0):
    for _ in range(int(timeout / 0.1)):
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s: {predicate.__doc__ or predicate}")


def _sent_months(store, member_id) -> list:
    return [g["month"] for g in read.ledger(store.conn, member_id) if g["kind"] == "summary"]


def _pending(store) -> list:
    return [p for link in read.status(store.conn) for p in link["pending"]]


async def _start(box, clock) -> Gateway:
    gw = Gateway(box.config)          # the service, with its outbox task; no web pages needed
    gw.outbox.clock = clock
    await gw.start()
    return gw


async def test_the_city_down_for_a_month_loses_nothing(tmp_path, city, proxy):
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice"), Member("bob", "bob")],
                   days=45)                                   # 23 March - 6 May
    clock = Clock("2026-04-10 12:00")
    gw = await _start(box, clock)
    ids = [box.ids["alice"], box.ids["bob"]]
    tokens = await city.tokens(2)
    for mid, token in zip(ids, tokens):                       # what the web page will call
        await gw.outbox.enrol(mid, proxy.url, token)
        await gw.outbox.join(mid, commune=True)
    await _until(lambda: all(_sent_months(gw.store, m) == MONTHS[:1] for m in ids))

    await city.stop()                                         # the city goes away...
    clock.set("2026-05-10 12:00")                             # ...April closes
    await _until(lambda: len(_pending(gw.store)) == 2 and all(
        p["attempts"] >= 1 and "502" in (p["last_error"] or "") for p in _pending(gw.store)))
    await gw.stop()                                           # the box restarts meanwhile
    gw = await _start(box, clock)
    clock.set("2026-06-10 12:00")                             # May closes too
    await _until(lambda: len(_pending(gw.store)) == 4 and all(
        p["attempts"] >= 2 for p in _pending(gw.store) if p["month"] == "2026-04"))
    assert all(p["attempts"] == 0 for p in _pending(gw.store) if p["month"] == "2026-05"), \
        "May must wait behind April"

    await city.start()                                        # the city is back
    try:
        await _until(lambda: all(_sent_months(gw.store, m) == MONTHS for m in ids), timeout=90)
        assert _pending(gw.store) == []
        for mid in ids:
            link = read.links(gw.store.conn, mid)[0]
            stored = await city.store.stored_figures(link["pseudonym"])
            assert [(r[1], r[2], r[3]) for r in stored] == [(m, 1, 0) for m in MONTHS]
            # what reached the city for this member: each month once, in order
            arrived = [wire.parse(c.body)["month"] for c in proxy.posts("/summaries")
                       if c.status == 200 and link["pseudonym"].encode() in c.body]
            assert arrived == MONTHS
            for row in read.ledger(gw.store.conn, mid):
                assert receipt_problem(row["receipt"], row["message"], link["aggregator_key"]) is None
        assert city.counters()["accepted"] == {"stored": 4}   # since it came back: April, May
        assert city.counters()["rejected_total"] == 0         # no replay, no duplicate
        refused = [c for c in proxy.posts("/summaries") if c.status == 502]
        assert len(refused) >= 3                              # it did keep trying
    finally:
        await gw.stop()
