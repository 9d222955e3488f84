"""Read side of the OwnTracks-Recorder-compatible API: who may see what, and the location
objects the Recorder would have produced (its "enrichment", owntracks.md 3.3).

Everything here takes the *viewer's* member id and answers only with data of members the
viewer may see (``accounts.visible_member_ids``). A name the viewer may not see is treated
exactly like a name that does not exist, so the answers do not even reveal who exists.

The web layer (``webui.recorder_api``) only parses requests and formats these objects.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator, NamedTuple
from zoneinfo import ZoneInfo

from carbon.geo import GEOHASH_PRECISION, geohash  # noqa: F401 (part of this module's API)
from carbon.times import iso_utc

from .. import accounts
from ..store.locations import compact, location_base
from .local_time import household_zone, isolocal_sql


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

    Hops from month to month through the (member_id, ts, device_id) index instead of
    reading every fix: a few dozen index lookups even for years of data.
    """
    out, start = [], None
    while True:
        sql = ("SELECT ts FROM fixes WHERE member_id = (SELECT member_id FROM devices "
               "WHERE id = ?) AND device_id = ?")
        params: list = [device_id, device_id]
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
    """A stored fix as the Recorder shows it: ``store.locations.location_base`` (the phone's
    own JSON, unknown keys kept, overlaid with our cleaned values) and the Recorder's added
    fields, in the Recorder's order.

    ``fix`` is anything with ``ts lat lon acc alt vel cog batt raw`` (a row or a Fix);
    ``card`` adds ``name``/``face`` (the Recorder does so in /last and the websocket only:
    a face in each of 300k history points would be megabytes of repeated base64). A
    history builds the same text in SQL (``iter_location_texts``).
    """
    out = location_base(fix, info.tid)
    ts = out["tst"]
    iso = iso_utc(ts)
    out.update(username=info.username, device=info.device, topic=info.topic,
               ghash=geohash(out["lat"], out["lon"]), isotst=iso,
               disptst=iso[:10] + " " + iso[11:19])
    _add_local_time(out, ts, zone)
    if card:
        if info.name:
            out["name"] = info.name
        if info.face:
            out["face"] = info.face
    return out


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
        row = conn.execute("SELECT * FROM fixes WHERE member_id = ? AND device_id = ? "
                           "ORDER BY ts DESC LIMIT 1", (info.member_id, info.id)).fetchone()
        if row is not None:
            out.append(enrich(row, info, zone, card=True))
    return out


# ----- a device's history, streamed
#
# Every reader below takes the same window: the device's fixes strictly between ``from_ts``
# and ``to_ts`` (the Recorder's bounds are exclusive), oldest first; with ``limit`` the
# newest ``limit``, and ``newest_first`` then lists them newest first (the Recorder's order
# with a limit). Rows come one at a time from the cursor: memory stays flat for a year.

_FIX_COLUMNS = "ts, lat, lon, acc, alt, vel, cog, batt, raw"
_ISOTST_SQL = "strftime('%Y-%m-%dT%H:%M:%SZ', ts, 'unixepoch')"
_DISPTST_SQL = "strftime('%Y-%m-%d %H:%M:%S', ts, 'unixepoch')"


def _window(conn, select: str, select_params: list, info: DeviceInfo, *,
            from_ts: float | None, to_ts: float | None, limit: int | None = None,
            newest_first: bool = False):
    """``select`` (which must include ``ts``) over the window, as a cursor."""
    where, bounds = _bounds(info, from_ts, to_ts)
    sql = f"SELECT {select} FROM fixes WHERE {where}"
    params: list = [*select_params, *bounds]
    if limit is not None:
        sql += " ORDER BY ts DESC LIMIT ?"
        params.append(limit)
        if not newest_first:  # resorting only the selected rows; SQLite spills to disk
            sql = f"SELECT * FROM ({sql}) ORDER BY ts"
    else:
        sql += " ORDER BY ts DESC" if newest_first else " ORDER BY ts"
    return conn.execute(sql, params)


def _bounds(info: DeviceInfo, from_ts, to_ts) -> tuple[str, list]:
    """The device's fixes strictly between the bounds (the Recorder's are exclusive)."""
    where, params = "member_id = ? AND device_id = ?", [info.member_id, info.id]
    if from_ts is not None:
        where += " AND ts > ?"
        params.append(from_ts)
    if to_ts is not None:
        where += " AND ts < ?"
        params.append(to_ts)
    return where, params


def iter_fixes(conn, info: DeviceInfo, **window):
    """The stored fixes of the window as rows (``ts lat lon acc alt vel cog batt raw``)."""
    return _window(conn, _FIX_COLUMNS, [], info, **window)


