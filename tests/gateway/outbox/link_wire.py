"""What may be seen on the wire between boxes and the city, checked on every captured request.

Each check says what it looks for and fails naming the request. A request is attributed to
the member whose pseudonym or public key it carries; GETs carry no one's.
"""
from __future__ import annotations

import json
import re

from carbon import summary_wire as wire

# Header names a box may send, all with values the same on every box (but the length).
ALLOWED_HEADERS = {"host", "user-agent", "content-type", "accept", "accept-encoding",
                   "content-length", "connection"}
# Strings every contributor may share: what a message is, for which study and month.
SHARED_KEYS = {"v", "type", "study", "month", "months", "factor_version", "commune"}
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL = re.compile(r"\d\.\d")
GET_PATHS = re.compile(r"^/(studies|published/20\d\d-(0[1-9]|1[0-2])\.json)$")


def _walk(obj, key=None):
    """(key, value) of every scalar in a JSON document."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v, key)
    else:
        yield key, obj


def scaled_coordinates(fixes) -> set:
    """The integers a position could hide in: latitudes times 10^5..10^7 and longitudes times
    10^7 (the household's longitudes, 0.5-1.2 degrees west, times 10^5 or 10^6 fall among
    ordinary monthly distances in metres, so those scales would flag honest figures; every
    other figure of a summary is far below these values)."""
    out = set()
    for lat, lon in fixes:
        for c, scales in ((lat, (10 ** 5, 10 ** 6, 10 ** 7)), (abs(lon), (10 ** 7,))):
            for scale in scales:
                out.update({int(c * scale), round(c * scale)})
    return out


def check_message(c, names: set, coordinates: set) -> dict:
    """One POST: a wire message of a known type with only the wire's fields, no float, no
    negative number, no time finer than the month, no name, no position. Its parsed form."""
    text = c.body.decode("utf-8")
    where = f"{c.method} {c.path} {text[:80]}"
    assert not DECIMAL.search(text), f"a decimal number left the box: {where}"
    assert not ISO_DAY.search(text), f"a date with a day left the box: {where}"
    try:   # nothing but the wire's own fields, each of its type and range
        msg = wire.parse(c.body)
        {"/enrol": wire.check_enrol, "/summaries": wire.check_envelope,
         "/delete": wire.check_delete, "/revoke": wire.check_revoke}[c.path](msg)
    except (wire.WireError, KeyError) as exc:
        raise AssertionError(f"not a wire message ({exc}): {where}") from None
    for key, value in _walk(msg):
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            assert value >= 0, f"a negative number ({key}={value}) left the box: {where}"
            assert not 10 ** 9 <= value < 10 ** 14, f"{key}={value} looks like a timestamp: {where}"
            assert value not in coordinates, f"{key}={value} is a scaled coordinate: {where}"
        if isinstance(value, str):
            assert value.lower() not in names, f"a name ({value}) left the box: {where}"
    low = text.lower()
    for name in names:
        assert not re.search(rf"\b{re.escape(name)}\b", low), f"{name!r} left the box: {where}"
    return msg


def check_headers(c, names: set) -> None:
    where = f"{c.method} {c.path}"
    keys = {k.lower() for k, _ in c.headers}
    assert keys <= ALLOWED_HEADERS, f"unexpected headers {keys - ALLOWED_HEADERS}: {where}"
    values = " ".join(v for k, v in c.headers if k.lower() != "host").lower()
    assert not DECIMAL.search(values) and not ISO_DAY.search(values), f"{values}: {where}"
    for name in names:
        assert name not in values, f"{name!r} in the headers of {where}"
    assert dict((k.lower(), v) for k, v in c.headers).get("connection") == "close", where


def owner_of(msg: dict) -> str:
    """Who a message is from, as the city sees it: the pseudonym (an enrolment's key)."""
    if msg["type"] == "enrol":
        return wire.pseudonym_of(wire.unb64(msg["public_key"], 32, "public_key"))
    return msg["pseudonym"]


def check_capture(seen: list, names: set, fixes) -> dict:
    """Everything captured; returns pseudonym -> the values only that contributor sent."""
    names = {n.lower() for n in names}
    coordinates = scaled_coordinates(fixes)
    mine: dict[str, set] = {}
    common = None
    for c in seen:
        check_headers(c, names)
        fixed = frozenset((k.lower(), v) for k, v in c.headers
                          if k.lower() not in ("host", "content-length"))
        if c.method == "GET":
            assert GET_PATHS.match(c.path) and not c.body, f"GET {c.path} says something"
            continue
        assert c.method == "POST", c.method
        # Headers other than length are the same for every POST of every box.
        common = fixed if common is None else common
        assert fixed == common, f"headers differ between boxes or members: {fixed ^ common}"
        msg = check_message(c, names, coordinates)
        values = {str(v) for k, v in _walk(msg) if k not in SHARED_KEYS}
        values.add(owner_of(msg))
        mine.setdefault(owner_of(msg), set()).update(v for v in values if len(v) >= 8)
    owners = sorted(mine)
    for i, a in enumerate(owners):
        for b in owners[i + 1:]:
            shared = mine[a] & mine[b]
            assert not shared, f"{a} and {b} both sent {shared}"
    peers = [c.peer for c in seen]
    assert len(set(peers)) == len(peers), "two requests shared a connection"
    return mine
