"""GeoJSON: Point features with a time property, LineStrings (and MultiLineStrings) with
per-vertex times in ``properties.coordTimes`` (togeojson, Strava) or
``properties.coordinateProperties.times`` (geojson.io). Features stream one at a time."""
from __future__ import annotations

import ijson

from carbon.fix import Fix

from .base import Bad, check_position, number, parse_time

KIND = "geojson"
_TIME_KEYS = ("time", "timestamp", "ts", "tst", "isotst", "datetime", "date", "when")


def _time(props: dict):
    for key in _TIME_KEYS:
        if props.get(key) not in (None, ""):
            return parse_time(props[key])
    return None


def _point(coords, props: dict, ts: int) -> Fix:
    lat, lon = check_position(coords[1], coords[0])
    alt = number(coords[2]) if len(coords) > 2 else number(props.get("alt"))
    batt = number(props.get("batt"))
    return Fix(ts=ts, lat=lat, lon=lon, acc=number(props.get("acc")), alt=alt,
               vel=number(props.get("vel", props.get("speed"))), cog=number(props.get("cog")),
               batt=int(batt) if batt is not None else None,
               activity=props.get("activity") or None)


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
    # A FeatureCollection's features stream; a lone Feature is one item at the top.
    features = ijson.items(stream, "features.item", use_float=True)
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        try:
            yield from list(feature_items(feature, where))
        except (ValueError, TypeError, IndexError, AttributeError) as exc:
            yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed feature", where)


def read_feature(stream, name: str = ""):
    feature = next(ijson.items(stream, "", use_float=True))
    try:
        yield from list(feature_items(feature, "feature"))
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        yield Bad(str(exc) if isinstance(exc, ValueError) else "malformed feature", "feature")
