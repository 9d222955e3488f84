"""A month's publication: per study and per commune, totals and distributions over at least k
contributors, released under the rules of aggregator.suppression and kept as release history."""
import bisect
from datetime import date, timedelta

from carbon import summary_wire as wire
from aggregator.store.schema import FAMILY_COLUMNS
from aggregator.suppression import (NO_COMMUNE, Release, cross_study_blocked, release_blocked,
                                     suppress, unchanged)

DEFAULT_K = 10
GRACE_DAYS = 10     # after a month ends, before its first release (the box waits ~5 days to send)
ALL = "all"
# Monthly CO2e per contributor (kg) and share of low-carbon km: coarse bands, counts only.
CO2E_BANDS_KG = (10, 25, 50, 100, 200, 400)
SHARE_BANDS = (0.25, 0.5, 0.75)

# Column positions in Store.month_rows: pseudonym, digest, commune, trips, bike_days, avoided_g,
# six metre columns, six gram columns.
P, D, COMMUNE, TRIPS, BIKE, AVOIDED = range(6)
METRES = slice(6, 6 + len(FAMILY_COLUMNS))
GRAMS = slice(6 + len(FAMILY_COLUMNS), 6 + 2 * len(FAMILY_COLUMNS))


def atoms_of(study: dict) -> list:
    return sorted(wire.COMMUNES) + [NO_COMMUNE] if "commune" in study["fields"] else [NO_COMMUNE]


def group(rows, atoms) -> dict:
    by_atom = {a: [] for a in atoms}
    for row in rows:
        atom = row[COMMUNE] if row[COMMUNE] in by_atom else NO_COMMUNE
        by_atom[atom].append(row)
    return by_atom


def _bands(values, limits) -> list:
    counts = [0] * (len(limits) + 1)
    for v in values:
        counts[bisect.bisect_right(limits, v)] += 1
    return counts


def _band_labels(limits, unit="") -> list:
    edges = ("0",) + tuple(f"{x:g}" for x in limits)
    return [f"{a}-{b}{unit}" for a, b in zip(edges, edges[1:])] + [f">={edges[-1]}{unit}"]


def cell(rows, fields) -> dict:
    """The published figures of one cell (only for the fields the study asked for). Works on
    columns (sums in C), as a month's table can hold 100,000 contributors."""
    n = len(rows)
    cols = list(zip(*rows)) if rows else [()] * (GRAMS.stop)
    out = {"contributors": n}
    if "trips" in fields:
        out["trips"] = sum(cols[TRIPS])
    if "bike_days" in fields:
        out["bike_days"] = sum(cols[BIKE])
    if "avoided_co2e_g" in fields:
        out["avoided_co2e_kg"] = round(sum(cols[AVOIDED]) / 1000, 1)
    if "distance_m" in fields:
        metres = dict(zip(FAMILY_COLUMNS, cols[METRES]))
        km = {f: sum(col) / 1000 for f, col in metres.items()}
        low = sum(km[f] for f in wire.LOW_CARBON_FAMILIES)
        known = sum(km.values()) - km["unknown"]
        out["km"] = {f: round(v, 1) for f, v in km.items()}
        out["low_carbon_share"] = round(low / known, 3) if known else None
        lows = [a + b for a, b in zip(*(metres[f] for f in wire.LOW_CARBON_FAMILIES))]
        knowns = [sum(t) - u for t, u in zip(zip(*cols[METRES]), metres["unknown"])]
        out["distribution_low_carbon_share"] = _bands(
            [lo / kn for lo, kn in zip(lows, knowns) if kn], SHARE_BANDS)
    if "co2e_g" in fields:
        grams = [sum(col) for col in cols[GRAMS]]
        out["co2e_kg"] = {f: round(g / 1000, 1) for f, g in zip(FAMILY_COLUMNS, grams)}
        out["co2e_kg_per_contributor"] = round(sum(grams) / 1000 / n, 1) if n else None
        out["distribution_co2e_kg"] = _bands([sum(t) / 1000 for t in zip(*cols[GRAMS])], CO2E_BANDS_KG)
    return out


