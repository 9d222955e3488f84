"""One payload from a known device into a submission: what is kept, what is not."""
from __future__ import annotations

import asyncio
import json
import time

from gateway.accounts import Device
from gateway.ingest.owntracks import first_reason, to_submission

DEVICE = Device(1, 1, "alice", "phone", "NE", None)
NOW = time.time()


def test_a_phone_configuration_is_kept_without_its_secrets():
    conf = {"_type": "configuration", "mode": 0, "host": "selfdata.local", "username": "alice/phone",
            "password": "hunter2-hunter2", "encryptionKey": "s3cr1t", "monitoring": 1,
            "waypoints": [{"desc": "home", "password": "nested"}]}
    sub = to_submission(DEVICE, json.dumps(conf).encode(), "owntracks-mqtt", subtopic="dump")
    (event,) = sub.events
    assert event.type == "configuration"
    kept = json.loads(event.payload)
    assert kept["monitoring"] == 1 and kept["host"] == "selfdata.local"
    assert "hunter2" not in event.payload and "s3cr1t" not in event.payload
    assert "nested" not in event.payload


def test_a_card_with_a_broken_face_keeps_its_name_and_says_why():
    card = b'{"_type":"card","name":"Alice","face":"abcd!?&%","tid":"al"}'
    sub = to_submission(DEVICE, card, "owntracks-http")
    assert json.loads(sub.events[0].payload)["name"] == "Alice"
    (note,) = sub.rejections
    assert note.partial and "face" in note.reason
    assert first_reason(sub) is None  # the message itself was accepted


def test_event_time_is_the_message_time_or_the_receive_time():
    transition = {"_type": "transition", "wtst": 1700000000, "tst": 1700000100, "lat": 46.1,
                  "lon": -1.1, "acc": 10, "event": "leave", "desc": "work"}
    sub = to_submission(DEVICE, json.dumps(transition).encode(), "owntracks-mqtt",
                        subtopic="event")
    assert sub.events[0].ts == 1700000100
    lwt = to_submission(DEVICE, b'{"_type":"lwt"}', "owntracks-mqtt", now=NOW)
    assert lwt.events[0].ts == int(NOW)


def test_empty_payloads_are_ignored_and_garbage_is_refused_with_a_reason():
    assert to_submission(DEVICE, b"", "owntracks-mqtt") is None
    sub = to_submission(DEVICE, b"\x00\xff{", "owntracks-mqtt", subtopic="")
    assert not sub.fixes and not sub.events
    assert "UTF-8" in first_reason(sub)
    assert sub.rejections[0].where == "owntracks/alice/phone"


def test_http_events_keep_the_subtopic_the_phone_names():
    transition = {"_type": "transition", "wtst": 1700000000, "tst": 1700000100, "lat": 46.1,
                  "lon": -1.1, "acc": 10, "event": "enter", "desc": "home",
                  "topic": "owntracks/alice/phone/event"}
    sub = to_submission(DEVICE, json.dumps(transition).encode(), "owntracks-http")
    assert sub.events[0].topic == "event"


async def test_data_of_a_device_removed_meanwhile_is_refused_not_the_batch(gateway):
    """A receiver's cache may still hold a device just removed from the command line."""
    from gateway import accounts
    from gateway.ingest.group_commit import Submission
    from carbon.fix import Fix
    from gateway.store import Store
    gw = gateway
    alice = gw.devices.get("alice", "phone")
    bob = gw.devices.get("bob", "phone")
    store = Store(gw.config.db_path)
    with store.transaction() as conn:
        accounts.remove_device(conn, "bob", "phone")
    store.close()
    now = int(time.time())
    gone, kept = await asyncio.gather(
        gw.ingest.submit(Submission("owntracks-http", bob, fixes=[Fix(now - 9, 46.1, -1.1)])),
        gw.ingest.submit(Submission("owntracks-http", alice, fixes=[Fix(now - 8, 46.1, -1.1)])))
    assert gone.rejected == 1 and gone.stored == 0
    assert kept.stored == 1
    reason = gw.store.conn.execute("SELECT reason FROM rejections").fetchone()[0]
    assert reason == "device bob/phone was removed"
