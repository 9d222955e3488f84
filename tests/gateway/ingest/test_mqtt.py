"""OwnTracks over MQTT through a real mosquitto: stored once, refused with reasons, ACLs."""
from __future__ import annotations

import asyncio
import json
import time

from gateway import accounts
from gateway.store import Store
from helpers import Phone, count_fixes, location, wait_for


def _phone(gw, user="alice/phone"):
    return Phone(gw.config.mqtt.port, user, gw.household.secrets[user])


async def test_location_published_by_a_phone_is_stored_once(mqtt_gateway):
    gw = mqtt_gateway
    await wait_for(lambda: gw.mqtt.connected)
    phone = _phone(gw)
    now = int(time.time())
    try:
        for _ in range(3):  # a retained repeat and a resend are harmless
            phone.publish("owntracks/alice/phone", location(now - 60, vel=18), retain=True)
        phone.publish("owntracks/alice/phone", location(now - 30))
        await wait_for(lambda: count_fixes(gw.config.db_path) == 2)
    finally:
        phone.close()
    row = gw.store.conn.execute("SELECT * FROM fixes WHERE ts = ?", (now - 60,)).fetchone()
    assert row["source"] == "owntracks-mqtt"
    assert abs(row["vel"] - 5.0) < 1e-9  # 18 km/h from the phone is 5 m/s in the store
    assert json.loads(row["raw"])["tid"] == "ph"


async def test_events_and_bad_payloads_are_recorded_with_reasons(mqtt_gateway):
    gw = mqtt_gateway
    await wait_for(lambda: gw.mqtt.connected)
    phone = _phone(gw)
    now = int(time.time())
    try:
        phone.publish("owntracks/alice/phone/event",
                      {"_type": "transition", "wtst": now - 900, "tst": now - 10, "lat": 46.1,
                       "lon": -1.1, "acc": 10, "event": "enter", "desc": "home"})
        phone.publish("owntracks/alice/phone", {"_type": "lwt"})
        phone.publish("owntracks/alice/phone", b"{not json")
        phone.publish("owntracks/alice/phone/weird", location(now))
        phone.publish("owntracks/alice/phone", location(now - 5))
        await wait_for(lambda: count_fixes(gw.config.db_path) == 1)
        reasons = await wait_for(lambda: [r[0] for r in gw.store.conn.execute(
            "SELECT reason FROM rejections ORDER BY id")] if gw.store.conn.execute(
            "SELECT count(*) FROM rejections").fetchone()[0] >= 2 else None)
    finally:
        phone.close()
    types = {r[0] for r in gw.store.conn.execute("SELECT type FROM events")}
    assert types == {"transition", "lwt"}
    assert any("invalid JSON" in r for r in reasons), reasons
    assert any("unknown topic 'weird'" in r for r in reasons), reasons
    assert gw.ingest.counts["owntracks-mqtt.rejected"] == 2


async def test_a_device_cannot_publish_as_another(mqtt_gateway):
    gw = mqtt_gateway
    await wait_for(lambda: gw.mqtt.connected)
    bob = _phone(gw, "bob/phone")
    now = int(time.time())
    try:
        bob.publish("owntracks/alice/phone", location(now - 100))  # the ACL drops it
        bob.publish("owntracks/bob/phone", location(now - 50))
        await wait_for(lambda: count_fixes(gw.config.db_path) == 1)
        await asyncio.sleep(0.5)
    finally:
        bob.close()
    rows = gw.store.conn.execute("SELECT d.name, m.name AS member, f.ts FROM fixes f JOIN "
                                 "devices d ON d.id = f.device_id JOIN members m "
                                 "ON m.id = f.member_id").fetchall()
    assert [(r["member"], r["ts"]) for r in rows] == [("bob", now - 50)]


async def test_wrong_password_is_refused_by_the_broker(mqtt_gateway):
    phone = Phone(mqtt_gateway.config.mqtt.port, "alice/phone", "not-the-secret")
    try:
        assert phone.connected is not None and phone.connected.is_failure
    finally:
        phone.close()


async def test_phones_see_only_members_who_let_them_see(mqtt_gateway):
    gw = mqtt_gateway
    await wait_for(lambda: gw.mqtt.connected)
    now = int(time.time())
    alice = _phone(gw)
    alice.client.subscribe("owntracks/+/+", qos=1)
    bob = _phone(gw, "bob/phone")
    try:
        bob.publish("owntracks/bob/phone", location(now - 20))
        await wait_for(lambda: count_fixes(gw.config.db_path) == 1)
        await asyncio.sleep(0.5)
        assert not [t for t, _ in alice.received if t == "owntracks/bob/phone"]
        store = Store(gw.config.db_path)
        with store.transaction() as conn:
            accounts.show_to(conn, "bob", "alice")
        store.close()
        await gw._sync_and_reload()
        bob.publish("owntracks/bob/phone", location(now - 10), retain=True)

        def resubscribed_sees_bob():
            # mosquitto re-reads its ACL after the SIGHUP at its own pace: until it has, a
            # subscription is refused bob's topic, so ask again; each subscription delivers
            # the retained location anew, checked against the ACL of that moment.
            if not [t for t, _ in alice.received if t == "owntracks/bob/phone"]:
                alice.client.subscribe("owntracks/+/+", qos=1)
                return []
            return True
        await wait_for(resubscribed_sees_bob, interval=0.5)
    finally:
        alice.close()
        bob.close()


async def test_gateway_keeps_serving_http_without_a_broker(household):
    from gateway.service import Gateway
    from webui.app import make_app
    household.config.mqtt.enabled = True
    household.config.mqtt.port = 1  # nothing listens there
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    try:
        import aiohttp
        from harness import base_url
        from helpers import basic
        async with aiohttp.ClientSession() as s:
            r = await s.post(base_url(gw) + "/pub", json=location(int(time.time()) - 5),
                             headers=basic("alice/phone", household.secrets["alice/phone"]))
            assert r.status == 200
        assert count_fixes(household.config.db_path) == 1
        assert gw.mqtt.connected is False
    finally:
        await gw.stop()


async def test_household_cards_are_published_retained_for_phones(mqtt_gateway):
    gw = mqtt_gateway
    await wait_for(lambda: gw.mqtt.connected)
    await asyncio.sleep(2.5)  # the first housekeeping round publishes them
    alice = _phone(gw)
    try:
        alice.client.subscribe("owntracks/+/+/info", qos=1)
        cards = await wait_for(lambda: [json.loads(p) for t, p in alice.received
                                        if t == "owntracks/alice/phone/info"])
    finally:
        alice.close()
    assert cards[0]["_type"] == "card" and cards[0]["name"] == "Alice"
    assert cards[0]["tid"] == gw.devices.get("alice", "phone").tid
    # Our own retained card comes back to the gateway's subscription: not stored as the phone's.
    assert gw.store.conn.execute("SELECT count(*) FROM events WHERE type = 'card'").fetchone()[0] == 0