def table(study: dict, by_atom: dict, hidden: set, number: int, k: int) -> dict:
    """The release as published: every atom listed (suppressed ones without any figure, not
    even a count, so an empty commune and a small one look alike) and the "all" cell."""
    fields = study["fields"]
    cells = []
    if "commune" in fields:
        for atom in sorted(by_atom):
            entry = {"commune": atom, "name": wire.COMMUNES.get(atom, (None,))[0]}
            if atom in hidden:
                entry["suppressed"] = True
            else:
                entry.update(suppressed=False, **cell(by_atom[atom], fields))
            cells.append(entry)
    everyone = [r for rows in by_atom.values() for r in rows]
    cells.append({"commune": ALL, "name": None, "suppressed": False, **cell(everyone, fields)})
    return {"study": study["id"], "release": number, "k": k, "fields": fields, "cells": cells,
            "bands": {"distribution_co2e_kg": _band_labels(CO2E_BANDS_KG, " kg"),
                      "distribution_low_carbon_share": _band_labels(SHARE_BANDS)}}


async def _release(store, study_id: str, month: str, number: int, suppressed) -> Release:
    members = {}
    for atom, pseudonym, digest in await store.release_members(study_id, month, number):
        members.setdefault(atom, set()).add((pseudonym, digest))
    return Release(number, set(suppressed), members, study_id)


async def _previous(store, study_id: str, month: str) -> list:
    return [await _release(store, study_id, month, number, suppressed)
            for number, _k, suppressed, _t in await store.releases(study_id, month)]


async def _other_studies(store, study_id: str, month: str) -> list:
    """(has_communes, latest Release) of every other study published for the month."""
    studies, out = await store.studies(), []
    for other, _m, number, tables in await store.latest_releases(month):
        if other != study_id and other in studies:
            suppressed = {c["commune"] for c in tables["cells"] if c["suppressed"]}
            out.append(("commune" in studies[other]["fields"],
                        await _release(store, other, month, number, suppressed)))
    return out


async def publish_month(store, study: dict, month: str, k_default: int = DEFAULT_K) -> dict:
    """Release one study-month if the rules allow; what happened, in words and numbers."""
    k = max(k_default, study["k"])
    communes = "commune" in study["fields"]
    by_atom = group(await store.month_rows(study["id"], month), atoms_of(study))
    now = {a: {(r[P], r[D]) for r in rows} for a, rows in by_atom.items() if rows}
    previous = await _previous(store, study["id"], month)
    others = await _other_studies(store, study["id"], month)
    outcome = {"study": study["id"], "month": month, "k": k, "released": None}
    sticky = set(previous[-1].suppressed) if previous else set()
    for has_communes, other in others:
        if communes and has_communes:
            sticky |= other.suppressed
    hidden = suppress({a: len(rows) for a, rows in by_atom.items()}, k, sticky)
    if hidden is None:
        return {**outcome, "reason": f"fewer than k={k} contributors in the whole table"}
    if previous and unchanged(now, previous[-1]) and hidden == previous[-1].suppressed:
        return {**outcome, "reason": "nothing changed since the last release"}
    reason = (release_blocked(now, hidden, k, previous)
              or cross_study_blocked(now, hidden, k, others, communes))
    if reason:
        return {**outcome, "reason": reason}
    number = previous[-1].number + 1 if previous else 1
    members = [(a, p, d) for a, pairs in now.items() for p, d in pairs]
    await store.add_release(study["id"], month, number, k, hidden,
                            table(study, by_atom, hidden, number, k), members)
    return {**outcome, "released": number, "reason": "released"}


def settled(month: str, today: date, grace_days: int) -> bool:
    """Whether a month's boxes have had their grace period to send (late fixes, retries):
    publishing earlier would make the first release small and every later one wait for k
    changes per cell."""
    year, mon = int(month[:4]), int(month[5:])
    end = date(year + mon // 12, mon % 12 + 1, 1)
    return today >= end + timedelta(days=grace_days)


async def publish_all(store, k_default: int = DEFAULT_K, today: date | None = None,
                      grace_days: int = GRACE_DAYS) -> list:
    """One publication pass over every settled study-month."""
    today = today or date.today()
    studies = await store.studies()
    return [await publish_month(store, studies[s], m, k_default)
            for s, m in await store.study_months() if s in studies and settled(m, today, grace_days)]
