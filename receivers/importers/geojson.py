"""GeoJSON: Point features with a time property, LineStrings (and MultiLineStrings) with
per-vertex times in ``properties.coordTimes`` (togeojson, Strava) or
``properties.coordinateProperties.times`` (geojson.io). Features stream one at a time."""
from __future__ import annotations

from carbon.fix import Fix

from . import jsonstream
from .base import KMH, Bad, check_position, number, owntracks_named, parse_time, text

KIND = "geojson"
_ARRAYS = {("features",): "features"}
_TIME_KEYS = ("time", "timestamp", "ts", "tst", "isotst", "datetime", "date", "when")


def _time(props: dict):
    for key in _TIME_KEYS:
        if props.get(key) not in (None, ""):
            return parse_time(props[key])
    return None


def _speed(props: dict) -> float | None:
    """m/s: ``vel`` in km/h where the feature is the Recorder's (``tst``: base.owntracks_named)."""
    key = "vel" if "vel" in props else "speed"
    time_key = next((k for k in _TIME_KEYS if props.get(k) not in (None, "")), None)
    vel = number(props.get(key))
    return vel * KMH if vel is not None and owntracks_named(time_key, key) else vel


def _point(coords, props: dict, ts: int) -> Fix:
    lat, lon = check_position(coords[1], coords[0])
    alt = number(coords[2]) if len(coords) > 2 else number(props.get("alt"))
    batt = number(props.get("batt"))
    return Fix(ts=ts, lat=lat, lon=lon, acc=number(props.get("acc")), alt=alt,
               vel=_speed(props), cog=number(props.get("cog")),
               batt=int(batt) if batt is not None else None,
               activity=text(props.get("activity"), 64) or None)


def _line_times(props: dict):
    times = props.get("coordTimes")
    if times is None:
        times = (props.get("coordinateProperties") or {}).get("times")
    return times


def _lines(geometry: dict, props: dict, where: str):
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    times = _line_times(props)
    lines, time_lists = ([coords], [times]) if kind == "LineString" else (coords, times or [])
    if not times:
        yield Bad("line without times", where)
        return
    for line, line_times in zip(lines, time_lists):
        for k, (vertex, stamp) in enumerate(zip(line, line_times or [])):
            try:
                yield _point(vertex, {}, parse_time(stamp))
            except (ValueError, TypeError, IndexError):
                yield Bad("unreadable vertex", f"{where} vertex {k}")


def feature_items(feature: dict, where: str):
    geometry = feature.get("geometry") or {}
    props = feature.get("properties") or {}
    kind = geometry.get("type")
    if kind == "Point":
        ts = _time(props)
        if ts is None:
            yield Bad("point without a time", where)
        else:
            yield _point(geometry.get("coordinates") or [], props, ts)
    elif kind in ("LineString", "MultiLineString"):
        yield from _lines(geometry, props, where)
    else:
        yield Bad(f"unsupported geometry {kind}", where)


def read(stream, name: str = ""):
    # A FeatureCollection's features stream, each held to the limits of a whole track.
    for _, i, feature in jsonstream.items(stream, _ARRAYS, jsonstream.FEATURE):
        yield from _feature(feature, f"features[{i}]")


def read_feature(stream, name: str = ""):
    """A lone Feature: the whole document is one item."""
    yield from _feature(jsonstream.document(stream, jsonstream.FEATURE), "feature")


def _feature(feature, where: str):
    if isinstance(feature, jsonstream.TooBig):
        yield Bad(feature.reason, where)
        return
    try:  # streamed: a long track's fixes are not held twice
        yield from feature_items(feature, where)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed feature", where)
