"""OsmAnd / Traccar Client positions -> fixes, or a specific rejection. Pure: no I/O.

The "OsmAnd protocol" is what Traccar's port 5055 speaks; OsmAnd's online tracking and the
Traccar Client apps send it over HTTP, in one of two forms:

``parse_params(params, *, now=None, speed_unit="auto", notes=None) -> Fix``
    Query or form parameters (OsmAnd, Traccar Client before 9). ``params`` is a mapping
    (first value wins for repeated names; aiohttp's MultiDict works) or a raw query string.
    Identity is the caller's business (it authenticates the device): :func:`parse_id`
    reads ``id``/``deviceid``, ``user/device`` or just ``device``. ``lat``, ``lon`` (or
    ``location=lat,lon``) are required; ``timestamp`` is epoch seconds, epoch milliseconds or
    ISO 8601 (missing: ``now``, with a note); ``altitude`` m, ``bearing``/``heading`` degrees,
    ``batt`` %, ``accuracy`` m (else ``hdop``, which OsmAnd fills with its accuracy in
    metres), ``speed`` (see "Speed" below); ``valid=false`` refuses the fix. Non-fatal remarks (a value
    dropped) are appended to ``notes`` when a list is given. ``raw`` is left to the caller,
    which knows what must not be kept (a ``secret`` parameter).
    Raises :class:`~receivers.owntracks.Rejected` on anything unusable.

``parse_json(data, *, now=None, max_bytes=MAX_JSON_BYTES) -> TraccarBody``
    The JSON body of Traccar Client 9+: ``{"device_id": ..., "location": {...} or [...]}``
    with ``coords`` (speed in m/s), an ISO ``timestamp``, ``battery.level`` 0..1 and an
    ``activity.type``. ``entries`` has one Fix (``raw`` = that location's JSON) or
    Rejected per location, so one bad location never loses the others; raises Rejected
    only when the body as a whole is unusable.

Speed. Three apps speak the query form, in two units. Traccar defines ``speed`` in knots and
Traccar Client (Android, iOS before 9) sends knots (``Position.kt``: ``location.speed *
1.943844``); OsmAnd's online tracking fills its ``{5}`` with ``Location.getSpeed()``, m/s
(``LiveMonitoringHelper.java``; traccar/traccar#3487: Traccar shows half the speed), as
GPSLogger's ``%SPD`` does (mendhak/gpslogger#1094). ``speed_unit="auto"`` tells OsmAnd by
its whole signature (``speed_unit_of``: only its template's names, its ``{3}`` ``hdop`` or
its ``{2}`` timestamp in epoch milliseconds, none in seconds) and reads knots otherwise;
GPSLogger cannot be told from Traccar Client, hence the setting (``ingest.osmand_speed_unit``:
"kn", "m/s" or "km/h" whatever the request). The JSON body's speed is m/s.

Values are checked as for OwnTracks (same ranges, same plausible-time window: after
2000-01-01, at most a day ahead of ``now``); an unusable optional value is dropped from the
fix with a note. ``activity`` uses the iOS motion vocabulary (walking, running, cycling,
automotive) so the trip engine sees one set of names whatever the phone app.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from carbon.fix import Fix

from .payload import (Rejected, check_timestamp, dump, load_json, optional_number, payload_text,
                      show, to_number)

__all__ = ["Rejected", "Fix", "TraccarBody", "parse_params", "parse_id", "parse_json",
           "SPEED_UNITS", "AUTO", "speed_unit_of", "MAX_JSON_BYTES"]

SPEED_UNITS = {"kn": 1852 / 3600, "m/s": 1.0, "km/h": 1 / 3.6}  # -> m/s
AUTO = "auto"                # knots, unless the request is OsmAnd's own (speed_unit_of)
MAX_JSON_BYTES = 64 * 1024   # one location is ~1 KiB; a sync batch stays well under this
MAX_SPEED_MS = 556           # 2000 km/h, as for OwnTracks
# Google/transistorsoft activity names -> the iOS names OwnTracks' motionactivities use.
_ACTIVITIES = {"in_vehicle": "automotive", "on_bicycle": "cycling", "on_foot": "walking",
               "walking": "walking", "running": "running"}


@dataclass(slots=True)
class TraccarBody:
    """A Traccar Client JSON body: who sent it (``user`` None when the id is only a device)."""

    user: str | None
    device: str
    entries: list[Fix | Rejected]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Query / form parameters


def parse_params(params: Mapping | str, *, now: float | None = None, speed_unit: str = AUTO,
                 notes: list[str] | None = None) -> Fix:
    """One fix from OsmAnd/Traccar parameters; raises Rejected (see module docstring)."""
    now = time.time() if now is None else now
    if speed_unit != AUTO and speed_unit not in SPEED_UNITS:
        raise ValueError(f"speed_unit must be {AUTO!r} or one of {sorted(SPEED_UNITS)}")
    p = _first_values(params)
    if speed_unit == AUTO:
        speed_unit = speed_unit_of(p)
    if str(p.get("valid", "true")).strip().lower() in ("false", "0"):
        raise Rejected("fix marked invalid by the device (valid=false)")
    lat, lon = _position(p)
    notes = [] if notes is None else notes
    speed = optional_number(p.get("speed"), "speed", 0, MAX_SPEED_MS / SPEED_UNITS[speed_unit],
                            notes)
    return Fix(
        ts=_timestamp(p.get("timestamp"), now, notes),
        lat=lat, lon=lon,
        acc=_accuracy(p, notes),
        alt=optional_number(p.get("altitude"), "altitude", -1000, 50000, notes),
        vel=None if speed is None else speed * SPEED_UNITS[speed_unit],
        cog=optional_number(_either(p, "bearing", "heading"), "bearing", 0, 360, notes),
        batt=_battery(optional_number(p.get("batt"), "batt", 0, 100, notes)),
    )


# The names OsmAnd's online-tracking template fills ({0} lat .. {10} edfa; Traccar's OsmAnd
# page: id, lat, lon, timestamp, hdop, altitude, speed; bearing {6}), and the gateway's own.
OSMAND_NAMES = frozenset({"id", "deviceid", "secret", "lat", "lon", "timestamp", "hdop",
                          "altitude", "speed", "bearing", "eta", "etfa", "eda", "edfa"})


def speed_unit_of(p: dict) -> str:
    """The unit of a query's ``speed`` (lower-cased names, as ``_first_values`` gives them):
    m/s from OsmAnd's online tracking, by its whole signature: only the names its template
    fills (no ``accuracy``, ``batt``, ``satellites``...: an ESP32 TraccarClient library sends
    ``hdop``, ms and knots with ``accuracy``; OpenWrt gpoint ``hdop`` and km/h with
    ``satellites``), a ``hdop`` or a millisecond timestamp, and never a timestamp in seconds
    (OsmAnd's {2} is ms). Knots, Traccar's own unit and Traccar Client's, otherwise."""
    if not set(p) <= OSMAND_NAMES:
        return "kn"
    try:
        stamp = float(p["timestamp"]) if p.get("timestamp") not in (None, "") else None
    except (TypeError, ValueError):
        stamp = None
    ms = stamp is not None and 1e11 < stamp < 1e15     # milliseconds, as _timestamp reads them
    if stamp is not None and not ms:
        return "kn"
    return "m/s" if ms or p.get("hdop") not in (None, "") else "kn"


def parse_id(params: Mapping | str) -> tuple[str | None, str]:
    """The sender named by ``id`` (or ``deviceid``): ``(user, device)``, lower-cased;
    ``user`` is None when the id names only a device. Raises Rejected."""
    p = _first_values(params)
    return _identity(p.get("id") or p.get("deviceid"))


def _first_values(params: Mapping | str) -> dict:
    """Parameter name (lower-cased) -> its first value."""
    if isinstance(params, str):
        pairs = parse_qsl(params.removeprefix("?"), keep_blank_values=True)
    else:
        pairs = params.items()
    result: dict = {}
    for name, value in pairs:
        if isinstance(value, (list, tuple)):  # parse_qs style
            value = value[0] if value else ""
        result.setdefault(str(name).lower(), value)
    return result


def _identity(device_id) -> tuple[str | None, str]:
    """``jane/phone`` -> ('jane', 'phone'); ``phone`` -> (None, 'phone'); lower-cased."""
    if device_id is None or not str(device_id).strip():
        raise Rejected("no id: the device must send id=<user>/<device> or id=<device>")
    text = str(device_id).strip().lower()
    if len(text) > 100:
        raise Rejected(f"id too long: {len(text)} characters")
    parts = text.split("/")
    if len(parts) > 2 or not all(parts):
        raise Rejected(f"id must be <user>/<device> or <device>: {show(text)}")
    return (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def _position(p: dict) -> tuple[float, float]:
    lat, lon = p.get("lat"), p.get("lon")
    if lat is None and lon is None and p.get("location") is not None:
        lat, _, lon = str(p["location"]).partition(",")  # Traccar's location=lat,lon
    missing = [name for name, v in (("lat", lat), ("lon", lon)) if v is None or v == ""]
    if missing:
        raise Rejected(f"position without {' and '.join(missing)}")
    return _coordinate(lat, "lat", 90), _coordinate(lon, "lon", 180)


def _coordinate(value, name: str, limit: float) -> float:
    number = to_number(value, name)
    if not -limit <= number <= limit:
        raise Rejected(f"{name} out of range: {show(value)}")
    return number


def _timestamp(value, now: float, notes: list[str]) -> int:
    """Epoch s, epoch ms or ISO 8601 -> epoch s, within the plausible window."""
    if value is None or str(value).strip() == "":
        notes.append("no timestamp: receive time used")
        return int(now)
    try:
        number = to_number(value, "timestamp")
    except Rejected:
        ts = _iso_timestamp(str(value))
    else:
        # Epoch seconds stay below 1e11 until the year 5138; milliseconds are above it
        # (up to 1e15, past which it is no time at all and the window check refuses it).
        ts = int(number / 1000) if 1e11 < number < 1e15 else int(number)
    return check_timestamp(ts, now, "timestamp")


def _iso_timestamp(text: str) -> int:
    text = text.strip()
    for candidate in (text, _restore_plus(text)):
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if moment.tzinfo is None:  # Traccar reads zone-less times as UTC
            moment = moment.replace(tzinfo=timezone.utc)
        return int(moment.timestamp())
    raise Rejected(f"timestamp is not epoch seconds, milliseconds or ISO 8601: {show(text)}")


def _restore_plus(text: str) -> str:
    """An unencoded '+' in a query string arrives as a space: '...12:00:00 02:00'."""
    head, sep, zone = text.rpartition(" ")
    return f"{head}+{zone}" if sep and "T" in head and ":" in zone else text


def _accuracy(p: dict, notes: list[str]) -> float | None:
    value = p.get("accuracy")
    name = "accuracy"
    if value is None or value == "":
        value, name = p.get("hdop"), "hdop"
    return optional_number(value, name, 0, 1e6, notes) or None  # 0 means unknown


def _either(p: dict, *names: str):
    return next((p[n] for n in names if p.get(n) not in (None, "")), None)


def _battery(percent: float | None) -> int | None:
    return None if percent is None else round(percent)


# ---------------------------------------------------------------------------------------
# JSON (Traccar Client 9+)


def parse_json(data: bytes, *, now: float | None = None,
               max_bytes: int = MAX_JSON_BYTES) -> TraccarBody:
    """Fixes from a Traccar Client JSON body (see module docstring)."""
    now = time.time() if now is None else now
    text = payload_text(data, max_bytes)
    if text is None:
        raise Rejected("empty body: no location")
    body = load_json(text)
    if not isinstance(body, dict):
        raise Rejected("JSON body is not an object")
    user, device = _identity(body.get("device_id"))
    locations = body.get("location")
    if isinstance(locations, dict):
        locations = [locations]
    if not isinstance(locations, list):
        raise Rejected("JSON body without location")
    notes: list[str] = []
    entries = [_json_entry(item, now, notes) for item in locations]
    return TraccarBody(user=user, device=device, entries=entries, notes=notes)


def _json_entry(item, now: float, notes: list[str]) -> Fix | Rejected:
    try:
        return _json_location(item, now, notes)
    except Rejected as exc:
        return exc


def _json_location(item, now: float, notes: list[str]) -> Fix:
    if not isinstance(item, dict) or not isinstance(item.get("coords"), dict):
        raise Rejected("location without coords")
    coords = item["coords"]
    lat, lon = _position({"lat": coords.get("latitude"), "lon": coords.get("longitude")})
    if item.get("timestamp") is None:
        raise Rejected("location without timestamp")
    # The SDK reports -1 for "unknown" speed, heading and battery: not worth a note.
    speed = optional_number(_known(coords.get("speed")), "speed", 0, MAX_SPEED_MS, notes)
    return Fix(
        ts=_timestamp(item["timestamp"], now, notes),
        lat=lat, lon=lon,
        acc=optional_number(coords.get("accuracy"), "accuracy", 0, 1e6, notes) or None,
        alt=optional_number(coords.get("altitude"), "altitude", -1000, 50000, notes),
        vel=speed,
        cog=optional_number(_known(coords.get("heading")), "heading", 0, 360, notes),
        batt=_battery(_json_battery(item.get("battery"), notes)),
        activity=_json_activity(item.get("activity")),
        raw=dump(item),
    )


def _known(value):
    return None if isinstance(value, (int, float)) and value == -1 else value


def _json_battery(battery, notes: list[str]) -> float | None:
    if not isinstance(battery, dict):
        return None
    level = optional_number(_known(battery.get("level")), "battery level", 0, 1, notes)
    return None if level is None else level * 100


def _json_activity(activity) -> str | None:
    kind = activity.get("type") if isinstance(activity, dict) else None
    return _ACTIVITIES.get(kind) if isinstance(kind, str) else None
