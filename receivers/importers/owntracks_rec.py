"""OwnTracks Recorder store files ``rec/<user>/<device>/YYYY-MM.rec``.

One message per line: ``ISO-time TAB relative-topic TAB JSON payload``. Split on TAB, never
on fixed widths (the topic column's padding varies between writers). Location payloads
become fixes (``vel`` is km/h there); other message types (transitions, waypoints, lwt...)
are kept as events, as the live receivers keep them.
"""
from __future__ import annotations

import json
import re

from carbon.fix import Fix
from gateway.model import Event

from .activity import mode_of
from .base import Bad, check_position, lines, number, parse_time

KIND = "owntracks-rec"
LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?\t")
# The longest message the Recorder writes to .rec (an iOS status report) is under 1 KB;
# cards and waypoint lists go elsewhere. Each line's payload is kept as the fix's raw
# message and rows are written 5,000 at a time: 8 KiB a line bounds a batch to ~40 MB.
MAX_LINE = 8 * 1024


def to_fix(msg: dict, payload: str) -> Fix:
    lat, lon = check_position(msg["lat"], msg["lon"])
    vel = number(msg.get("vel"))
    batt = number(msg.get("batt"))
    acts = msg.get("motionactivities")
    return Fix(ts=parse_time(msg["tst"]), lat=lat, lon=lon, acc=number(msg.get("acc")),
               alt=number(msg.get("alt")), vel=vel / 3.6 if vel is not None else None,
               cog=number(msg.get("cog")), batt=int(batt) if batt is not None else None,
               raw=payload, activity=mode_of(acts[0]) if isinstance(acts, list) and acts else None)


def parse_line(raw: bytes, where: str):
    parts = raw.rstrip(b"\r\n").split(b"\t", 2)
    if len(parts) != 3:
        return Bad("not a .rec line (time TAB topic TAB payload)", where)
    stamp, topic, payload = (p.decode("utf-8", errors="replace") for p in parts)
    try:
        msg = json.loads(payload)
    except ValueError:
        return Bad("payload is not JSON", where)
    except RecursionError:   # json's C scanner stops at the interpreter's recursion limit
        return Bad("payload nests too deep", where)
    if not isinstance(msg, dict):
        return Bad("payload is not a JSON object", where)
    kind = msg.get("_type", "location")
    try:
        if kind == "location":
            return to_fix(msg, payload)
        return Event(type=str(kind), ts=parse_time(msg.get("tst") or stamp), payload=payload,
                     topic=topic.strip())
    except KeyError as exc:
        return Bad(f"location without {exc.args[0]}", where)
    except (ValueError, TypeError) as exc:
        return Bad(str(exc) if isinstance(exc, ValueError) else "malformed location", where)


def read(stream, name: str = ""):
    for n, raw in lines(stream, MAX_LINE):
        if raw is None:
            yield Bad(f"line longer than {MAX_LINE:,} bytes", f"line {n}")
        elif raw.strip():
            yield parse_line(raw, f"line {n}")
