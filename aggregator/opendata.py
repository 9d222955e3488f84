"""The published releases as open data: a month's JSON and CSV, the collective ledger, and one
commune's figures for a box's "households like yours"."""
import csv
import io

from carbon import summary_wire as wire
from aggregator.store.schema import FAMILY_COLUMNS

CSV_COLUMNS = (["study", "release", "k", "commune", "name", "suppressed", "contributors", "trips",
                "bike_days", "avoided_co2e_kg", "low_carbon_share", "co2e_kg_per_contributor"]
               + [f"km_{f}" for f in FAMILY_COLUMNS] + [f"co2e_kg_{f}" for f in FAMILY_COLUMNS])


async def month_document(store, month: str) -> dict | None:
    releases = await store.latest_releases(month)
    if not releases:
        return None
    return {"month": month, "studies": [tables for _s, _m, _n, tables in releases]}


def month_csv(document: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in document["studies"]:
        for c in t["cells"]:
            flat = {**c, "study": t["study"], "release": t["release"], "k": t["k"]}
            for f in FAMILY_COLUMNS:
                flat[f"km_{f}"] = (c.get("km") or {}).get(f)
                flat[f"co2e_kg_{f}"] = (c.get("co2e_kg") or {}).get(f)
            writer.writerow(["" if flat.get(col) is None else flat.get(col) for col in CSV_COLUMNS])
    return out.getvalue()


def _all_cell(tables: dict) -> dict:
    return next(c for c in tables["cells"] if c["commune"] == "all")


async def ledger(store) -> list:
    """The cooperative's avoided CO2e month by month (the standing study's "all" cells)."""
    rows = []
    for study, month, number, tables in await store.latest_releases():
        if study == wire.STANDING_STUDY_ID:
            total = _all_cell(tables)
            rows.append({"month": month, "release": number, "contributors": total["contributors"],
                         "avoided_co2e_kg": total.get("avoided_co2e_kg"),
                         "co2e_kg_per_contributor": total.get("co2e_kg_per_contributor"),
                         "low_carbon_share": total.get("low_carbon_share")})
    return rows


async def commune_figures(store, code: str) -> dict:
    """A commune's published cells, month by month, beside the whole agglomeration's."""
    months = []
    for study, month, number, tables in await store.latest_releases():
        if study != wire.STANDING_STUDY_ID:
            continue
        mine = next((c for c in tables["cells"] if c["commune"] == code), None)
        months.append({"month": month, "release": number,
                       "commune": mine if mine and not mine["suppressed"] else {"suppressed": True},
                       "all": _all_cell(tables)})
    return {"commune": code, "study": wire.STANDING_STUDY_ID, "months": months}
