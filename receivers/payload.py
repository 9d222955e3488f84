"""What every payload parser shares: the rejection, bytes to JSON, numbers and times.

Used by the OwnTracks and OsmAnd/Traccar parsers (``receivers.owntracks``,
``receivers.osmand``) so that a value is checked the same way whichever app sent it. Pure: no
I/O. Everything here raises :class:`Rejected` with a short, specific reason, or returns.
"""
from __future__ import annotations

import json
import math
import re

from carbon.times import iso_utc

MAX_DEPTH = 32              # real messages nest 4 levels (cmd > waypoints > list > waypoint)
MIN_TS = 1                  # tst 0 is Android's "no time"; the schema takes any positive int
MAX_AHEAD_S = 86400         # a phone clock a few hours off is common; a day ahead is not
# Only plain decimal numbers: float() alone would also take "nan", "inf" and "1_000".
_NUMERIC_STR = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class Rejected(Exception):
    """The payload cannot be used; ``reason`` says why, short and specific."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def payload_text(data: bytes, max_bytes: int) -> str | None:
    """Size, UTF-8 and emptiness checks; None means "nothing there"."""
    if len(data) > max_bytes:
        raise Rejected(f"payload too large: {len(data)} bytes > {size_text(max_bytes)}")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start]
        raise Rejected(f"payload is not UTF-8: byte 0x{bad:02x} at position {exc.start}") from None
    # C producers may leave a trailing NUL; some Windows tools prepend a BOM.
    text = text.rstrip("\x00").removeprefix("\ufeff")
    return text if text.strip() else None


class _NotFinite(Exception):
    """Raised from inside json.loads; kept apart from ValueError to name the culprit."""


def _refuse_constant(name: str):
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # "1e400" parses to inf
        raise _NotFinite(text[:24])
    return number


# Made once: json.loads with options builds a decoder and its scanner at every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def load_json(text: str):
    try:
        if text.startswith("\ufeff"):  # what json.loads says of it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except _NotFinite as exc:
        raise Rejected(f"invalid JSON: {exc.args[0]} is not a finite number") from None
    except json.JSONDecodeError as exc:
        raise Rejected(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise Rejected(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        raise Rejected(f"invalid JSON: {clip(str(exc))}") from None
    _check_structure(value, text)
    return value


def _check_structure(value, text: str) -> None:
    """Bound nesting, and refuse lone surrogates (SQLite cannot store them as UTF-8).

    Both checks walk the tree, so they only run when the text could hold the problem.
    """
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    surrogates = "\\ud" in text.lower()
    if not (deep or surrogates):
        return
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if surrogates:
                _refuse_surrogates(node)
            continue
        if depth > MAX_DEPTH:
            raise Rejected(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            if surrogates:
                for k in node:
                    _refuse_surrogates(k)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def _refuse_surrogates(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected("invalid JSON: string with a lone UTF-16 surrogate") from None


def to_number(value, name: str) -> int | float:
    """A finite JSON number, or a numeric string converted; anything else is Rejected."""
    if isinstance(value, bool):  # bool is an int subclass in Python, not a number in JSON
        raise Rejected(f"{name} is not a number: {show(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
    elif isinstance(value, str):
        s = value.strip()
        if len(s) <= 32 and _NUMERIC_STR.fullmatch(s):
            number = float(s) if any(c in s for c in ".eE") else int(s)
            if math.isfinite(number):
                return number
    raise Rejected(f"{name} is not a number: {show(value)}")


def to_int(value, name: str) -> int:
    number = to_number(value, name)
    return number if isinstance(number, int) else int(number)  # epoch with decimals: floor


def check_timestamp(ts: int, now: float, name: str = "tst") -> int:
    """Refuse epoch seconds that are not positive or more than a day after ``now``."""
    if ts < MIN_TS:
        raise Rejected(f"{name} is not a positive epoch time: {ts}")
    if ts > now + MAX_AHEAD_S:
        raise Rejected(f"{name} in the future: {iso_utc(ts)}")
    return ts


def optional_number(value, name: str, low: float, high: float,
                    notes: list[str]) -> float | None:
    """An optional fix value: None when absent; dropped with a note when unusable
    (the fix itself is kept: one odd field must not lose a position)."""
    if value is None or value == "":
        return None
    try:
        number = to_number(value, name)
    except Rejected as exc:
        notes.append(f"{exc.reason}: ignored")
        return None
    if not low <= number <= high:
        notes.append(f"{name} out of range: {show(value)}: ignored")
        return None
    return number


def show(value) -> str:
    """A value as JSON, clipped, for a reason."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = type(value).__name__
    return clip(text)


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_kind(value) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def size_text(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


def dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

