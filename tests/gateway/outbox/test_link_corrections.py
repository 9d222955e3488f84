"""A correction of a month already sent goes as a replacement at a higher revision (the city
keeps one contribution for the month, the newer); a rebuild that changes nothing sends
nothing; a message that never left the box is rewritten in place; one that may have reached
the city (tried while it was down) is superseded by the next revision."""
from __future__ import annotations

import pytest

from carbon import summary_wire as wire
from gateway.outbox import Outbox
from gateway.queries import link as read
from gateway.queries.trips import trip_list
from gateway.trips import decisions, pipeline

from link_boxes import Clock, Member, make_box
from link_city import CaptureProxy

MARCH = "2026-03"


@pytest.fixture
async def alice(tmp_path, city, proxy):
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice")])
    store = box.store()
    clock = Clock("2026-04-10 12:00")
    outbox = Outbox(store, box.config, clock=clock)
    mid = box.ids["alice"]
    await outbox.enrol(mid, proxy.url, (await city.tokens(1))[0])
    await outbox.join(mid, commune=True)
    yield box, store, outbox, mid, clock
    await outbox.close()
    store.close()


def _a_march_bike_leg(store, mid) -> int:
    for trip in trip_list(store.conn, mid, None, None):
        for leg in trip["legs"]:
            if leg["mode"] == "bike" and wire.FAMILY_OF_MODE[leg["mode"]] == "active" \
                    and MARCH in _month_of(leg["start_ts"]):
                return leg["start_ts"] + 1
    raise AssertionError("alice bikes in March")


def _month_of(ts) -> str:
    from datetime import datetime
    from link_boxes import TZ
    return datetime.fromtimestamp(ts, TZ).strftime("%Y-%m")


def _summaries(proxy, month=MARCH) -> list:
    return [wire.parse(c.body) for c in proxy.posts("/summaries") if c.status == 200
            and wire.parse(c.body)["month"] == month]


async def test_a_correction_of_a_sent_month_replaces_it_at_a_higher_revision(alice, city, proxy):
    box, store, outbox, mid, _clock = alice
    await outbox.send_due()
    (first,) = _summaries(proxy)
    assert first["revision"] == 1

    pipeline.rebuild_member(store, mid)                       # same trips: nothing to send
    assert (await outbox.send_due())["queued"] == []
    decisions.correct_leg(store, mid, _a_march_bike_leg(store, mid), "car")
    done = await outbox.send_due()
    assert [(q["month"], q["what"]) for q in done["queued"]] == [(MARCH, "replacement")]
    assert (await outbox.send_due())["queued"] == []          # the same bytes: not again

    first_body, second = first["body"], _summaries(proxy)[1]
    assert second["revision"] == 2
    assert second["body"]["distance_m"]["car"] > first_body["distance_m"]["car"]
    assert second["body"]["distance_m"]["active"] < first_body["distance_m"]["active"]
    stored = await city.store.stored_figures(first["pseudonym"])
    assert [(r[1], r[2], r[3]) for r in stored] == [(MARCH, 2, 0)]     # one row, the newer
    assert [(g["revision"], g["status"]) for g in read.ledger(store.conn, mid)] == [
        (1, "stored"), (2, "stored")]


async def test_a_waiting_message_is_rewritten_and_a_tried_one_superseded(alice, city, proxy):
    box, store, outbox, mid, clock = alice
    box.config.link.jitter_s = 3600.0                         # March waits up to an hour
    await outbox.send_due()
    (waiting,) = read.status(store.conn, mid)[0]["pending"]
    decisions.correct_leg(store, mid, _a_march_bike_leg(store, mid), "bus")
    done = await outbox.send_due()
    assert [q["what"] for q in done["queued"]] == ["rewritten"]
    (still,) = read.status(store.conn, mid)[0]["pending"]
    assert (still["id"], still["revision"]) == (waiting["id"], 1)      # never left: same revision

    await city.stop()                                         # tried while the city is down
    clock.set("2026-04-10 14:00")
    await outbox.send_due()
    assert read.status(store.conn, mid)[0]["pending"][0]["attempts"] == 1
    decisions.correct_leg(store, mid, _a_march_bike_leg(store, mid), "walk")
    await city.start()
    clock.set("2026-04-10 18:00")
    done = await outbox.send_due()
    assert [(q["what"]) for q in done["queued"]] == ["replacement"]
    clock.set("2026-04-10 20:00")                             # past its jitter too
    await outbox.send_due()
    (sent,) = _summaries(proxy)
    assert sent["revision"] == 2                              # revision 1 may have gone: 2 replaces it
    stored = await city.store.stored_figures(sent["pseudonym"])
    assert [(r[1], r[2]) for r in stored] == [(MARCH, 2)]
