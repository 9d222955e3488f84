"""OwnTracks payloads -> a parsed message or a specific rejection. Pure: no I/O.

Contract
--------
``parse_payload(data, *, key=None, now=None, max_bytes=MAX_BYTES)`` takes ONE payload exactly
as received (an MQTT message or an HTTP POST body, as ``bytes``) and

* returns ``None`` for an empty or whitespace-only payload: the MQTT "clear retained topic"
  idiom and the apps' empty HTTP POST. There is nothing to store and nothing wrong;
* returns a :class:`Message` (``fix`` is set for ``location`` only);
* or raises :class:`Rejected`, whose ``reason`` is short, specific and fit to show a user.

It raises nothing else, whatever the bytes (a hypothesis test holds it to that).

``parse_batch(...)`` does the same for a payload that may also be a JSON array of messages
(the json-schema's ``messages.json``; phones do not send arrays, other producers might). It
returns one entry per message, a :class:`Message` or the :class:`Rejected` that refused it,
so one bad element never loses the good ones; it raises only when the payload as a whole is
unusable (too large, not UTF-8, not JSON, too deep, unusable encryption).

Lenient like the phones and the OwnTracks Recorder (the json-schema is stricter):

* unknown keys are kept; numeric strings in ``tst wtst created_at from to lat lon acc`` are
  converted to numbers *in* ``payload`` (``raw`` keeps the text as received);
* missing ``acc alt vel cog batt`` give ``None``; an out-of-range optional value is dropped
  from the fix with a note, never a reason to lose the position;
* Android's bare Last Will ``{"_type":"lwt"}`` is accepted (the caller records receive time);
  a location without ``tst`` gets ``now`` with a note, as the Recorder does;
* a card with a face that is not base64 keeps its name; the face is dropped with a note.

Strict where bad data would poison the store:

* payloads over ``max_bytes`` are refused before parsing; invalid UTF-8 is refused with the
  byte position; JSON must be one object (no NaN/Infinity, no lone surrogates, at most
  ``MAX_DEPTH`` levels of nesting);
* ``_type`` is required and must be known; ``lat`` in [-90, 90], ``lon`` in [-180, 180],
  finite numbers only, a JSON ``true`` is not a number;
* every ``tst`` present must be positive and at most one day after ``now`` (the
  ``tst: 1000`` of some json-schema examples is accepted, as the schema accepts it; the
  trip engine's cleaning decides what an implausible date means);
* ``cmd`` is kept as an event when its ``action`` is one the schema knows, and refused
  otherwise ("phones do not send commands to the gateway"): phones never send commands,
  but a schema-valid one does no harm and is kept like any other message;
* ``request`` (tours) must be a valid ``tour``/``tours``/``untour``; ``steps`` needs
  ``from``, ``steps``, ``to`` and ``tst``; ``transition`` needs ``tst`` and an ``event``.

Encryption (``_type: encrypted``) is libsodium secretbox (XSalsa20-Poly1305) as the apps do
it: key = the passphrase's UTF-8 bytes cut or zero-padded to 32, ``data`` = base64(nonce24 +
box). The decrypted plaintext is parsed like a clear payload and is what ``Message.raw``
holds; ``Message.decrypted`` is then true.

Also here: :func:`parse_topic` (MQTT topic -> user, device, subtopic) and
:func:`device_configuration` / :func:`config_link` to provision a phone with one QR code.
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import nacl.exceptions
import nacl.secret

from carbon.fix import Fix

from .payload import (MAX_DEPTH, Rejected, check_timestamp, dump, json_kind, load_json,
                      optional_number, payload_text, show, to_int, to_number)

__all__ = [
    "MAX_BYTES", "MAX_DEPTH", "Rejected", "Fix", "Message", "parse_payload", "parse_batch",
    "decrypt", "encrypt", "parse_topic", "device_configuration", "config_link",
    "to_number", "check_timestamp",
]

MAX_BYTES = 512 * 1024      # a card face or a POI image fits; a runaway body does not
KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE
_NONCE_AND_MAC = nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES

_MOTION_IGNORED = ("stationary", "unknown")   # not a transport mode
_TOUR_REQUESTS = ("tour", "tours", "untour")




@dataclass(slots=True)
class Message:
    """One accepted OwnTracks message.

    ``payload`` is the decoded JSON object with unknown keys kept and numeric strings
    converted; ``raw`` the JSON text as received (the plaintext if it was encrypted);
    ``fix`` the position, for ``location`` only (``vel`` in m/s, ``raw`` = ``raw``);
    ``notes`` non-fatal remarks worth logging ("card face dropped: not base64").
    """

    type: str
    payload: dict
    raw: str
    decrypted: bool = False
    fix: Fix | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ts(self) -> int | None:
        """The message's own time (``tst``), or None: the caller then uses receive time."""
        tst = self.payload.get("tst")
        return tst if isinstance(tst, int) else None


