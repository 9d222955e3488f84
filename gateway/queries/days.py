"""A member's day as the day view shows it: stays and trips in order, each trip's legs,
the day's totals, and which days of a month have trips (the calendar)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..trips.context import effective_places
from .confidence import leg_certainty, to_ask
from .trips import trips


def day_bounds(day: date, tz) -> tuple[int, int]:
    """[start, end) of a local calendar day (23 or 25 hours on clock-change days)."""
    start = datetime.combine(day, datetime.min.time(), tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    return int(start.timestamp()), int(end.timestamp())


def place_names(conn, member_id: int) -> dict:
    """place_key -> {name, label, private} of the member's places (merged ones included)."""
    out = {}
    for p in effective_places(conn, member_id):
        out.setdefault(p.id, {"name": p.name, "label": p.label, "visits": p.visits})
    return out


def _stays(conn, member_id: int, lo: int, hi: int, names: dict) -> list[dict]:
    rows = conn.execute("SELECT * FROM stays WHERE member_id = ? AND start_ts < ? AND end_ts > ? "
                        "ORDER BY start_ts", (member_id, hi, lo)).fetchall()
    out = []
    for r in rows:
        place = names.get(r["place"]) if r["place"] else None
        out.append({"kind": "stay", "start_ts": r["start_ts"], "end_ts": r["end_ts"],
                    "lat": r["lat"], "lon": r["lon"], "place_key": r["place"],
                    "name": place and place["name"], "label": place and place["label"],
                    "visits": place["visits"] if place else 0})
    return out


def day(conn, member_id: int, day_: date, tz) -> dict:
    """Everything the day view shows for one local day, in time order."""
    lo, hi = day_bounds(day_, tz)
    names = place_names(conn, member_id)
    items = _stays(conn, member_id, lo, hi, names)
    day_trips = list(trips(conn, member_id, lo, hi))
    legs = [g for t in day_trips for g in t["legs"]]
    ask = to_ask(legs)
    for t in day_trips:
        for g in t["legs"]:
            g["certainty"] = leg_certainty(g)
            g["ask"] = g["id"] in ask
        t["kind"] = "trip"
        t["from"] = names.get(t["start_place"]) if t["start_place"] else None
        t["to"] = names.get(t["end_place"]) if t["end_place"] else None
        items.append(t)
    items.sort(key=lambda i: (i["start_ts"], i["kind"] == "trip"))
    return {"date": day_, "start_ts": lo, "end_ts": hi, "timeline": items,
            "trips": day_trips, "totals": totals(day_trips)}


def totals(day_trips: list[dict]) -> dict:
    """Distance, CO2e and avoided CO2e (kept apart, never subtracted), and km per mode."""
    modes: dict[str, dict] = {}
    for t in day_trips:
        for g in t["legs"]:
            m = modes.setdefault(g["mode"], {"distance_m": 0.0, "co2_g": 0.0, "legs": 0})
            m["distance_m"] += g["distance_m"] or 0
            m["co2_g"] += g["co2_g"] or 0
            m["legs"] += 1
    return {"trips": len(day_trips),
            "distance_m": sum(m["distance_m"] for m in modes.values()),
            "co2_g": sum(m["co2_g"] for m in modes.values()),
            "avoided_g": sum(g["avoided_g"] or 0 for t in day_trips for g in t["legs"]),
            "modes": dict(sorted(modes.items(), key=lambda kv: -kv[1]["distance_m"]))}


def days_with_trips(conn, member_id: int, first: date, last: date, tz) -> set[date]:
    """The local days in [first, last] on which the member made a trip (the calendar)."""
    lo, _ = day_bounds(first, tz)
    _, hi = day_bounds(last, tz)
    found = set()
    for (ts,) in conn.execute("SELECT start_ts FROM trips WHERE member_id = ? AND start_ts >= ? "
                              "AND start_ts < ?", (member_id, lo, hi)):
        found.add(datetime.fromtimestamp(ts, tz).date())
    return found


def first_day(conn, member_id: int, tz) -> date | None:
    row = conn.execute("SELECT min(ts) FROM fixes WHERE member_id = ?", (member_id,)).fetchone()
    if row[0] is None:
        row = conn.execute("SELECT min(start_ts) FROM trips WHERE member_id = ?",
                           (member_id,)).fetchone()
    return datetime.fromtimestamp(row[0], tz).date() if row[0] is not None else None
