""""Households like yours": the city's published figures for the member's commune beside the
member's own month, computed on the box. Nothing individual goes up: the box fetches whole
published months (/published/YYYY-MM.json), never /communes/<code>.json, so not even the
commune is asked for (docs/aggregator.md, "Households like yours")."""
from __future__ import annotations

from carbon import summary_wire as wire
from carbon.communes import commune_name

from . import http

CO2E_BANDS_KG = (10, 25, 50, 100, 200, 400)      # the aggregator's bands (aggregator/publish.py)


def own_figures(body: dict | None) -> dict | None:
    """The member's month in the published cells' units (kg, km, shares)."""
    if body is None:
        return None
    km = {f: body["distance_m"][f] / 1000 for f in wire.FAMILIES}
    known = sum(km.values()) - km["unknown"]
    low = sum(km[f] for f in wire.LOW_CARBON_FAMILIES)
    co2e = sum(body["co2e_g"].values()) / 1000
    return {"trips": body["trips"], "bike_days": body["bike_days"], "km": round(sum(km.values()), 1),
            "co2e_kg": round(co2e, 1), "avoided_co2e_kg": round(body["avoided_co2e_g"] / 1000, 1),
            "low_carbon_share": round(low / known, 3) if known else None,
            "co2e_band": _band(co2e)}


def _band(kg: float) -> int:
    return sum(1 for limit in CO2E_BANDS_KG if kg >= limit)


def published_cell(cell: dict | None) -> dict | None:
    """A published cell per contributor; None when not published (suppressed or absent)."""
    if not cell or cell.get("suppressed"):
        return None
    n = cell["contributors"]
    km = sum((cell.get("km") or {}).values())
    return {"contributors": n, "co2e_kg_per_contributor": cell.get("co2e_kg_per_contributor"),
            "km_per_contributor": round(km / n, 1) if n else None,
            "low_carbon_share": cell.get("low_carbon_share"),
            "bike_days_per_contributor": round(cell["bike_days"] / n, 1)
            if n and cell.get("bike_days") is not None else None,
            "distribution_co2e_kg": cell.get("distribution_co2e_kg")}


async def published_month(url: str, month: str, timeout: float) -> dict | None:
    """The standing study's table of a published month, or None if nothing is published."""
    status, doc = await http.get(url, f"/published/{month}.json", timeout)
    if status == 404:
        return None
    if status != 200:
        raise http.Unreachable(f"{url}/published/{month}.json: HTTP {status}")
    return next((t for t in doc.get("studies", []) if t.get("study") == wire.STANDING_STUDY_ID),
                None)


def month_comparison(month: str, commune: str | None, mine: dict | None, table: dict | None) -> dict:
    cells = {c["commune"]: c for c in (table or {}).get("cells", [])}
    return {"month": month, "mine": mine, "published": table is not None,
            "release": table["release"] if table else None,
            "commune": published_cell(cells.get(commune)) if commune else None,
            "all": published_cell(cells.get("all")),
            "bands": (table or {}).get("bands", {}).get("distribution_co2e_kg")}


def header(commune: str | None) -> dict:
    return {"commune": commune, "commune_name": commune_name(commune) if commune else None}
