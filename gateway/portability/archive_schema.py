"""What a selfdata archive may hold, file by file and column by column: the one list the
archive is written from (``archive.py``) and checked against before a restore
(``restore.py``).

An archive moves one member's own data between boxes, so a restore writes only into that
member's rows, whoever made the file: a fix names its device by name (matched among the
member's devices), a correction names its trip by its times and ends, and no id of the old
box is ever used. What is not listed here (members, visibility, devices' secrets and keys,
web sessions, the box's bookkeeping, derived trips) is never read back: an archive holding
it was not written by a gateway and is refused whole, with what and where, before anything
is written. A restore of a whole box (accounts included) is not an archive's job.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

from carbon.modes import MODES

from .. import accounts
from ..store.tables import LINK
from ..trips.context import VEHICLE_KEYS, check_vehicle


class Invalid(Exception):
    """A file or a row of an archive that a restore never writes: what, where and why."""


@dataclass(frozen=True)
class Col:
    """One accepted column: its kind (``int``, ``num``, ``text``, ``bool``), range or
    length, allowed values; ``ignored`` columns are accepted (older archives carry them)
    and never written."""

    kind: str
    required: bool = False
    lo: float = -math.inf
    hi: float = math.inf
    length: int = 256
    choices: frozenset | None = None
    ignored: bool = False


# Times: any epoch second up to the year 2242 (ranges of live data are the receivers' job;
# here a value only has to be one the store can hold and the engine read).
_TS = Col("int", True, 0, 2 ** 33)
_LAT, _LON = Col("num", False, -90, 90), Col("num", False, -180, 180)
_MEASURE = Col("num")                    # accuracy, altitude, speed...: any finite number
_SOURCE = Col("text", True, length=64)
# The longest text a row holds: a phone's raw message (512 KiB live) with room to spare,
# under the reader's 2 MiB a line.
RAW_LENGTH = 1 << 20
_OLD_ID = Col("int", ignored=True)       # the old box's own row id: meaningless here

FIXES = {
    "device": Col("text", True, length=32), "ts": _TS,
    "lat": Col("num", True, -90, 90), "lon": Col("num", True, -180, 180),
    "acc": _MEASURE, "alt": _MEASURE, "vel": _MEASURE, "cog": _MEASURE, "batt": _MEASURE,
    "activity": Col("text", length=64), "source": _SOURCE,
    "received_ts": Col("num", True, 0, 2 ** 33), "raw": Col("text", length=RAW_LENGTH),
}
EVENTS = {
    "device": Col("text", True, length=32), "type": Col("text", True, length=64),
    "ts": Col("int", False, 0, 2 ** 33), "topic": Col("text", length=512),
    "source": _SOURCE, "received_ts": Col("num", True, 0, 2 ** 33),
    "payload": Col("text", True, length=RAW_LENGTH),
}
SEGMENTS = {
    "kind": Col("text", True, choices=frozenset({"visit", "activity"})),
    "start_ts": _TS, "end_ts": _TS, "lat": _LAT, "lon": _LON, "end_lat": _LAT,
    "end_lon": _LON, "label": Col("text"), "mode": Col("text", choices=frozenset(MODES)),
    "confidence": _MEASURE, "distance_m": Col("num", False, 0), "place_name": Col("text"),
    "semantic_type": Col("text"), "source": _SOURCE, "id": _OLD_ID,
}
CORRECTIONS = {
    "kind": Col("text", True, choices=frozenset({"leg_mode", "trip_purpose"})),
    "start_ts": _TS, "end_ts": _TS, "value": Col("text", True, length=40),
    "created_ts": Col("int", True, 0, 2 ** 62),          # microseconds since 1970
    "trip_start_lat": _LAT, "trip_start_lon": _LON, "trip_end_lat": _LAT,
    "trip_end_lon": _LON, "trip_distance_m": Col("num", False, 0),
    "main_leg": Col("int", False, 0, 1),
    # The mode corrected away from and what the engine measured on the leg: they teach the
    # member's own priors (carbon.priors), so they travel with the correction.
    "was": Col("text", choices=frozenset(MODES)), "leg_features": Col("text", length=4096),
    "id": _OLD_ID,
}
PLACES = {
    "place_key": Col("text", True, length=64),
    "lat": Col("num", True, -90, 90), "lon": Col("num", True, -180, 180),
    "label": Col("text", choices=frozenset({"home", "work"})), "name": Col("text"),
    "source": Col("text", True, choices=frozenset({"auto", "member"})),
    "visits": Col("int", False, 0, 2 ** 62), "dwell_s": Col("int", False, 0, 2 ** 62),
    "private": Col("int", False, 0, 1), "merged_into": Col("text", length=64),
    "id": _OLD_ID,
}
TRIP_EDITS = {
    "kind": Col("text", True, choices=frozenset({"split", "merge"})),
    "ts": _TS, "until_ts": Col("int", False, 0, 2 ** 33), "lat": _LAT, "lon": _LON,
    "created_ts": Col("int", True, 0, 2 ** 62), "id": _OLD_ID,
}
# The files whose rows are restored, with the table each goes to.
ROW_FILES = {
    "fixes.jsonl": ("fixes", FIXES),
    "events.jsonl": ("events", EVENTS),
    "labelled_segments.jsonl": ("labelled_segments", SEGMENTS),
    "tables/corrections.jsonl": ("corrections", CORRECTIONS),
    "tables/places.jsonl": ("places", PLACES),
    "tables/trip_edits.jsonl": ("trip_edits", TRIP_EDITS),
}
# Read as documents (checked below); the rest of an archive is for reading only (its
# checksum is checked, nothing of it is written).
DOCUMENTS = ("manifest.json", "member.json", "devices.json")
# The city link's records (the ledger of what was sent, the consents and their log...) are
# the member's to read, tied to keys that stay in this box: a restore never brings a link,
# a new box enrols again (docs/city-link.md). Their rows are neither checked nor written.
LINK_FILES = tuple(f"tables/{table}.jsonl" for table in sorted(LINK))
FOR_READING = ("README.md", "derived/trips.json", "derived/legs.csv") + LINK_FILES
# Member tables an archive does not carry, and why (tests check every member table of the
# schema is either restored above or named here, so a new table is a decision).
NOT_ARCHIVED = {"rejections": "ingest's refusals of this box's phones: its bookkeeping"}

MEMBER = {
    "name": Col("text", ignored=True),           # restored for the member named on import
    "is_admin": Col("bool", ignored=True),       # rights are the box's, never an archive's
    "created_ts": Col("num", ignored=True),
    "display_name": Col("text", length=128),
    "settings": Col("object"),
    "retention_months": Col("int", False, 1, 1200),
}
DEVICE = {
    "name": Col("text", True, length=32),
    "tid": Col("text", ignored=True), "card_name": Col("text", ignored=True),
    "created_ts": Col("num", ignored=True),
}
MAX_DEVICES = 1000
LANGUAGES = frozenset({"fr", "en"})


def check_names(names: list[str]) -> None:
    """Refuse any file a gateway never writes into an archive (another table, a path
    climbing out of the zip...)."""
    known = set(ROW_FILES) | set(DOCUMENTS) | set(FOR_READING)
    for name in names:
        if name in known or name.endswith("/"):
            continue
        if name.startswith("tables/") and name.endswith(".jsonl"):
            table = name[len("tables/"):-len(".jsonl")]
            raise Invalid(f"{name}: an archive restores only your corrections, places and "
                          f"trip edits from tables/, never {table[:40]!r} (accounts, visibility, "
                          "sessions and the box's bookkeeping are not in an archive)")
        raise Invalid(f"{name[:120]!r} is not a file of a selfdata archive")


def check_row(where: str, row, schema: dict) -> dict:
    """The row with every column of ``schema`` (absent ones None, ignored ones dropped),
    or ``Invalid`` naming the column and what is wrong with it."""
    if not isinstance(row, dict):
        raise Invalid(f"{where}: not a JSON object")
    unknown = sorted(set(row) - set(schema))
    if unknown:
        raise Invalid(f"{where}: unknown column {unknown[0][:40]!r} (accepted: "
                      f"{', '.join(k for k in schema if not schema[k].ignored)})")
    out = {}
    for name, col in schema.items():
        value = _value(f"{where}: {name}", row.get(name), col)
        if not col.ignored:
            out[name] = value
    return out


def _value(where: str, value, col: Col):
    if value is None:
        if col.required:
            raise Invalid(f"{where} is missing")
        return None
    if col.kind == "object":
        if not isinstance(value, dict):
            raise Invalid(f"{where} is not an object")
        return value
    if col.kind == "bool":
        if not isinstance(value, bool):
            raise Invalid(f"{where} is not true or false")
        return value
    if col.kind == "text":
        return _text(where, value, col)
    return _number(where, value, col)


def _text(where: str, value, col: Col) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{where} is not a text")
    if len(value) > col.length:
        raise Invalid(f"{where} is longer than {col.length:,} characters")
    if col.choices is not None and value not in col.choices:
        raise Invalid(f"{where} {value[:40]!r} is not one of {', '.join(sorted(col.choices))}")
    return value


def _number(where: str, value, col: Col):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"{where} is not a number")
    if col.kind == "int" and not isinstance(value, int):
        raise Invalid(f"{where} is not a whole number")
    if not math.isfinite(value):
        raise Invalid(f"{where} is not a finite number")
    if not col.lo <= value <= col.hi:
        raise Invalid(f"{where} {value} is out of range ({col.lo:g} to {col.hi:g})")
    return value


def check_device_name(where: str, name: str) -> str:
    try:
        return accounts.check_name("device", name)
    except accounts.AccountError as exc:
        raise Invalid(f"{where}: {exc}") from None


def check_member(info) -> dict:
    """member.json: a display name, settings and retention, nothing else restored."""
    out = check_row("member.json", info, MEMBER)
    out["settings"] = check_settings(out["settings"] or {})
    return out


def check_settings(settings: dict) -> dict:
    """The member's own settings: their vehicle (what the footprint reads) and language."""
    unknown = sorted(set(settings) - {"vehicle", "lang"})
    if unknown:
        raise Invalid(f"member.json: settings: unknown setting {unknown[0][:40]!r} "
                      "(accepted: vehicle, lang)")
    if "lang" in settings and settings["lang"] not in LANGUAGES:
        raise Invalid("member.json: settings: lang is not one of en, fr")
    vehicle = settings.get("vehicle", {})
    if not isinstance(vehicle, dict):
        raise Invalid("member.json: settings: vehicle is not an object")
    _check_vehicle(vehicle)
    return settings


