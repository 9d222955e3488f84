"""Small tools the ingest tests share: phone-like publishers and store polling."""
from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def location(tst: int, lat: float = 46.16, lon: float = -1.15, **extra) -> dict:
    return {"_type": "location", "lat": lat, "lon": lon, "tst": tst, "tid": "ph", "acc": 10,
            **extra}


def count_fixes(db_path, where: str = "1", *args) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f"SELECT count(*) FROM fixes WHERE {where}", args).fetchone()[0]
    finally:
        conn.close()


async def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value, or fail saying what was seen."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(interval)
        value = predicate()
    assert value, f"condition not met within {timeout}s (last value {value!r})"
    return value


class Phone:
    """A paho client behaving like the OwnTracks app: QoS 1, persistent session."""

    def __init__(self, port: int, username: str, password: str, *, client_id: str | None = None,
                 clean_session: bool = False):
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"phone-{username}",
                                  clean_session=clean_session, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(username, password)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.connected = None
        self.session_present = None
        self.received: list = []
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        deadline = time.monotonic() + 10
        while self.connected is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def _on_connect(self, client, userdata, flags, rc, properties):
        self.session_present = flags.session_present
        self.connected = rc

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.client.publish(topic, data, qos=qos, retain=retain)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
