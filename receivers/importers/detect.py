"""Which format a file is, from its first bytes (never its name: Google localises names).

``sniff(head)`` returns a format kind (see ``READERS``) or raises ``NotLocationHistory``
saying what the content was recognised as. JSON is told apart by its top-level keys, read
from the head's JSON events only (the head may end mid-document: that is expected).
"""
from __future__ import annotations

import io
import re

import ijson

from . import (csvfile, geojson, google_android, google_ios, google_records, google_semantic,
               gpx, jsonstream, kml, owntracks_rec, xmlstream)
from .base import Bad, NotLocationHistory

SNIFF_BYTES = 64 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"

# The report counts rejections by reason and keeps a few places for each: a reason that
# quotes the bad value ("unreadable time '...'") would make one entry per bad record.
MAX_REASONS = 64
REASON_CHARS = 160
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\d[\d,.]*")


def bounded_reasons(read):
    """``read`` with at most ~2 * ``MAX_REASONS`` distinct, clipped reasons: past
    ``MAX_REASONS`` the quoted values and numbers of a new reason are blanked, past twice
    that new reasons are counted together (each still at its place)."""
    def reader(stream, name: str = ""):
        seen: set[str] = set()
        for item in read(stream, name):
            if type(item) is Bad:
                reason = item.reason[:REASON_CHARS]
                if reason not in seen:
                    if len(seen) >= MAX_REASONS:
                        reason = _VALUES.sub("…", reason)
                        if reason not in seen and len(seen) >= 2 * MAX_REASONS:
                            reason = "other problems"
                    seen.add(reason)
                if reason is not item.reason:
                    item = Bad(reason, item.where[:REASON_CHARS])
            yield item
    reader.__doc__ = read.__doc__
    return reader


READERS = {kind: bounded_reasons(read) for kind, read in {
    google_records.KIND: google_records.read,
    google_semantic.KIND: google_semantic.read,
    google_android.KIND: google_android.read,
    google_ios.KIND: google_ios.read,
    gpx.KIND: gpx.read,
    kml.KIND: kml.read,
    geojson.KIND: geojson.read,
    "geojson-feature": geojson.read_feature,
    csvfile.KIND: csvfile.read,
    owntracks_rec.KIND: owntracks_rec.read,
}.items()}

# Readers that yield each fix as ``Fix``'s fields (a tuple) rather than a ``Fix``: what a
# parsing process sends (gateway/portability/parsing.py), without a ``Fix`` made and taken
# apart again a million times a file. The same records, reasons and order as ``READERS``.
FIELD_READERS = {google_records.KIND: bounded_reasons(google_records.read_fields)}

_JSON_KEYS = (
    ("locations", google_records.KIND),
    ("timelineObjects", google_semantic.KIND),
    ("semanticSegments", google_android.KIND),
    ("rawSignals", google_android.KIND),
    ("features", geojson.KIND),
)
_IOS_KEYS = {"startTime", "endTime", "visit", "activity", "timelinePath", "timelineMemory"}
TIMELINE_EDITS = ("this is Google's 'Timeline Edits.json' (a log of edits made in the app), "
                  "not a location history: import Records.json, the Semantic Location History "
                  "files or the Timeline export from your phone instead")


def _json_outline(head: bytes, first_item: bool, limit: int = 40):
    """Keys of the top-level object (or of a top-level array's first item) and its string
    'type', as far as the head goes. Events without prefixes and a depth count: the head
    may be a nesting bomb (``ijson.parse`` keeps a prefix per level: quadratic)."""
    keys, type_value, depth, last_key, closed = [], None, 0, None, False
    at = 2 if first_item else 1          # the depth whose keys we want
    try:
        for event, value in jsonstream.events(io.BytesIO(head)):
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth > jsonstream.MAX_NESTING:
                    if closed:
                        break   # items came before: the reader keeps them, then stops here
                    raise NotLocationHistory(
                        f"JSON nested deeper than {jsonstream.MAX_NESTING:,} levels before "
                        "anything could be read: not a location history")
            elif event == "end_map" or event == "end_array":
                depth -= 1
                closed = True
                if depth < at:
                    break   # the object (or the first item) is complete
            elif event == "map_key" and depth == at:
                last_key = value
                keys.append(value)
                if len(keys) >= limit:
                    break
            elif event == "string" and depth == at and last_key == "type" and not first_item:
                type_value = value
    except ijson.JSONError:
        pass  # the head ends mid-document
    return keys, type_value