def exportable_settings(settings) -> dict:
    """What of the stored settings an archive carries: the ones a restore accepts."""
    if not isinstance(settings, dict):
        return {}
    known = {k: settings[k] for k in ("vehicle", "lang") if k in settings}
    try:
        return check_settings(known)
    except Invalid:
        return {}


def _check_vehicle(vehicle: dict) -> None:
    where = "member.json: settings: vehicle"
    unknown = sorted(set(vehicle) - set(VEHICLE_KEYS) - {"owns"})
    if unknown:
        raise Invalid(f"{where}: unknown key {unknown[0][:40]!r}")
    owns = vehicle.get("owns", [])
    if not isinstance(owns, list) or not all(isinstance(m, str) and m in MODES for m in owns):
        raise Invalid(f"{where}: owns is not a list of modes ({', '.join(MODES)})")
    try:
        check_vehicle({k: v for k, v in vehicle.items() if k != "owns"})
    except (ValueError, TypeError) as exc:
        raise Invalid(f"{where}: {exc}") from None


def check_devices(devices) -> list[str]:
    """devices.json: the names of the member's devices (no secret, key or card travels)."""
    if not isinstance(devices, list) or len(devices) > MAX_DEVICES:
        raise Invalid(f"devices.json is not a list of at most {MAX_DEVICES:,} devices")
    names = []
    for i, info in enumerate(devices):
        where = f"devices.json [{i}]"
        names.append(check_device_name(where, check_row(where, info, DEVICE)["name"]))
    return names


def check_correction(where: str, row: dict) -> dict:
    """A leg's mode must be a mode the engine knows; a purpose is a short word."""
    if row["kind"] == "leg_mode" and row["value"] not in MODES:
        raise Invalid(f"{where}: value {row['value'][:40]!r} is not a mode "
                      f"({', '.join(MODES)})")
    if row["start_ts"] > row["end_ts"]:
        raise Invalid(f"{where}: start_ts is after end_ts")
    if row.get("leg_features") is not None:
        _check_features(f"{where}: leg_features", row["leg_features"])
    return row


def _check_features(where: str, text: str) -> None:
    """The leg's measured features: a JSON object of names to finite numbers (or null)."""
    try:
        value = json.loads(text)
    except ValueError:
        raise Invalid(f"{where} is not JSON") from None
    if not isinstance(value, dict):
        raise Invalid(f"{where} is not a JSON object")
    for name, number in value.items():
        if len(name) > 40:
            raise Invalid(f"{where}: a name is longer than 40 characters")
        if number is not None:
            _number(f"{where}: {name[:40]}", number, Col("num"))
