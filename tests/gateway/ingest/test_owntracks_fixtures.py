"""Every OwnTracks json-schema example, sent by a phone over a real mosquitto and over
`POST /pub`, ends as the verdict table says: a fix for a location, an event for the other
accepted types, a recorded rejection with its reason otherwise. Plus Android's bare Last Will,
encrypted phones on both transports (and their encrypted HTTP replies), and friends in replies.

The verdicts are the parser's own table (tests/receivers/test_owntracks_parse.py, built from
the examples' README): these tests hold the transports and the store to it.
"""
from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import time
from pathlib import Path

import aiohttp
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from harness import OWNTRACKS_FIXTURES, base_url, gateway_with_broker
from gateway import accounts
from gateway.store import Store
from helpers import Phone, basic, count_fixes, location, wait_for
from receivers.owntracks import decrypt, encrypt


def _verdicts() -> dict:
    path = Path(__file__).resolve().parents[2] / "receivers" / "test_owntracks_parse.py"
    spec = importlib.util.spec_from_file_location("_owntracks_verdicts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VERDICTS


VERDICTS = _verdicts()
KEY = "a phone's own passphrase"
# Where a phone publishes each type (reference/owntracks.md 1.5); the rest goes to the base topic.
SUBTOPIC = {"transition": "event", "waypoint": "waypoint", "waypoints": "waypoints",
            "card": "info", "status": "status", "steps": "step", "request": "request"}

pytestmark = pytest.mark.skipif(not OWNTRACKS_FIXTURES.is_dir(),
                                reason=f"no {OWNTRACKS_FIXTURES}")


@pytest.fixture
async def gw(tmp_path):
    """Real mosquitto, in-process gateway; alice has a phone per transport and one with a key."""
    async with gateway_with_broker(tmp_path, {"http": None, "secure": KEY}) as gateway:
        yield gateway


def _type_of(data: bytes) -> str | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value.get("_type") if isinstance(value, dict) else None


def _expectation(verdict: tuple) -> tuple[str, str | None]:
    """What the gateway does with one payload: ("fix"|"event", type), ("rejected", reason
    fragment) or ("ignored", None). A payload is one message: arrays are refused whole."""
    if verdict[0] == "batch":
        return "rejected", "JSON array of"
    if verdict[0] == "ignored":
        return "ignored", None
    if verdict[0] == "ok":
        return ("fix" if verdict[1] == "location" else "event"), verdict[1]
    return "rejected", verdict[1]


def _processed(gw, source: str) -> int:
    c = gw.ingest.counts
    return sum(c[f"{source}.{k}"] for k in ("stored", "duplicates", "events", "rejected"))


def _check_outcome(gw, name: str, data: bytes, device, source: str, before: dict) -> None:
    """The store after one example: exactly what the verdict table says, nothing else."""
    conn = gw.store.conn
    kind, detail = _expectation(VERDICTS[name])
    new_rejections = conn.execute(
        "SELECT reason FROM rejections WHERE id > ? AND source = ?",
        (before["rejection_id"], source)).fetchall()
    new_events = conn.execute(
        "SELECT type, payload FROM events WHERE id > ? AND device_id = ?",
        (before["event_id"], device.id)).fetchall()
    if kind == "rejected":
        assert [r["reason"] for r in new_rejections if detail in r["reason"]], \
            (name, detail, [r["reason"] for r in new_rejections])
        assert not new_events, (name, [dict(e) for e in new_events])
        return
    if kind == "fix":
        tst = json.loads(data).get("tst")
        row = conn.execute("SELECT source, raw FROM fixes WHERE device_id = ? AND ts = ?",
                           (device.id, int(float(tst)))).fetchone()
        assert row is not None, f"{name}: no fix at tst {tst}"
        assert new_events == []
    elif kind == "event":
        assert [e["type"] for e in new_events] == [detail], (name, [dict(e) for e in new_events])
        assert json.loads(new_events[0]["payload"])["_type"] == detail
    else:  # ignored
        assert new_events == []
    # Accepted (or ignored) examples leave at most notes ("card face dropped") behind.
    assert all("ignored" in r["reason"] or "dropped" in r["reason"] for r in new_rejections), \
        (name, [r["reason"] for r in new_rejections])


def _marks(gw) -> dict:
    conn = gw.store.conn
    return {"rejection_id": conn.execute("SELECT coalesce(max(id), 0) FROM rejections").fetchone()[0],
            "event_id": conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]}


