"""OsmAnd's own speeds, stored as knots until now, in m/s (docs/engine.md, "Round 13
(vel-units)"; receivers/osmand.py, "Speed"). Every OsmAnd-protocol query was read as
Traccar defines it, knots; OsmAnd's online tracking sends m/s (``Location.getSpeed()``), so
its fixes hold 1852/3600 of the speed the phone measured: a car at 50 km/h stored at 26, a
bike's instants at a walker's. A query is OsmAnd's by what only it sends, kept in the fix's
``raw`` (the parameters as received, the secret left out): a ``hdop`` parameter, or a
timestamp in epoch milliseconds; those fixes' ``vel`` is divided by 1852/3600 (the
parameter as sent). Traccar Client's queries (knots) and JSON bodies (m/s) were right and
are left alone, as are GPSLogger's (m/s, read as knots: nothing in a request tells it from
Traccar Client; ``ingest.osmand_speed_unit`` says it from now on, and the member's rebuild
then reads what the phone sent: ``raw`` keeps it). The members whose fixes changed get their
``pipeline_state`` cleared: their next fix rebuilds their trips from the speeds as measured.
"""
import json

KNOT_MS = 1852 / 3600


def _osmand_app(raw: str) -> bool:
    """The rule receivers.osmand.speed_unit_of applies, as it was when this shipped."""
    try:
        params = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(params, dict) or "location" in params:   # a Traccar Client 9 body
        return False
    p = {}
    for name, value in params.items():
        p.setdefault(str(name).lower(), value)
    if p.get("hdop") not in (None, ""):
        return True
    try:
        stamp = float(p.get("timestamp"))
    except (TypeError, ValueError):
        return False
    return 1e11 < stamp < 1e15


def up(conn):
    rows = conn.execute("SELECT id, member_id, vel, raw FROM fixes WHERE source = 'osmand' "
                        "AND vel IS NOT NULL AND raw LIKE '{%'").fetchall()
    changed = [(r[2] / KNOT_MS, r[0], r[1]) for r in rows if _osmand_app(r[3])]
    if not changed:     # most boxes: nothing to correct, no statement run
        return
    conn.executemany("UPDATE fixes SET vel = ? WHERE id = ?", [c[:2] for c in changed])
    conn.executemany("DELETE FROM pipeline_state WHERE member_id = ?",
                     [(m,) for m in sorted({c[2] for c in changed})])
