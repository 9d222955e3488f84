"""OsmAnd's own speeds, stored as knots until now, in m/s (docs/engine.md, "Round 13
(vel-units)"; receivers/osmand.py, "Speed"). Every OsmAnd-protocol query was read as
Traccar defines it, knots; OsmAnd's online tracking sends m/s (``Location.getSpeed()``), so
its fixes hold 1852/3600 of the speed the phone measured: a car at 50 km/h stored at 26, a
bike's instants at a walker's. A query is OsmAnd's by what only it sends, kept in the fix's
``raw`` (the parameters as received, the secret left out), by
``receivers.osmand.speed_unit_of`` (OsmAnd's whole signature: only the names its template
fills, ``hdop`` or a millisecond timestamp, never a timestamp in seconds; an ESP32
TraccarClient's ``accuracy`` or OpenWrt gpoint's ``satellites`` says another sender); those
fixes' ``vel`` is divided by 1852/3600 (the parameter as sent). The fixes are read BATCH at
a time (a store of 10 M fixes on a Pi: flat memory). ``ingest.osmand_speed_unit`` is not
read (a migration gets the connection only, and the setting is new in this round: every
query stored before was read as knots, whatever it says now). Traccar Client's queries (knots) and JSON bodies (m/s) were right and
are left alone, as are GPSLogger's (m/s, read as knots: nothing in a request tells it from
Traccar Client; ``ingest.osmand_speed_unit`` says it from now on, and the member's rebuild
then reads what the phone sent: ``raw`` keeps it). The members whose fixes changed get their
``pipeline_state`` cleared: their next fix rebuilds their trips from the speeds as measured.
"""
import json

from receivers import osmand

KNOT_MS = 1852 / 3600


BATCH = 5000        # fixes read at a time: the migration's memory stays flat (a Pi)


def _osmand_app(raw: str) -> bool:
    """receivers.osmand.speed_unit_of over the parameters kept in ``raw``."""
    try:
        params = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(params, dict) or "location" in params:   # a Traccar Client 9 body
        return False
    p = {}
    for name, value in params.items():
        p.setdefault(str(name).lower(), value)
    return osmand.speed_unit_of(p) == "m/s"


def up(conn):
    """Walks the OsmAnd fixes in id order, BATCH at a time, inside migrate's transaction
    (one BEGIN IMMEDIATE .. COMMIT: a kill mid-way rolls back every batch)."""
    last, members = 0, set()
    while True:
        rows = conn.execute("SELECT id, member_id, vel, raw FROM fixes WHERE id > ? "
                            "AND source = 'osmand' AND vel IS NOT NULL AND raw LIKE '{%' "
                            "ORDER BY id LIMIT ?", (last, BATCH)).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        changed = [r for r in rows if _osmand_app(r[3])]
        conn.executemany("UPDATE fixes SET vel = ? WHERE id = ?",
                         [(r[2] / KNOT_MS, r[0]) for r in changed])
        members.update(r[1] for r in changed)
    if not members:     # most boxes: nothing corrected, pipeline_state untouched
        return
    conn.executemany("DELETE FROM pipeline_state WHERE member_id = ?",
                     [(m,) for m in sorted(members)])