async def test_every_example_over_mqtt(gw):
    device = accounts.get_device(gw.store.conn, "alice", "phone")
    phone = Phone(gw.config.mqtt.port, "alice/phone", gw.household.secrets["alice/phone"])
    try:
        for name in sorted(VERDICTS):
            data = (OWNTRACKS_FIXTURES / name).read_bytes()
            mtype = _type_of(data)
            subtopic = SUBTOPIC.get(mtype, "")
            topic = "owntracks/alice/phone" + (f"/{subtopic}" if subtopic else "")
            before = _marks(gw)
            processed = _processed(gw, "owntracks-mqtt")
            received = gw.mqtt.counts["received"]
            phone.publish(topic, data, retain=(mtype == "card"))
            if _expectation(VERDICTS[name])[0] == "ignored":
                await wait_for(lambda: gw.mqtt.counts["received"] > received)
                await asyncio.sleep(0.3)
            else:
                await wait_for(lambda: _processed(gw, "owntracks-mqtt") > processed)
            _check_outcome(gw, name, data, device, "owntracks-mqtt", before)
    finally:
        phone.close()
    assert gw.mqtt.counts["handler_errors"] == 0


async def test_every_example_over_http(gw):
    device = accounts.get_device(gw.store.conn, "alice", "http")
    auth = basic("alice/http", gw.household.secrets["alice/http"])
    async with aiohttp.ClientSession() as s:
        for name in sorted(VERDICTS):
            data = (OWNTRACKS_FIXTURES / name).read_bytes()
            before = _marks(gw)
            async with s.post(base_url(gw) + "/pub", data=data, headers={
                    **auth, "Content-Type": "application/json"}) as r:
                assert r.status == 200, name
                reply = await r.json()
                rejected = r.headers.get("X-Selfdata-Rejected")
            assert isinstance(reply, list), name
            kind, detail = _expectation(VERDICTS[name])
            if kind == "rejected":
                assert rejected is not None and detail in rejected, (name, rejected)
            else:
                assert rejected is None, (name, rejected)
            _check_outcome(gw, name, data, device, "owntracks-http", before)
    fixes = gw.store.conn.execute("SELECT DISTINCT source FROM fixes WHERE device_id = ?",
                                  (device.id,)).fetchall()
    assert [r[0] for r in fixes] == ["owntracks-http"]


async def test_android_bare_last_will_over_mqtt_and_http(gw):
    """Android sets `{"_type":"lwt"}` (no tst) as its MQTT will; the broker publishes it when
    the phone vanishes. It is recorded with the time it arrived."""
    start = int(time.time())
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="android-alice",
                         clean_session=False, protocol=mqtt.MQTTv311)
    client.username_pw_set("alice/phone", gw.household.secrets["alice/phone"])
    client.will_set("owntracks/alice/phone", b'{"_type":"lwt"}', qos=1, retain=False)
    client.connect("127.0.0.1", gw.config.mqtt.port, keepalive=30)
    client.loop(1.0)  # CONNACK
    client.socket().shutdown(socket.SHUT_RDWR)  # the phone loses its network: no DISCONNECT
    client.socket().close()

    def lwt_events(source, device):
        return gw.store.conn.execute(
            "SELECT e.ts, e.payload FROM events e JOIN devices d ON d.id = e.device_id "
            "WHERE e.type = 'lwt' AND e.source = ? AND d.name = ?", (source, device)).fetchall()

    rows = await wait_for(lambda: lwt_events("owntracks-mqtt", "phone"))
    assert json.loads(rows[0]["payload"]) == {"_type": "lwt"}
    assert start <= rows[0]["ts"] <= time.time() + 1

    async with aiohttp.ClientSession() as s:
        r = await s.post(base_url(gw) + "/pub", data=b'{"_type":"lwt"}',
                         headers=basic("alice/http", gw.household.secrets["alice/http"]))
        assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
    rows = lwt_events("owntracks-http", "http")
    assert len(rows) == 1 and start <= rows[0]["ts"] <= time.time() + 1