def iter_location_texts(conn, info: DeviceInfo, zone: ZoneInfo | None,
                        **window) -> Iterator[str]:
    """The window's Recorder location objects (``enrich`` without the card) as compact
    JSON text, concatenated in SQL from what was computed when each fix was written
    (``fixes.loc``, ``fixes.ghash``) and the local time (``local_time``). A fix without
    them (stored before migration m0007 and not filled in yet, or whose payload carries a
    key the Recorder adds) comes out NULL and is enriched in Python."""
    expr, params = _location_sql(conn, info, zone, window)
    for text, fix_id, _ in _window(conn, f"{expr}, id, ts", params, info, **window):
        yield text if text is not None else compact(enrich(_fix(conn, fix_id), info, zone,
                                                           card=False))


def iter_locations(conn, info: DeviceInfo, zone: ZoneInfo | None, **window) -> Iterator[dict]:
    """``iter_location_texts`` as dicts, for callers that pick fields."""
    return map(json.loads, iter_location_texts(conn, info, zone, **window))


class LocationValues(NamedTuple):
    """The plain values of a Recorder location object (as ``enrich`` has them: ``vel`` in
    km/h, integral numbers as ints, None where the object has no such key), for the
    formats that show only these (GeoJSON, CSV: these are its default columns, in order)."""

    tst: int
    isotst: str
    tid: str
    lat: float
    lon: float
    acc: float | int | None
    alt: float | int | None
    vel: int | None
    cog: float | int | None
    batt: int | None


def iter_location_values(conn, info: DeviceInfo, **window) -> Iterator[LocationValues]:
    """The window as ``LocationValues``: numbers straight from the columns, the phone's
    ``tid`` from ``fixes.loc`` (in SQL), Python only for fixes stored without it."""
    select = (f"ts, {_ISOTST_SQL}, json_extract(loc || '}}', '$.tid'), lat, lon, "
              f"{_integral('acc')}, {_integral('alt')}, {_KMH_SQL}, {_integral('cog')}, batt, "
              "loc IS NULL")
    cursor = _window(conn, select, [], info, **window)
    cursor.row_factory = None  # plain tuples: a name lookup per value costs more than the rest
    for row in cursor:
        if row[-1] or row[1] is None:  # no loc, or a time no calendar can show
            yield _values_in_python(conn, info, row)
        else:
            yield LocationValues._make(row[:-1])


def _integral(column: str) -> str:
    """Integral floats as integers, as ``location_base`` writes them (exact below 2**53)."""
    return (f"CASE WHEN {column} = CAST({column} AS INTEGER) THEN CAST({column} AS INTEGER) "
            f"ELSE {column} END")


# Whole km/h from m/s, rounding halves to even as Python's round() does.
_KMH_SQL = ("CASE WHEN abs(vel * 3.6 - CAST(vel * 3.6 AS INTEGER)) = 0.5 "
            "THEN CAST(2 * round(vel * 3.6 / 2) AS INTEGER) "
            "ELSE CAST(round(vel * 3.6) AS INTEGER) END")


def _values_in_python(conn, info: DeviceInfo, row: tuple) -> LocationValues:
    fix = conn.execute(f"SELECT {_FIX_COLUMNS} FROM fixes WHERE member_id = ? AND ts = ? "
                       "AND device_id = ?", (info.member_id, row[0], info.id)).fetchone()
    base = location_base(fix, info.tid)
    return LocationValues(base["tst"], iso_utc(base["tst"]), base["tid"], base["lat"],
                          base["lon"], *(base.get(k) for k in ("acc", "alt", "vel", "cog",
                                                               "batt")))


def _location_sql(conn, info: DeviceInfo, zone: ZoneInfo | None, window: dict):
    """The SQL expression of ``enrich``'s text after ``fixes.loc``, and its parameters:
    the device's names (bound, never written into the SQL), the UTC times, and the local
    time over the window's span of fixes."""
    device = compact({"username": info.username, "device": info.device,
                      "topic": info.topic})[1:-1]
    expr = (f"loc || ? || ghash || '\",\"isotst\":\"' || {_ISOTST_SQL} || "
            f"'\",\"disptst\":\"' || {_DISPTST_SQL} || '\"'")
    params = ["," + device + ',"ghash":"']
    span = _span(conn, info, window.get("from_ts"), window.get("to_ts"))
    if zone is not None and span is not None:
        expr += f" || ? || {isolocal_sql(zone, *span)} || '\"'"
        params.append(',"tzname":' + compact(zone.key) + ',"isolocal":"')
    return expr + " || '}'", params


def _span(conn, info: DeviceInfo, from_ts, to_ts) -> tuple[int, int] | None:
    """The first and last ``ts`` of the device's fixes in the window (two index lookups:
    min() and max() in one query would scan the range)."""
    where, params = _bounds(info, from_ts, to_ts)
    first = conn.execute(f"SELECT ts FROM fixes WHERE {where} ORDER BY ts LIMIT 1",
                         params).fetchone()
    if first is None:
        return None
    last = conn.execute(f"SELECT ts FROM fixes WHERE {where} ORDER BY ts DESC LIMIT 1",
                        params).fetchone()
    return first[0], last[0]


def _fix(conn, fix_id: int):
    return conn.execute(f"SELECT {_FIX_COLUMNS} FROM fixes WHERE id = ?", (fix_id,)).fetchone()
