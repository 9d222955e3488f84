"""Private places and imported history: what other members and their phones never get."""
from __future__ import annotations

import time

from gateway import accounts
from gateway.queries.friends import friends_reply
from gateway.queries.privacy import PRIVATE_RADIUS_M, PrivacyFilter
from gateway.store import insert_fixes
from gateway.trips import decisions
from carbon.fix import Fix

from pagebox import member_id

HOME = (46.1512, -1.1365)


def _home_private(store, name="alice"):
    decisions.name_place(store, member_id(store, name), *HOME, None, "home", private=True)


def test_a_private_place_hides_fixes_from_others_only(history_store):
    _home_private(history_store)
    alice, bob = member_id(history_store, "alice"), member_id(history_store, "bob")
    near = {"lat": HOME[0] + 0.0005, "lon": HOME[1]}            # ~55 m away
    far = {"lat": HOME[0] + PRIVATE_RADIUS_M / 111000 * 3, "lon": HOME[1]}
    assert PrivacyFilter(history_store.conn, bob).hides(alice, near["lat"], near["lon"])
    assert not PrivacyFilter(history_store.conn, bob).hides(alice, far["lat"], far["lon"])
    assert not PrivacyFilter(history_store.conn, alice).hides(alice, near["lat"], near["lon"])
    assert list(PrivacyFilter(history_store.conn, bob).rows(alice, [near, far])) == [far]


def test_phones_are_not_told_where_a_private_place_is(history_store):
    with history_store.transaction() as conn:
        accounts.show_to(conn, "alice", "bob")
    alice = member_id(history_store, "alice")
    device = accounts.get_device(history_store.conn, "alice", "phone")
    now = int(time.time())
    with history_store.transaction() as conn:
        insert_fixes(conn, device, [Fix(now, HOME[0], HOME[1] + 0.0003, 10.0)], "owntracks-http")
        accounts.mark_seen(conn, {device.id: now})
    locations = lambda viewer: [i for i in friends_reply(history_store.conn, viewer)  # noqa: E731
                                if i["_type"] == "location" and i["tid"] == device.tid]
    assert len(locations(member_id(history_store, "bob"))) == 1      # not private yet
    _home_private(history_store)
    assert locations(member_id(history_store, "bob")) == []          # bob's phone: no position
    cards = [i for i in friends_reply(history_store.conn, member_id(history_store, "bob"))
             if i["_type"] == "card" and i["tid"] == device.tid]
    assert cards, "the card stays: bob still knows alice is in the household"
    assert len(locations(alice)) == 1                                 # her own phone sees it


def test_a_device_holding_imported_history_is_never_a_friend(history_store):
    with history_store.transaction() as conn:
        accounts.show_to(conn, "alice", "bob")
        imported, _ = accounts.add_device(conn, "alice", "takeout", kind="import")
        insert_fixes(conn, imported, [Fix(int(time.time()), 46.2, -1.1, 5.0)],
                     "import:takeout")
        accounts.mark_seen(conn, {imported.id: time.time()})
    reply = friends_reply(history_store.conn, member_id(history_store, "bob"))
    assert imported.tid not in {i["tid"] for i in reply}
    assert "takeout" not in {d.name for d in accounts.without_own_card(history_store.conn)}
