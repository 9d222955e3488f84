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


# ==== The city link: a member's summary for one calendar month, in its wire form ============
# (the wire format itself, its validation and canonical bytes: carbon/summary_wire.py)
from carbon.summary_wire import FAMILIES, FAMILY_OF_MODE  # noqa: E402


def _month_bounds(month: str, tz) -> tuple:
    year, mon = int(month[:4]), int(month[5:])
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return int(start.timestamp()), int(end.timestamp())


def month_summary(trips: list, month: str, tz=None, commune: str | None = None) -> dict:
    """The full wire body for the trips starting in a local calendar month ("YYYY-MM"):
    metres and grams of CO2e per mode family, trips, bike-to-work days, avoided CO2e, the
    factor table version and, only if given, the commune of home. Integers only; a study
    then keeps the fields it asked for (summary_wire.body_for_study)."""
    from carbon.factors import CURRENT_VERSION
    tz = tz or _default_tz()
    start_ts, end_ts = _month_bounds(month, tz)
    chosen = [t for t in trips if start_ts <= t.start_ts < end_ts]
    metres = dict.fromkeys(FAMILIES, 0.0)
    grams = dict.fromkeys(FAMILIES, 0.0)
    avoided, versions = 0.0, set()
    for t in chosen:
        for leg in t.legs:
            family = FAMILY_OF_MODE.get(leg.mode, "unknown")
            metres[family] += leg.distance_m
            grams[family] += leg.co2_g or 0.0
            avoided += leg.avoided_g or 0.0
            if leg.factor_version:
                versions.add(leg.factor_version)
    body = {
        "factor_version": max(versions) if versions else CURRENT_VERSION,
        "trips": len(chosen),
        "distance_m": {f: int(round(v)) for f, v in metres.items()},
        "co2e_g": {f: int(round(v)) for f, v in grams.items()},
        "avoided_co2e_g": int(round(avoided)),
        "bike_days": sum(_commute_days(chosen, BIKE_MODES, tz).values()),
    }
    if commune is not None:
        body["commune"] = commune
    return body