def _sniff_object(head: bytes) -> str:
    keys, type_value = _json_outline(head, first_item=False)
    if "timelineEdits" in keys:
        raise NotLocationHistory(TIMELINE_EDITS)
    for key, kind in _JSON_KEYS:
        if key in keys:
            return kind
    if type_value == "FeatureCollection":
        return geojson.KIND
    if type_value == "Feature":
        return "geojson-feature"
    shown = ", ".join(repr(k) for k in keys[:8]) or "no keys"
    raise NotLocationHistory(f"a JSON object with {shown}, not a location history format "
                             "we know (Google Records/Semantic/Timeline, GeoJSON)")


def _sniff_array(head: bytes) -> str:
    keys, _ = _json_outline(head, first_item=True)
    if _IOS_KEYS & set(keys) and "startTime" in keys:
        return google_ios.KIND
    if re.match(rb"\[\s*\]", head):
        raise NotLocationHistory("an empty JSON array: nothing to import")
    shown = ", ".join(repr(k) for k in keys[:8]) or "no object keys"
    raise NotLocationHistory(f"a JSON array of items with {shown}, not Google's iOS export")


def _sniff_xml(head: bytes) -> str:
    try:
        root = xmlstream.root_name(head)
    except xmlstream.XmlLimit as exc:
        raise NotLocationHistory(f"XML refused: {exc}") from None
    if root in ("gpx", "kml"):
        return root
    if root is not None:
        raise NotLocationHistory(f"an XML document with root <{root}>, neither GPX nor KML")
    raise NotLocationHistory("XML that could not be read up to its first element")


def _sniff_text(head: bytes) -> str:
    if owntracks_rec.LINE.match(head):
        return owntracks_rec.KIND
    if b"\x00" in head[:4096]:
        raise NotLocationHistory("binary data")
    first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    cols = csvfile.columns(first.split(csvfile.delimiter(first)))
    if "lat" in cols and "lon" in cols:
        if "ts" in cols:
            return csvfile.KIND
        raise NotLocationHistory(f"a CSV table with coordinates but no time column "
                                 f"(header: {first[:80]!r})")
    raise NotLocationHistory(f"text starting with {first[:60]!r}")


# A whole box (every member's data and accounts) is restored by an administrator on the box,
# never through the per-member import an upload runs.
WHOLE_BOX = ("a SQLite database (a box's own data file or its backup): an import never reads "
             "one; an administrator restores a whole box on the box itself, and a member's "
             "own data travels as their selfdata archive")


# A TOML or INI file: comment lines, then a table header ("[gateway]", "[[feeds]]") or a
# "key = value" line. A box's gateway.toml inside a zipped backup would otherwise be named
# a JSON array or some text.
_CONFIG = re.compile(rb"(?:[ \t]*(?:[#;][^\n]*)?\r?\n)*[ \t]*"
                     rb"(\[\[?[ \t]*[A-Za-z_][\w.\- \"]*\]\]?|[A-Za-z_][\w.-]*[ \t]*=)[^\n]*\r?\n")
CONFIG_FILE = ("a configuration file (TOML or INI, its first setting {first}), not a location "
               "history: a box's gateway.toml comes back with the whole box (`selfdata restore` "
               "by an administrator), never through an import")


def sniff(head: bytes) -> str:
    if head.startswith(b"SQLite format 3\x00"):
        raise NotLocationHistory(WHOLE_BOX)
    if head[257:262] == b"ustar":
        raise NotLocationHistory("a tar archive: unpack it and import the files it holds")
    if head[:4] in ZIP_MAGIC:
        raise NotLocationHistory("a zip nested more than one level deep (or compressed "
                                 "again): unzip it and import what it holds")
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not body:
        raise NotLocationHistory("an empty file")
    config = _CONFIG.match(body)
    if config:
        raise NotLocationHistory(CONFIG_FILE.format(first=config.group(1)[:60].decode(
            "utf-8", errors="replace")))
    if body[:1] == b"{":
        return _sniff_object(body)
    if body[:1] == b"[":
        return _sniff_array(body)
    if body[:1] == b"<":
        return _sniff_xml(body)
    return _sniff_text(body)


def container(head: bytes) -> str | None:
    """'zip' or 'gzip' when the bytes are an archive to open rather than a format."""
    if head[:4] in ZIP_MAGIC:
        return "zip"
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    return None
