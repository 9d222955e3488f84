"""A member's totals for a period, as plain data with no coordinates.

This is what a member may choose to share (signed) with the city's aggregator, so it carries
only dates, counts, distances and CO2e, never a place or a position.
"""
from datetime import datetime

from carbon.places import _default_tz

BIKE_MODES = frozenset({"bike", "e-bike"})
# Modes the forfait mobilités durables covers besides the bike.
SUSTAINABLE_COMMUTE_MODES = BIKE_MODES | {"carpool", "e-scooter"}
COMMUTE = "commute"


def _local_date(ts: int, tz) -> str:
    return datetime.fromtimestamp(ts, tz).date().isoformat()


def _commute_days(trips: list, modes: frozenset, tz) -> dict:
    """Distinct local days per calendar year with a commute mainly in one of these modes."""
    days = {}
    for t in trips:
        if t.purpose == COMMUTE and t.main_mode in modes:
            d = _local_date(t.start_ts, tz)
            days.setdefault(d[:4], set()).add(d)
    return {year: len(ds) for year, ds in sorted(days.items())}


def summarize(trips: list, start_ts: int, end_ts: int, tz=None) -> dict:
    """Totals of the trips starting in [start_ts, end_ts)."""
    tz = tz or _default_tz()
    chosen = [t for t in trips if start_ts <= t.start_ts < end_ts]
    modes, versions = {}, set()
    co2 = avoided = dist = 0.0
    for t in chosen:
        for leg in t.legs:
            m = modes.setdefault(leg.mode, {"km": 0.0, "co2_kg": 0.0, "legs": 0})
            m["km"] += leg.distance_m / 1000
            m["co2_kg"] += (leg.co2_g or 0.0) / 1000
            m["legs"] += 1
            co2 += leg.co2_g or 0.0
            avoided += leg.avoided_g or 0.0
            dist += leg.distance_m
            if leg.factor_version:
                versions.add(leg.factor_version)
    for m in modes.values():
        m["km"], m["co2_kg"] = round(m["km"], 2), round(m["co2_kg"], 3)
    return {
        "period": {"start": _local_date(start_ts, tz), "end": _local_date(end_ts - 1, tz)},
        "trips": len(chosen),
        "distance_km": round(dist / 1000, 2),
        "co2_kg": round(co2 / 1000, 3),
        "avoided_co2_kg": round(avoided / 1000, 3),
        "modes": dict(sorted(modes.items())),
        "bike_commute_days": _commute_days(chosen, BIKE_MODES, tz),
        "sustainable_commute_days": _commute_days(chosen, SUSTAINABLE_COMMUTE_MODES, tz),
        "factor_versions": sorted(versions),
    }
