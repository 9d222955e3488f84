"""Read side of the OwnTracks-Recorder-compatible API: who may see what, and the location
objects the Recorder would have produced (its "enrichment", owntracks.md 3.3).

Everything here takes the *viewer's* member id and answers only with data of members the
viewer may see (``accounts.visible_member_ids``). A name the viewer may not see is treated
exactly like a name that does not exist, so the answers do not even reveal who exists.

The web layer (``webui.recorder_api``) only parses requests and formats these objects.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from carbon.times import iso_utc

from .. import accounts

GEOHASH_PRECISION = 7  # the Recorder's default: cells of about 153 m x 153 m
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
# Values that come from the cleaned fix columns, never from the raw JSON: the raw text keeps
# what the phone sent (numeric strings, out-of-range values the parser dropped).
_FIX_KEYS = ("acc", "alt", "cog", "batt")


# ----- small encoders


def geohash(lat: float, lon: float, precision: int = GEOHASH_PRECISION) -> str:
    """Standard geohash (precision 1-12). Repeated halving of the longitude and latitude
    ranges is the same as taking the leading bits of each coordinate scaled to [0, 1):
    quantise both, interleave the bits (longitude first), read 5 bits per character. It is
    computed for every exported point, so this avoids a Python loop per bit."""
    bits = 5 * precision
    lon_bits, lat_bits = (bits + 1) // 2, bits // 2
    x = min(int((lon + 180.0) / 360.0 * (1 << lon_bits)), (1 << lon_bits) - 1)
    y = min(int((lat + 90.0) / 180.0 * (1 << lat_bits)), (1 << lat_bits) - 1)
    # The last bit is a longitude bit when the count is odd, a latitude bit when even.
    code = _spread(x) | (_spread(y) << 1) if bits % 2 else (_spread(x) << 1) | _spread(y)
    return "".join(_BASE32[(code >> (5 * i)) & 31] for i in range(precision - 1, -1, -1))


def _spread(v: int) -> int:
    """Put the bits of a 32-bit value on the even positions of a 64-bit one."""
    v &= 0xFFFFFFFF
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    return (v | (v << 1)) & 0x5555555555555555


def household_zone(name: str | None) -> ZoneInfo | None:
    """The household's time zone, or None when the configured name is not a known zone
    (then ``tzname``/``isolocal`` are left out rather than wrong)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _number(value):
    """Integral floats become ints: the apps send integers and clients compare with them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ----- who and what the viewer may see


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the enrichment needs to know about a device (from devices + members)."""

    id: int
    member_id: int
    username: str
    device: str
    tid: str
    name: str | None
    face: str | None

    @property
    def topic(self) -> str:
        return f"owntracks/{self.username}/{self.device}"


_DEVICE_INFO_SQL = (
    "SELECT d.id, d.member_id, m.name AS username, d.name AS device, d.tid, d.card_name, "
    "d.card_face, m.display_name FROM devices d JOIN members m ON m.id = d.member_id ")


def _device_info(row) -> DeviceInfo:
    # The card the phone sent wins; else the household name, as the cards we publish say.
    name = row["card_name"] or row["display_name"] or row["username"]
    return DeviceInfo(row["id"], row["member_id"], row["username"], row["device"], row["tid"],
                      name, row["card_face"])


def device_info(conn, device_id: int) -> DeviceInfo | None:
    row = conn.execute(_DEVICE_INFO_SQL + "WHERE d.id = ?", (device_id,)).fetchone()
    return _device_info(row) if row else None


def visible_devices(conn, viewer_id: int, user: str | None = None,
                    device: str | None = None) -> list[DeviceInfo]:
    """The viewer's visible devices, optionally narrowed to one user and/or device name.

    A user the viewer may not see gives the same empty list as a user who does not exist.
    """
    ids = accounts.visible_member_ids(conn, viewer_id)
    sql = _DEVICE_INFO_SQL + f"WHERE d.member_id IN ({','.join('?' * len(ids))})"
    params: list = list(ids)
    if user is not None:
        sql += " AND m.name = ?"
        params.append(user.strip().lower())
    if device is not None:
        sql += " AND d.name = ?"
        params.append(device.strip().lower())
    rows = conn.execute(sql + " ORDER BY m.name, d.name", params)
    return [_device_info(r) for r in rows]


def visible_users(conn, viewer_id: int) -> list[str]:
    ids = accounts.visible_member_ids(conn, viewer_id)
    rows = conn.execute(f"SELECT name FROM members WHERE id IN ({','.join('?' * len(ids))}) "
                        "ORDER BY name", ids)
    return [r[0] for r in rows]


def user_devices(conn, viewer_id: int, user: str) -> list[str]:
    return [d.device for d in visible_devices(conn, viewer_id, user)]


def month_names(conn, device_id: int, to_ts: int | None = None) -> list[str]:
    """The ``YYYY-MM`` months (UTC) in which the device has fixes, oldest first.

    Hops from month to month through the (device_id, ts) index instead of scanning every
    fix: a few dozen index lookups even for years of data.
    """
    out, start = [], None
    while True:
        sql = "SELECT ts FROM fixes WHERE device_id = ?"
        params: list = [device_id]
        if start is not None:
            sql += " AND ts >= ?"
            params.append(start)
        row = conn.execute(sql + " ORDER BY ts LIMIT 1", params).fetchone()
        if row is None or (to_ts is not None and row[0] > to_ts):
            return out
        day = datetime.fromtimestamp(row[0], timezone.utc)
        out.append(f"{day.year:04d}-{day.month:02d}")
        nxt = datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=timezone.utc)
        start = int(nxt.timestamp())


