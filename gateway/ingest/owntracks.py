"""One OwnTracks payload from a known device, whatever the transport, into the store.

MQTT and HTTP both end here, so a message is treated the same whichever way it came.
"""
from __future__ import annotations

import json
import time

from receivers import owntracks as ot

from ..accounts import Device
from ..model import Event, Rejection
from .group_commit import Ingest, Outcome, Submission

# Our own cards, published retained for phones; not the device's own.
CARD_MARKER = "_selfdata"


def to_submission(device: Device, data: bytes, source: str, *, subtopic: str = "",
                  max_bytes: int = 512 * 1024, max_face_bytes: int = 64 * 1024,
                  now: float | None = None) -> Submission | None:
    """Parse a payload; None for an empty one (legal, and ignored)."""
    now = time.time() if now is None else now
    sub = Submission(source, device)
    try:
        msg = ot.parse_payload(data, key=device.encryption_key, now=now, max_bytes=max_bytes)
    except ot.Rejected as exc:
        sub.rejections.append(Rejection(source, exc.reason, data, device.id,
                                        where=_where(device, subtopic)))
        return sub
    if msg is None:
        return None
    if msg.type == "card" and msg.payload.get(CARD_MARKER):
        return None
    for note in msg.notes:
        sub.rejections.append(Rejection(source, note, data, device.id,
                                        where=_where(device, subtopic), partial=True))
    if msg.fix is not None:
        sub.fixes.append(msg.fix)
        sub.decoded.append(msg.payload)
    else:
        raw = msg.raw
        if msg.type == "card" and _drop_big_face(msg.payload, max_face_bytes, sub, data):
            raw = json.dumps(msg.payload, ensure_ascii=False)
        if msg.type in SECRET_BEARING:
            raw = json.dumps(redact(msg.payload), ensure_ascii=False)
        ts = msg.ts if msg.ts is not None else int(now)
        sub.events.append(Event(msg.type, ts, raw, subtopic or _http_subtopic(device, msg)))
    return sub


def _drop_big_face(card: dict, limit: int, sub: Submission, data: bytes) -> bool:
    """A face goes out in every reply to every phone that sees the member: past the limit
    it is dropped (and noted) and the card kept with its name."""
    face = card.get("face")
    if not isinstance(face, str) or len(face) <= limit:
        return False
    del card["face"]
    device = sub.device
    sub.rejections.append(Rejection(sub.source, f"{FACE_DROPPED}: {len(face)} bytes of "
                                    f"base64 > {limit}", data[:200], device.id,
                                    where=device.topic + "/info", partial=True))
    return True


FACE_DROPPED = "card face dropped"


def card_without_big_face(sub: Submission | None) -> bytes | None:
    """The card to publish retained in place of the phone's when its face was too big, so
    the broker stops handing (and saving) it: marked as ours, so it is not stored back."""
    if sub is None or not sub.events or sub.events[0].type != "card":
        return None
    if not any(r.partial and r.reason.startswith(FACE_DROPPED) for r in sub.rejections):
        return None
    card = json.loads(sub.events[0].payload)
    card[CARD_MARKER] = True
    return json.dumps(card).encode()


# A phone's exported configuration carries its broker password and encryption key: the
# box keeps the settings, never the secrets.
SECRET_BEARING = ("configuration", "dump", "cmd")
SECRET_KEYS = {"password", "encryptionkey", "secret", "token", "httpheaders", "tlsclientcrt",
               "tlsclientcrtpassword"}


def redact(value):
    if isinstance(value, dict):
        return {k: ("[removed]" if k.lower() in SECRET_KEYS else redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _http_subtopic(device: Device, msg) -> str:
    """In HTTP mode the phone says in `topic` where it would have published over MQTT."""
    topic = msg.payload.get("topic")
    prefix = device.topic + "/"
    if isinstance(topic, str) and topic.lower().startswith(prefix):
        return topic[len(prefix):]
    return ""


def _where(device: Device, subtopic: str) -> str:
    return device.topic + (f"/{subtopic}" if subtopic else "")


async def ingest_payload(ingest: Ingest, device: Device, data: bytes, source: str, *,
                         subtopic: str = "", max_bytes: int = 512 * 1024) -> tuple[Outcome, Submission | None]:
    """Parse and commit; returns after the commit (the caller may then acknowledge)."""
    sub = to_submission(device, data, source, subtopic=subtopic, max_bytes=max_bytes,
                        max_face_bytes=ingest.limits.max_face_bytes)
    if sub is None:
        return Outcome(), None
    return await ingest.submit(sub), sub


def too_large(device: Device, head: bytes, length: int, limit: int, source: str) -> Submission:
    """A body refused on its announced size before it is read (its head is kept)."""
    return Submission(source, device, rejections=[Rejection(
        source, f"payload too large: {length} bytes > {limit}", head, device.id,
        where=device.topic)])


def first_reason(sub: Submission | None, outcome: Outcome | None = None) -> str | None:
    """The reason a payload was refused, for the X-Selfdata-Rejected header."""
    if outcome is not None and outcome.refusal is not None:
        return outcome.refusal  # a quota refused it whole
    if sub is None or not sub.rejections or sub.fixes or sub.events:
        return None
    return sub.rejections[0].reason


def http_reply(device: Device, objects: list) -> str:
    """The body an HTTP-mode phone gets back (its friends' cards and locations), encrypted
    with the device's key when it has one: the phone decrypts replies with the key it
    encrypts with."""
    text = json.dumps(objects, separators=(",", ":"))
    if device.encryption_key:
        text = json.dumps({"_type": "encrypted",
                           "data": ot.encrypt(text.encode(), device.encryption_key)})
    return text


def our_card(device: Device, display_name: str | None) -> bytes:
    card = {"_type": "card", "name": display_name or device.member, "tid": device.tid,
            CARD_MARKER: True}
    return json.dumps(card).encode()
