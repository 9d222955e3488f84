"""Trends: km and CO2e per mode for a week, a month or a year and the periods before it,
the share of low-carbon km, and avoided CO2e (beside the footprint, never subtracted).

One grouped query per period over the legs' (member_id, start_ts) index: a year of one
member's legs is a few thousand rows.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from carbon.factors import car_g_per_vkm
from carbon.footprint import MemberSettings

from ..trips.context import vehicle_settings
from .days import day_bounds

PERIODS = ("week", "month", "year")
HOW_MANY = {"week": 8, "month": 6, "year": 4}
# Low-carbon: moved by one's own muscles (or a small battery), or on rails. The bus is public
# transport but, per passenger-km, not low-carbon in ADEME's figures for most networks.
LOW_CARBON = frozenset({"walk", "run", "bike", "e-bike", "e-scooter", "tram", "metro", "train"})


def period_start(kind: str, day: date) -> date:
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def shift(kind: str, start: date, n: int) -> date:
    """The start of the period n periods after (n < 0: before) the one starting at start."""
    if kind == "week":
        return start + timedelta(weeks=n)
    if kind == "month":
        months = start.year * 12 + start.month - 1 + n
        return date(months // 12, months % 12 + 1, 1)
    return date(start.year + n, 1, 1)


def periods(kind: str, anchor: date, count: int) -> list[tuple[date, date]]:
    """[(first day, first day of the next)] oldest first, the anchor's period last."""
    if kind not in PERIODS:
        raise ValueError(f"a period is one of {', '.join(PERIODS)}")
    last = period_start(kind, anchor)
    starts = [shift(kind, last, -k) for k in range(count - 1, -1, -1)]
    return [(s, shift(kind, s, 1)) for s in starts]


def _period(conn, member_id: int, lo: int, hi: int) -> dict:
    modes = {}
    for mode, dist, co2, avoided, n in conn.execute(
            "SELECT mode, total(distance_m), total(co2_g), total(avoided_g), count(*) FROM legs "
            "WHERE member_id = ? AND start_ts >= ? AND start_ts < ? GROUP BY mode",
            (member_id, lo, hi)):
        modes[mode] = {"distance_m": dist, "co2_g": co2, "avoided_g": avoided, "legs": n}
    km = sum(m["distance_m"] for m in modes.values())
    low = sum(m["distance_m"] for k, m in modes.items() if k in LOW_CARBON)
    return {"modes": modes, "distance_m": km, "co2_g": sum(m["co2_g"] for m in modes.values()),
            "avoided_g": sum(m["avoided_g"] for m in modes.values()),
            "low_carbon_m": low, "low_carbon_share": (low / km) if km else None}


def trends(conn, member_id: int, kind: str, anchor: date, tz, count: int | None = None) -> dict:
    """The anchor's period and the ones before it, with the averages of those before."""
    spans = periods(kind, anchor, count or HOW_MANY[kind])
    out = []
    for first, nxt in spans:
        lo, _ = day_bounds(first, tz)
        hi, _ = day_bounds(nxt, tz)
        out.append({"start": first, "end": nxt - timedelta(days=1), **_period(conn, member_id, lo, hi)})
    current, before = out[-1], [p for p in out[:-1] if p["distance_m"] > 0]
    average = None
    if before:
        average = {k: sum(p[k] for p in before) / len(before)
                   for k in ("distance_m", "co2_g", "avoided_g", "low_carbon_m")}
    return {"kind": kind, "periods": out, "current": current, "average_before": average,
            "modes": sorted({m for p in out for m in p["modes"]}),
            "car_g_per_km": _car_factor(conn, member_id)}


def _car_factor(conn, member_id: int) -> float:
    """The member's own car, alone: what avoided CO2e is measured against (km not driven)."""
    v = vehicle_settings(conn, member_id)
    s = MemberSettings()
    return car_g_per_vkm(v.get("car_fuel", s.car_fuel), v.get("car_size", s.car_size))


def first_activity(conn, member_id: int, tz) -> date | None:
    row = conn.execute("SELECT min(start_ts) FROM legs WHERE member_id = ?", (member_id,)).fetchone()
    return datetime.fromtimestamp(row[0], tz).date() if row[0] is not None else None