# ---------------------------------------------------------------------------------------
# Entry points


def parse_payload(data: bytes, *, key: bytes | str | None = None, now: float | None = None,
                  max_bytes: int = MAX_BYTES) -> Message | None:
    """Parse one payload; None for an empty one; raises Rejected (see module docstring)."""
    now = time.time() if now is None else now
    text = payload_text(data, max_bytes)
    if text is None:
        return None
    value = load_json(text)
    if isinstance(value, list):
        raise Rejected(f"JSON array of {len(value)} message(s): one object per payload expected")
    return _parse_object(value, text, key=key, now=now, decrypted=False)


def parse_batch(data: bytes, *, key: bytes | str | None = None, now: float | None = None,
                max_bytes: int = MAX_BYTES) -> list[Message | Rejected]:
    """Parse a payload holding one object or a JSON array of them (also encrypted).

    Returns one entry per message ([] for an empty payload or array). For array elements
    ``raw`` is the element re-serialised, since there is no text of its own to keep.
    """
    now = time.time() if now is None else now
    text = payload_text(data, max_bytes)
    if text is None:
        return []
    value = load_json(text)
    decrypted = False
    if _is_envelope(value):  # an encrypted array is one envelope around the whole array
        text = _open_envelope(value, key)
        value, decrypted = load_json(text), True
    if not isinstance(value, list):
        return [_entry(value, text, key, now, decrypted)]
    return [_entry(item, dump(item), key, now, decrypted) for item in value]


def _entry(value, raw: str, key, now: float, decrypted: bool) -> Message | Rejected:
    try:
        return _parse_object(value, raw, key=key, now=now, decrypted=decrypted)
    except Rejected as exc:
        return exc


def _parse_object(value, raw: str, *, key, now: float, decrypted: bool) -> Message:
    if not isinstance(value, dict):
        raise Rejected(f"JSON {json_kind(value)} where a message object was expected")
    if "_type" not in value:
        raise Rejected("no _type")
    mtype = value["_type"]
    if not isinstance(mtype, str):
        raise Rejected(f"_type is not a string: {show(mtype)}")
    if mtype == "encrypted":
        if decrypted:
            raise Rejected("encrypted payload inside an encrypted payload")
        plaintext = _open_envelope(value, key)
        inner = load_json(plaintext)
        if isinstance(inner, list):
            raise Rejected("encrypted payload holds a JSON array: one object per payload expected")
        return _parse_object(inner, plaintext, key=None, now=now, decrypted=True)
    check = _CHECKS.get(mtype)
    if check is None:
        raise Rejected(f"unknown _type {show(mtype)}")
    notes: list[str] = []
    if mtype == "cmd":  # judged on its action before any detail of it
        _check_cmd(value, now, notes)
    if "tst" in value:  # every tst present must be plausible, whatever the type
        value["tst"] = check_timestamp(to_int(value["tst"], "tst"), now)
    fix = check(value, now, notes)
    if fix is not None:
        fix.raw = raw
    return Message(type=mtype, payload=value, raw=raw, decrypted=decrypted, fix=fix, notes=notes)


# ---------------------------------------------------------------------------------------
# Bytes -> JSON value
















# ---------------------------------------------------------------------------------------
# Numbers and times (also used by receivers.osmand)










def _coordinates(p: dict, what: str, *, required: bool) -> bool:
    """Convert and range-check lat/lon in place; False when optional and both absent."""
    missing = [name for name in ("lat", "lon") if name not in p]
    if len(missing) == 2 and not required:
        return False
    if missing:
        raise Rejected(f"{what} without {' and '.join(missing)}")
    for name, limit in (("lat", 90), ("lon", 180)):
        number = to_number(p[name], name)
        if not -limit <= number <= limit:
            raise Rejected(f"{name} out of range: {show(p[name])}")
        p[name] = number
    return True


def _optional(p: dict, name: str, low: float, high: float, notes: list[str]) -> float | None:
    return optional_number(p.get(name), name, low, high, notes)




# ---------------------------------------------------------------------------------------
# Per-type checks: each may convert fields in place, returns a fix for locations only.