# ----- the location objects


def enrich(fix, info: DeviceInfo, zone: ZoneInfo | None, *, card: bool) -> dict:
    """A stored fix as the Recorder shows it: the phone's own JSON (unknown keys kept)
    overlaid with our cleaned values and the Recorder's added fields.

    ``fix`` is anything with ``ts lat lon acc alt vel cog batt raw`` (a row or a Fix);
    ``card`` adds ``name``/``face`` (the Recorder does so in /last and the websocket only:
    a face in each of 300k history points would be megabytes of repeated base64).
    """
    out = _raw_location(_get(fix, "raw"))
    ts = int(_get(fix, "ts"))
    lat, lon = _get(fix, "lat"), _get(fix, "lon")
    out.update(_type="location", lat=lat, lon=lon, tst=ts)
    for key in _FIX_KEYS:
        value = _get(fix, key)
        if value is None:
            out.pop(key, None)  # the parser found it unusable: do not echo it back
        else:
            out[key] = _number(value)
    vel = _get(fix, "vel")
    if vel is None:
        out.pop("vel", None)
    else:
        out["vel"] = int(round(vel * 3.6))  # stored in m/s, OwnTracks speaks whole km/h
    if not isinstance(out.get("tid"), str) or not out["tid"]:
        out["tid"] = info.tid
    if not isinstance(out.get("inregions"), list):
        out["inregions"] = []  # the web frontend calls .length on it: never null
    iso = iso_utc(ts)
    out.update(username=info.username, device=info.device, topic=info.topic,
               ghash=geohash(lat, lon), isotst=iso, disptst=iso[:10] + " " + iso[11:19])
    _add_local_time(out, ts, zone)
    if card:
        if info.name:
            out["name"] = info.name
        if info.face:
            out["face"] = info.face
    return out


def _get(fix, key):
    """Rows from the store and Fix objects from the live ingest both feed ``enrich``."""
    return fix[key] if isinstance(fix, (dict, sqlite3.Row)) else getattr(fix, key)


def _raw_location(raw) -> dict:
    """The phone's JSON when it is an OwnTracks location; else an empty start (fixes from
    gpsd, OsmAnd or file imports keep other raw shapes, which are not OwnTracks fields)."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if isinstance(value, dict) and value.get("_type") == "location":
        return value
    return {}


def _add_local_time(out: dict, ts: int, zone: ZoneInfo | None) -> None:
    """``tzname``/``isolocal``. The Recorder looks up the zone *at the point*; we have no
    zone polygons on the box, so we use a zone the payload carries (a Recorder import) or
    else the household's zone. Both keys or neither: the frontend shows them together."""
    name = out.get("tzname")
    if isinstance(name, str):
        zone = household_zone(name) or zone
    if zone is None:
        out.pop("tzname", None)
        return
    local = datetime.fromtimestamp(ts, zone)
    out["tzname"] = zone.key
    out["isolocal"] = local.strftime("%Y-%m-%dT%H:%M:%S%z")


def last_locations(conn, viewer_id: int, zone: ZoneInfo | None, *, user: str | None = None,
                   device: str | None = None) -> list[dict]:
    """Each visible device's newest fix by ``tst`` (never by arrival: phones drain queues
    oldest-first, days late), enriched with card name and face."""
    out = []
    for info in visible_devices(conn, viewer_id, user, device):
        row = conn.execute("SELECT * FROM fixes WHERE device_id = ? ORDER BY ts DESC LIMIT 1",
                           (info.id,)).fetchone()
        if row is not None:
            out.append(enrich(row, info, zone, card=True))
    return out


def iter_fixes(conn, info: DeviceInfo, *, from_ts: float | None, to_ts: float | None,
               limit: int | None = None, newest_first: bool = False):
    """The device's stored fixes strictly between ``from_ts`` and ``to_ts`` (the Recorder's
    bounds are exclusive), one row at a time from the cursor: memory stays flat for a year
    of points.

    With ``limit``, the newest ``limit`` fixes; ``newest_first`` orders the output newest
    first (the Recorder's order with ``limit``), else oldest first.
    """
    sql = "SELECT ts, lat, lon, acc, alt, vel, cog, batt, raw FROM fixes WHERE device_id = ?"
    params: list = [info.id]
    if from_ts is not None:
        sql += " AND ts > ?"
        params.append(from_ts)
    if to_ts is not None:
        sql += " AND ts < ?"
        params.append(to_ts)
    if limit is not None:
        sql += " ORDER BY ts DESC LIMIT ?"
        params.append(limit)
        if not newest_first:  # resorting only the selected rows; SQLite spills to disk
            sql = f"SELECT * FROM ({sql}) ORDER BY ts"
    else:
        sql += " ORDER BY ts DESC" if newest_first else " ORDER BY ts"
    return conn.execute(sql, params)


def iter_locations(conn, info: DeviceInfo, zone: ZoneInfo | None, *, from_ts: float | None,
                   to_ts: float | None, limit: int | None = None,
                   newest_first: bool = False) -> Iterator[dict]:
    """``iter_fixes`` as the Recorder's location objects (``enrich``), one at a time."""
    for row in iter_fixes(conn, info, from_ts=from_ts, to_ts=to_ts, limit=limit,
                          newest_first=newest_first):
        yield enrich(row, info, zone, card=False)
