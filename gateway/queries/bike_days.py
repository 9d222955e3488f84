"""The forfait mobilités durables: the days of a year on which the member went between
home and work by bike, e-bike, e-scooter or carpool (``carbon.summaries``' commute days:
a trip whose purpose is the commute and whose main leg is one of those modes)."""
from __future__ import annotations

from datetime import date, datetime

from carbon.summaries import COMMUTE, SUSTAINABLE_COMMUTE_MODES

from .days import day_bounds


def bike_days(conn, member_id: int, year: int, tz) -> dict:
    """{"days": [{date, modes, distance_m, trips}], "by_month": {1..12: n}} for the year."""
    lo, _ = day_bounds(date(year, 1, 1), tz)
    hi, _ = day_bounds(date(year + 1, 1, 1), tz)
    days: dict[date, dict] = {}
    for trip_id, start_ts in conn.execute(
            "SELECT id, start_ts FROM trips WHERE member_id = ? AND purpose = ? AND start_ts >= ? "
            "AND start_ts < ? ORDER BY start_ts", (member_id, COMMUTE, lo, hi)).fetchall():
        legs = conn.execute("SELECT mode, distance_m FROM legs WHERE trip_id = ?",
                            (trip_id,)).fetchall()
        if not legs:
            continue
        main = max(legs, key=lambda g: g[1])[0]
        if main not in SUSTAINABLE_COMMUTE_MODES:
            continue
        d = datetime.fromtimestamp(start_ts, tz).date()
        entry = days.setdefault(d, {"date": d, "modes": set(), "distance_m": 0.0, "trips": 0})
        entry["modes"].add(main)
        entry["distance_m"] += sum(g[1] for g in legs)
        entry["trips"] += 1
    by_month = {m: 0 for m in range(1, 13)}
    for d in days:
        by_month[d.month] += 1
    ordered = [{**e, "modes": sorted(e["modes"])} for _, e in sorted(days.items())]
    return {"year": year, "days": ordered, "count": len(ordered), "by_month": by_month}