def _check_location(p: dict, now: float, notes: list[str]) -> Fix:
    _coordinates(p, "location", required=True)
    if "acc" in p:
        p["acc"] = _convert_if_numeric(p["acc"])
    if "tst" in p:
        ts = p["tst"]
    else:
        ts = int(now)
        notes.append("location without tst: receive time used")
    acc = _optional(p, "acc", 0, 1e6, notes)
    vel = _optional(p, "vel", 0, 2000, notes)     # km/h; 2000 is beyond any airliner
    batt = _optional(p, "batt", 0, 100, notes)
    return Fix(
        ts=ts, lat=p["lat"], lon=p["lon"],
        acc=acc or None,                          # the apps leave acc out when 0: unknown
        alt=_optional(p, "alt", -1000, 50000, notes),
        vel=None if vel is None else vel / 3.6,   # OwnTracks sends km/h, fixes hold m/s
        cog=_optional(p, "cog", 0, 360, notes),
        batt=None if batt is None else round(batt),
        activity=_activity(p.get("motionactivities"), notes),
    )


def _activity(motion, notes: list[str]) -> str | None:
    """iOS motionactivities: the first one that is a way of moving, as a hint."""
    if motion is None:
        return None
    if not isinstance(motion, list):
        notes.append(f"motionactivities is not an array: {show(motion)}: ignored")
        return None
    for item in motion:
        if isinstance(item, str) and item and item not in _MOTION_IGNORED:
            return item
    return None


def _check_transition(p: dict, now: float, notes: list[str]) -> None:
    if "tst" not in p:
        raise Rejected("transition without tst")
    event = p.get("event")
    if not isinstance(event, str) or event.lower() not in ("enter", "leave"):
        what = "without event" if event is None else f"event is not enter/leave: {show(event)}"
        raise Rejected(f"transition {what}")
    if "desc" in p and not isinstance(p["desc"], str):
        raise Rejected(f"transition desc is not a string: {show(p['desc'])}")
    _coordinates(p, "transition", required=False)
    if "wtst" in p:
        p["wtst"] = to_int(p["wtst"], "wtst")
    if "acc" in p:
        p["acc"] = _convert_if_numeric(p["acc"])
    _convert_created_at(p)
    return None


def _check_waypoint(p: dict, now: float, notes: list[str]) -> None:
    if "desc" in p and not isinstance(p["desc"], str):
        raise Rejected(f"waypoint desc is not a string: {show(p['desc'])}")
    _coordinates(p, "waypoint", required=False)
    return None