async def test_encrypted_phone_over_mqtt_and_http(gw):
    now = int(time.time())
    secret = gw.household.secrets["alice/secure"]
    device = accounts.get_device(gw.store.conn, "alice", "secure")

    def envelope(payload: dict) -> bytes:
        return json.dumps({"_type": "encrypted",
                           "data": encrypt(json.dumps(payload).encode(), KEY)}).encode()

    phone = Phone(gw.config.mqtt.port, "alice/secure", secret)
    try:
        phone.publish("owntracks/alice/secure", envelope(location(now - 60, vel=36)))
        await wait_for(lambda: count_fixes(gw.config.db_path, "device_id = ?", device.id) == 1)
    finally:
        phone.close()
    async with aiohttp.ClientSession() as s:
        r = await s.post(base_url(gw) + "/pub", data=envelope(location(now - 30, lat=46.2)),
                         headers=basic("alice/secure", secret))
        assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        reply = await r.json()
    rows = gw.store.conn.execute("SELECT ts, lat, vel, source, raw FROM fixes WHERE device_id = ? "
                                 "ORDER BY ts", (device.id,)).fetchall()
    assert [(r["ts"], r["source"]) for r in rows] == [(now - 60, "owntracks-mqtt"),
                                                       (now - 30, "owntracks-http")]
    assert abs(rows[0]["vel"] - 10.0) < 1e-9 and rows[1]["lat"] == 46.2
    assert json.loads(rows[1]["raw"])["_type"] == "location"  # the plaintext is kept

    # The reply is encrypted with the phone's key, and holds its own last location.
    assert set(reply) == {"_type", "data"} and reply["_type"] == "encrypted"
    friends = json.loads(decrypt(reply["data"], KEY))
    mine = [o for o in friends if o["_type"] == "location" and o["tid"] == device.tid]
    assert mine and mine[0]["tst"] == now - 30 and mine[0]["lat"] == 46.2

    # A wrong key on the phone is refused with a reason, and nothing is stored.
    bad = json.dumps({"_type": "encrypted",
                      "data": encrypt(json.dumps(location(now - 10)).encode(), "other")}).encode()
    async with aiohttp.ClientSession() as s:
        r = await s.post(base_url(gw) + "/pub", data=bad, headers=basic("alice/secure", secret))
        assert r.status == 200 and "cannot decrypt" in r.headers["X-Selfdata-Rejected"]
    assert count_fixes(gw.config.db_path, "device_id = ?", device.id) == 2


def _check_friends_shape(reply: list) -> None:
    locations = [o for o in reply if o["_type"] == "location"]
    cards = [o for o in reply if o["_type"] == "card"]
    assert len({o["tid"] for o in locations}) == len(locations), reply
    assert len({o["tid"] for o in cards}) == len(cards), reply
    assert all(type(o["tst"]) is int for o in locations), reply
    assert all(isinstance(o["tid"], str) and o["tid"] for o in reply), reply


async def test_http_reply_holds_friends_once_shared(gw):
    now = int(time.time())
    secrets = gw.household.secrets
    conn = gw.store.conn
    tids = {u: accounts.get_device(conn, *u.split("/")).tid
            for u in ("alice/phone", "alice/http", "bob/phone")}
    async with aiohttp.ClientSession() as s:
        async def post(user, payload):
            r = await s.post(base_url(gw) + "/pub", json=payload, headers=basic(user, secrets[user]))
            assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
            return await r.json()

        await post("bob/phone", location(now - 300, lat=46.3))
        await post("alice/phone", location(now - 200, lat=46.1))
        reply = await post("alice/http", location(now - 100, lat=46.0))
        _check_friends_shape(reply)
        located = {o["tid"]: o for o in reply if o["_type"] == "location"}
        assert set(located) == {tids["alice/phone"], tids["alice/http"]}  # no bob: not shared
        assert located[tids["alice/http"]]["tst"] == now - 100
        assert all(o["topic"].startswith("owntracks/alice/") for o in located.values())
        assert {o["name"] for o in reply if o["_type"] == "card"} == {"Alice"}

        store = Store(gw.config.db_path)
        with store.transaction() as c:
            accounts.show_to(c, "bob", "alice")
        store.close()
        reply = await post("alice/http", location(now - 50, lat=46.05))
        _check_friends_shape(reply)
        located = {o["tid"]: o for o in reply if o["_type"] == "location"}
        assert tids["bob/phone"] in located, reply
        bob = located[tids["bob/phone"]]
        assert (bob["tst"], bob["lat"], bob["topic"]) == (now - 300, 46.3, "owntracks/bob/phone")
        assert "Bob" in {o["name"] for o in reply if o["_type"] == "card"}

        # Sharing is one-way: bob still sees only himself.
        reply = await post("bob/phone", location(now - 40, lat=46.31))
        assert {o["tid"] for o in reply if o["_type"] == "location"} == {tids["bob/phone"]}
