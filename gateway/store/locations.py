"""The OwnTracks Recorder's location object, as far as the fix and its device decide it.

It is computed once, when a fix is written (``fixes.loc``, ``fixes.ghash``), because the
Recorder API reads it for every point of a history: parsing the phone's JSON, overlaying it
and serialising it again 200,000 times a request was most of a 6-second answer (issue #8).

``location_base`` is the one definition. ``gateway.queries.recorder.enrich`` builds on it for
``/last`` and the live pushes; ``stored_location`` is its compact JSON text cut before the
closing brace, so the Recorder API's history only appends the device's names, the times and
the household's local time, in SQL.
"""
from __future__ import annotations

import functools
import json
import operator
import sqlite3

from carbon.fix import Fix
from carbon.geo import geohash

# Values that come from the cleaned fix columns, never from the raw JSON: the raw text keeps
# what the phone sent (numeric strings, out-of-range values the parser dropped).
FIX_KEYS = ("acc", "alt", "cog", "batt")
# What the Recorder API adds after the base object, in this order. A phone payload that
# already carries one of them (a Recorder export played back) keeps it in the phone's
# place, which a text appended at the end cannot do: such fixes store no ``loc`` and are
# enriched in Python at read time instead.
ADDED_AFTER = ("username", "device", "topic", "ghash", "isotst", "disptst", "tzname",
               "isolocal")


# One encoder made once: json.dumps with options builds a new one per call, which was a
# third of the time of a streamed GeoJSON history.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def compact(value) -> str:
    """JSON without spaces, UTF-8 kept (the one compact form of the box's answers)."""
    return _COMPACT.encode(value)


def location_base(fix, tid: str, decoded: dict | None = None) -> dict:
    """The phone's own JSON (unknown keys kept) overlaid with our cleaned values, the
    device's ``tid`` when the phone gave none, and ``inregions`` (always a list).

    ``fix`` is anything with ``ts lat lon acc alt vel cog batt raw`` (a row or a Fix).
    ``decoded`` is ``raw`` as the OwnTracks parser decoded it, when the caller has it (the
    live ingest): it spares decoding the text a second time. The parser changes only
    ``lat lon tst acc`` in it, which the overlay below sets or removes anyway.
    """
    raw = _get(fix, "raw")
    if decoded is not None and _may_be_location(raw) and decoded.get("_type") == "location":
        out = dict(decoded)
    else:
        out = _raw_location(raw)
    out.update(_type="location", lat=_get(fix, "lat"), lon=_get(fix, "lon"),
               tst=int(_get(fix, "ts")))
    for key in FIX_KEYS:
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
        out["tid"] = tid
    if not isinstance(out.get("inregions"), list):
        out["inregions"] = []  # the web frontend calls .length on it: never null
    return out


def stored_location(fix, tid: str, decoded: dict | None = None) -> str | None:
    """``location_base`` as compact JSON without its closing brace, or None when the
    payload carries a key the Recorder API adds later (see ``ADDED_AFTER``)."""
    if not _may_be_location(fix.raw if fix.__class__ is Fix else _get(fix, "raw")):
        plain = _plain_location(fix, tid)
        if plain is not None:
            return plain
    base = location_base(fix, tid, decoded)
    if any(key in base for key in ADDED_AFTER):
        return None
    return compact(base)[:-1]


def _plain_location(fix, tid: str) -> str | None:
    """``stored_location`` of a fix with no phone JSON to keep (gpsd, file imports: a
    million of them in one import), written directly: the same text as ``compact`` of
    ``location_base``, in a fraction of the time. None for a number JSON writes otherwise
    than Python (inf, nan; no key here spells either), left to the general path."""
    if fix.__class__ is Fix:    # attributes read directly: this runs for every imported fix
        ts, lat, lon, acc, alt, cog, batt, vel = (fix.ts, fix.lat, fix.lon, fix.acc, fix.alt,
                                                  fix.cog, fix.batt, fix.vel)
    else:
        ts, lat, lon, acc, alt, cog, batt, vel = (
            _BY_KEY if isinstance(fix, (dict, sqlite3.Row)) else _BY_ATTR)(fix)
    return plain_location(ts, lat, lon, acc, alt, cog, batt, vel, tid)


def plain_location(ts, lat, lon, acc, alt, cog, batt, vel, tid: str) -> str | None:
    """``_plain_location`` from the values themselves (an import's rows, made from the
    fields a parsing process sent)."""
    text = f',"lat":{lat!r},"lon":{lon!r},"tst":{int(ts)}'
    if acc is not None:
        text += _key_number(',"acc":', acc)
    if alt is not None:
        text += _key_number(',"alt":', alt)
    if cog is not None:
        text += _key_number(',"cog":', cog)
    if batt is not None:
        text += _key_number(',"batt":', batt)
    if vel is not None:
        text += f',"vel":{int(round(vel * 3.6))}'
    if "inf" in text or "nan" in text:
        return None
    return f'{{"_type":"location"{text},"tid":{_quoted(tid)},"inregions":[]'


def _key_number(key: str, value) -> str:
    """``key`` then the number as ``compact`` writes ``_number(value)``."""
    if value.__class__ is float and value.is_integer():
        return f"{key}{int(value)}"
    return f"{key}{value!r}"


_PLAIN = ("ts", "lat", "lon", "acc", "alt", "cog", "batt", "vel")
_BY_KEY, _BY_ATTR = operator.itemgetter(*_PLAIN), operator.attrgetter(*_PLAIN)


@functools.lru_cache(maxsize=256)
def _quoted(text) -> str:
    return compact(text)


def stored_ghash(fix) -> str:
    """The geohash; empty for a position no geohash can show (an infinite one), so that
    the backfill still counts the fix as done."""
    if fix.__class__ is Fix:
        return position_ghash(fix.lat, fix.lon)
    return position_ghash(_get(fix, "lat"), _get(fix, "lon"))


def position_ghash(lat, lon) -> str:
    """``stored_ghash`` of a position."""
    try:
        return geohash(lat, lon)
    except (ValueError, OverflowError):
        return ""


def _number(value):
    """Integral floats become ints: the apps send integers and clients compare with them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _get(fix, key):
    """Rows from the store and Fix objects from the live ingest both come here."""
    return fix[key] if isinstance(fix, (dict, sqlite3.Row)) else getattr(fix, key)


def _may_be_location(raw) -> bool:
    """Whether ``raw`` can be an OwnTracks location at all: its text names the type (the
    test that spares parsing the other raw shapes, a Google record or an OsmAnd query)."""
    return bool(raw) and "location" in raw and "_type" in raw


def _raw_location(raw) -> dict:
    """The phone's JSON when it is an OwnTracks location; else an empty start (fixes from
    gpsd, OsmAnd or file imports keep other raw shapes, which are not OwnTracks fields)."""
    if not _may_be_location(raw):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if isinstance(value, dict) and value.get("_type") == "location":
        return value
    return {}