def _check_waypoints(p: dict, now: float, notes: list[str]) -> None:
    items = p.get("waypoints")
    if items is None:
        return None
    if not isinstance(items, list):
        raise Rejected(f"waypoints is not an array: {show(items)}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Rejected(f"waypoints[{i}] is not an object: {show(item)}")
    return None


def _check_card(p: dict, now: float, notes: list[str]) -> None:
    if "name" in p and not isinstance(p["name"], str):
        notes.append(f"card name dropped: not a string: {show(p.pop('name'))}")
    if "face" in p and not _is_base64(p["face"]):
        del p["face"]  # the name alone is still worth showing
        notes.append("card face dropped: not base64")
    return None


def _check_steps(p: dict, now: float, notes: list[str]) -> None:
    missing = [name for name in ("from", "steps", "to", "tst") if name not in p]
    if missing:
        raise Rejected(f"steps without {', '.join(missing)}")
    for name in ("from", "to", "steps"):
        p[name] = to_int(p[name], name)
    return None


def _check_request(p: dict, now: float, notes: list[str]) -> None:
    """iOS tours requests: stored as events; a malformed one is refused by name."""
    request = p.get("request")
    if request not in _TOUR_REQUESTS:
        what = "request message without request" if request is None else (
            f"unknown request {show(request)}")
        raise Rejected(f"{what} (expected tour, tours or untour)")
    if request == "tour":
        _check_tour(p.get("tour"))
    elif request == "untour":
        _check_uuid(p.get("uuid"))
    return None


def _check_tour(tour) -> None:
    if not isinstance(tour, dict):
        raise Rejected("tour request without a tour object")
    if not isinstance(tour.get("label"), str) or not tour["label"].strip():
        raise Rejected("tour without label")
    bounds = [_tour_time(tour.get(name), name) for name in ("from", "to")]
    if bounds[0] >= bounds[1]:
        raise Rejected("tour ends before it starts")


def _tour_time(value, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except (TypeError, ValueError):
        raise Rejected(f"tour {name} is not a date-time: {show(value)}") from None


def _check_uuid(value) -> None:
    if value is None:
        raise Rejected("untour without uuid")
    try:
        canonical = str(uuid.UUID(value)) == value.lower()
    except (AttributeError, TypeError, ValueError):
        canonical = False
    if not canonical:
        raise Rejected(f"untour uuid is not a UUID: {show(value)}")


CMD_ACTIONS = ("action", "clearWaypoints", "dump", "reportLocation", "reportSteps",
               "response", "setConfiguration", "setWaypoints", "status", "waypoints")


def _check_cmd(p: dict, now: float, notes: list[str]) -> None:
    action = p.get("action")
    if action in CMD_ACTIONS:
        return
    what = "without action" if action is None else f"with unknown action {show(action)}"
    raise Rejected(f"phones do not send commands to the gateway (cmd {what})")


def _accept(p: dict, now: float, notes: list[str]) -> None:
    """lwt, status, dump, beacon, configuration: kept as they came (tst already checked)."""
    _convert_created_at(p)
    return None


def _convert_if_numeric(value):
    try:
        return to_number(value, "")
    except Rejected:
        return value  # left as sent: the fix ignores it with a note


def _convert_created_at(p: dict) -> None:
    if "created_at" in p:
        p["created_at"] = _convert_if_numeric(p["created_at"])


_CHECKS = {
    "location": _check_location,
    "transition": _check_transition,
    "waypoint": _check_waypoint,
    "waypoints": _check_waypoints,
    "card": _check_card,
    "steps": _check_steps,
    "request": _check_request,
    "cmd": _check_cmd,
    "lwt": _accept,
    "status": _accept,
    "dump": _accept,
    "beacon": _accept,
    "configuration": _accept,
}


# ---------------------------------------------------------------------------------------
# Encryption


def _is_envelope(value) -> bool:
    return isinstance(value, dict) and value.get("_type") == "encrypted"


def _open_envelope(envelope: dict, key) -> str:
    """The plaintext JSON text of an ``encrypted`` message."""
    if "data" not in envelope:
        raise Rejected("encrypted payload without data")
    data = envelope["data"]
    if not isinstance(data, str):
        raise Rejected(f"encrypted payload: data is not a string: {show(data)}")
    plaintext = decrypt(data, key)
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(f"decrypted payload is not UTF-8: byte at position {exc.start}") from None
    if not text.strip():
        raise Rejected("decrypted payload is empty")
    return text


def decrypt(data_b64: str, key: bytes | str | None) -> bytes:
    """Open an OwnTracks ``data`` field: base64(nonce24 + secretbox); trailing NULs stripped.

    Raises Rejected: not base64, no key, too short, wrong key or corrupted data.
    """
    box = _b64decode(data_b64)
    if box is None:
        raise Rejected("encrypted payload: data is not base64")
    secret = _secret_key(key)
    if secret is None:
        raise Rejected("encrypted payload but no key for this device")
    if len(box) < _NONCE_AND_MAC:
        raise Rejected(f"cannot decrypt: data too short ({len(box)} bytes)")
    try:
        plaintext = nacl.secret.SecretBox(secret).decrypt(box)
    except nacl.exceptions.CryptoError:
        raise Rejected("cannot decrypt: wrong key or corrupted data") from None
    return plaintext.rstrip(b"\x00")  # C producers include the string's terminator


def encrypt(plaintext: bytes, key: bytes | str) -> str:
    """The ``data`` field the apps would send for ``plaintext`` (random nonce)."""
    secret = _secret_key(key)
    if secret is None:
        raise ValueError("an empty key does not encrypt")
    return base64.b64encode(bytes(nacl.secret.SecretBox(secret).encrypt(plaintext))).decode("ascii")


def _secret_key(key: bytes | str | None) -> bytes | None:
    """The apps' key: passphrase UTF-8 bytes, cut or zero-padded to 32. Empty = no key."""
    if not key:
        return None
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    return raw[:KEY_BYTES].ljust(KEY_BYTES, b"\x00")


def _b64decode(text) -> bytes | None:
    if not isinstance(text, str):
        return None
    compact = "".join(text.split())  # tolerate line-wrapped base64
    compact += "=" * (-len(compact) % 4)  # and missing padding
    try:
        return base64.b64decode(compact, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        return None


def _is_base64(value) -> bool:
    return _b64decode(value) is not None


# ---------------------------------------------------------------------------------------
# MQTT topics


def parse_topic(topic: str) -> tuple[str, str, str]:
    """``owntracks/jane/phone/event`` -> ``('jane', 'phone', 'event')``.

    As the Recorder: a leading ``/`` is tolerated, the first level is the prefix whatever its
    name, user and device are lower-cased, the rest is the subtopic ('' for the base topic).
    """
    levels = topic.removeprefix("/").split("/")
    if len(levels) < 3:
        raise Rejected(f"topic needs at least 3 levels (prefix/user/device): {show(topic)}")
    user, device = levels[1].lower(), levels[2].lower()
    if not user or not device:
        raise Rejected(f"topic has an empty user or device level: {show(topic)}")
    if any(c in topic for c in "+#"):
        raise Rejected(f"topic has an MQTT wildcard: {show(topic)}")
    return user, device, "/".join(levels[3:])


# ---------------------------------------------------------------------------------------
# Provisioning


def device_configuration(mode: str, host: str, port: int, user: str, device: str,
                         password: str | None, tid: str | None, url: str | None = None,
                         encryption_key: str | None = None, tls: bool = False,
                         topic: str | None = None) -> dict:
    """An OwnTracks ``_type: configuration`` object for one member's phone.

    ``mode`` is ``'mqtt'`` or ``'http'``; in HTTP mode ``url`` defaults to ``/pub`` on
    host:port. ``user`` is the login (MQTT username, HTTP Basic auth); ``topic`` the exact
    base topic to publish to, needed when the login is not a plain name (``jane/phone``),
    else ``owntracks/<user>/<device>``. ``tid`` defaults to the device's last 2 characters.
    """
    if mode not in ("mqtt", "http"):
        raise ValueError(f"mode must be 'mqtt' or 'http', not {mode!r}")
    if not user or not device:
        raise ValueError("user and device must be non-empty")
    if topic is None and "/" in user + device:
        raise ValueError("pass topic= when the user or device name contains '/'")
    if topic is not None and len(topic.strip("/").split("/")) < 3:
        raise ValueError(f"topic needs 3 levels (prefix/user/device): {topic!r}")
    tid = tid if tid is not None else device[-2:]
    if not 1 <= len(tid) <= 2:
        raise ValueError(f"tid must be 1 or 2 characters, not {tid!r}")
    if mode == "http" and url is None:
        url = f"{'https' if tls else 'http'}://{host}:{port}/pub"
    conf = {
        "_type": "configuration",
        "mode": 0 if mode == "mqtt" else 3,
        "host": host,
        "port": int(port),
        "tls": bool(tls),
        "auth": bool(password),
        "username": user,
        "password": password or "",
        "deviceId": device,
        "tid": tid,
        "clientId": "-".join(topic.strip("/").split("/")[1:]) if topic else f"{user}-{device}",
        "pubTopicBase": topic or "owntracks/%u/%d",
        "subTopic": "owntracks/+/+",      # the household's members see each other
        "pubQos": 1,                       # at least once, acknowledged after commit
        # Friends at QoS 0: the broker queues nothing for a phone that is switched off. At
        # QoS 1 it would hold every household message for it, and since it saves its whole
        # database after every change (docs/operations.md), a phone off for a day would make
        # it write gigabytes. Friends' last positions and cards are retained: a phone gets
        # them when it subscribes again.
        "subQos": 0,
        "pubRetain": True,                 # friends see the last position on connect
        "cleanSession": False,             # the broker queues for us while we restart
        "monitoring": 1,                   # significant changes: the battery-friendly mode
        "extendedData": True,              # batt, conn, motionactivities: mode hints
        # Trip detection needs a point every ~100 m on the move; the apps' 500 m default
        # misses short walks and bike rides, which matter most for the CO2 picture.
        "locatorDisplacement": 100,
        "locatorInterval": 60,
    }
    if url:
        conf["url"] = url
    if encryption_key:
        conf["encryptionKey"] = encryption_key
    return conf


def config_link(conf: dict) -> str:
    """``owntracks:///config?inline=<base64>``: one tap (or one QR scan) configures the app.

    Standard base64 as in the OwnTracks booklet; neither app turns '+' into a space here.
    """
    text = json.dumps(conf, ensure_ascii=False, separators=(",", ":"))
    return "owntracks:///config?inline=" + base64.b64encode(text.encode("utf-8")).decode("ascii")


# ---------------------------------------------------------------------------------------
# Small helpers for reasons










