"""OwnTracks over MQTT: which device a topic belongs to, what is refused before parsing, and
the cards the gateway publishes so phones show household names.

The subscriber itself (``receivers.mqtt.MqttSubscriber``) only receives; the service starts
it with ``MqttRouter.on_messages`` as its handler.
"""
from __future__ import annotations

import logging
import time

from receivers import owntracks as ot

from .. import accounts
from ..model import Rejection
from .group_commit import Ingest, Submission
from .owntracks import card_without_big_face, our_card, to_submission

log = logging.getLogger(__name__)

SOURCE = "owntracks-mqtt"
TOPICS = ["owntracks/#"]
# Sub-topics a phone publishes on (owntracks.md 1.5); anything else is refused and counted.
KNOWN_SUBTOPICS = {"", "event", "info", "waypoint", "waypoints", "status", "step", "steps",
                   "dump", "beacon", "request", "lwt"}
# How often the directory asks whether the household changed, seconds.
RECHECK_S = 0.25


class DeviceDirectory:
    """Devices by member and device name (None for names no device has), cached until the
    household changes: devices are added and removed from the command line while the
    service runs, and a removed one must stop being found.

    The household's version is read at most every ``RECHECK_S``, not at every message: a
    read per message, on the event loop, cost a third of the loop's time in a burst (each
    one handing the GIL to paho's thread and waiting to get it back). In the meantime a
    removed device's messages reach the writer, which refuses them (``device ... was
    removed``: it checks the devices at every batch), so nothing of it is stored."""

    def __init__(self, conn_factory, *, recheck_s: float = RECHECK_S, clock=time.monotonic):
        self._conn = conn_factory
        self._hits: dict[str, accounts.Device | None] = {}
        self._watch = accounts.ChangeWatch()
        self._recheck_s, self._clock = recheck_s, clock
        self._checked = -1e18

    def get(self, member: str, name: str) -> accounts.Device | None:
        conn = self._conn()
        now = self._clock()
        if now - self._checked >= self._recheck_s:
            self._checked = now
            if self._watch.changed(conn):
                self._hits.clear()
        key = f"{member}/{name}"
        if key in self._hits:
            return self._hits[key]
        try:
            device = accounts.get_device(conn, member, name)
        except accounts.AccountError:
            device = None
        if len(self._hits) > 10000:  # names of no device, sent by a hostile one: bounded
            self._hits.clear()
        self._hits[key] = device
        return device

    def clear(self) -> None:
        self._hits.clear()
        self._checked = -1e18


class MqttRouter:
    """MQTT messages to the devices their topics name, then through the same OwnTracks path
    as HTTP (``ingest.owntracks``); returns once committed, so the PUBACKs follow."""

    def __init__(self, ingest: Ingest, devices: DeviceDirectory, *, max_bytes: int):
        self.ingest, self.devices, self.max_bytes = ingest, devices, max_bytes
        self.publish = None  # the subscriber's publish, once the service has connected it

    async def on_messages(self, messages: list[tuple[str, bytes]]) -> list[bool]:
        """A batch from the broker (what paho read since the loop last looked), (topic,
        payload) each, committed together. For each message whether it was handled (stored, or refused with its
        reason stored): one that was not (a fault of ours, logged) is not acknowledged, and
        the broker sends it again, while the others go on."""
        handled = [True] * len(messages)
        subs, infos = [], []
        for i, (topic, payload) in enumerate(messages):
            try:
                sub, subtopic = self._submission(topic, payload)
            except Exception:
                log.exception("mqtt: message on %s could not be handled", topic)
                handled[i] = False
                continue
            if sub is not None:
                subs.append(sub)
                if subtopic == "info":
                    infos.append(sub)
        if subs:
            await self.ingest.submit_many(subs)
        for sub in infos:
            smaller = card_without_big_face(sub)
            if smaller is not None and self.publish is not None:
                self.publish(f"{sub.device.topic}/info", smaller, retain=True)
        return handled

    def _submission(self, topic: str, payload: bytes) -> tuple[Submission | None, str | None]:
        try:
            member, name, subtopic = ot.parse_topic(topic)
        except ot.Rejected as exc:
            return Submission(SOURCE, rejections=[
                Rejection(SOURCE, exc.reason, payload, where=topic)]), None
        if subtopic == "cmd":
            return None, subtopic  # commands go to phones; seeing our own is normal
        device = self.devices.get(member, name)
        if device is None:
            return Submission(SOURCE, rejections=[
                Rejection(SOURCE, "unknown device", payload, where=topic)]), subtopic
        if subtopic not in KNOWN_SUBTOPICS:
            return Submission(SOURCE, device, rejections=[
                Rejection(SOURCE, f"unknown topic '{subtopic}'", payload, device.id,
                          where=topic)]), subtopic
        return to_submission(device, payload, SOURCE, subtopic=subtopic,
                             max_bytes=self.max_bytes,
                             max_face_bytes=self.ingest.limits.max_face_bytes), subtopic


def publish_cards(mqtt, conn) -> None:
    """Retained cards, so phones show household names instead of two-letter tids (for the
    devices whose phone did not publish its own)."""
    for device in accounts.without_own_card(conn):
        member = accounts.member_by_id(conn, device.member_id)
        mqtt.publish(f"{device.topic}/info", our_card(device, member.display_name), retain=True)
