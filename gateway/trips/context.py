"""What the engine knows about a member besides their fixes, read from the store.

The household's settings (time zone, the network's bus and boat factors) are recorded by
`household.configure(store, config)` (re-exported here) and read back by `load`.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo

from carbon import Context
from carbon.corrections import Correction
from carbon.edits import TripEdit, apply_edits
from carbon.factors import CAR_FUELS, CAR_SIZES, TRAIN_KINDS
from carbon.footprint import MemberSettings
from carbon.model import Timeline
from carbon.places import Place, assign_places
from carbon.corrections import apply_corrections
from carbon.footprint import apply_footprints
from carbon.priors import learn as learn_priors

from .. import accounts
from .household import SETTINGS_KEY, configure, household_settings  # noqa: F401

log = logging.getLogger(__name__)

DEFAULT_TZ = "Europe/Paris"
# Member settings (members.settings JSON, key "vehicle") the footprint reads.
VEHICLE_KEYS = ("car_fuel", "car_size", "car_occupancy", "carpool_occupancy",
                "motorcycle_kind", "train_type")


@dataclass
class MemberContext:
    """One member's context as the store holds it, loaded once per run of the pipeline: what
    detection itself uses (``detect``, a ``carbon.Context``: owned vehicles, the transit
    index, the time zone) and what is applied after detection (places, corrections, vehicle
    settings for footprints), kept apart so that the engine's own guess is stored first."""

    detect: Context                      # what detection itself uses (vehicles, transit,
    #                                      the member's own places)
    vehicle: MemberSettings
    tz: object
    places: list = field(default_factory=list)
    corrections: tuple = ()
    edits: tuple = ()                    # splits and merges (carbon.edits)


def vehicle_settings(conn, member_id: int) -> dict:
    return accounts.member_settings(conn, member_id).get("vehicle", {})


def check_vehicle(values: dict) -> None:
    """Refuse settings the factor table cannot price, with the accepted values."""
    if "car_fuel" in values and values["car_fuel"] not in CAR_FUELS:
        raise ValueError(f"fuel must be one of {', '.join(CAR_FUELS)}")
    if "car_size" in values and values["car_size"] not in CAR_SIZES:
        raise ValueError(f"size must be one of {', '.join(CAR_SIZES)}")
    if "motorcycle_kind" in values and values["motorcycle_kind"] not in ("light", "large"):
        raise ValueError("motorcycle must be light or large")
    if values.get("bus_g_pkm") is not None and not 0 < float(values["bus_g_pkm"]) <= 500:
        raise ValueError("the bus network's factor is between 1 and 500 g CO2e per passenger-km")
    if values.get("train_type") not in (None, *TRAIN_KINDS):
        raise ValueError(f"train type must be one of {', '.join(TRAIN_KINDS)}")
    for key in ("car_occupancy", "carpool_occupancy"):
        if key in values and not 1 <= float(values[key]) <= 9:
            raise ValueError(f"{key.replace('_', ' ')} must be between 1 and 9")


def load(store, member_id: int) -> MemberContext:
    """The member's context, read once per run of the pipeline (and after a decision)."""
    conn = store.conn
    household = store.get_setting(SETTINGS_KEY) or {}
    tz = _zone(household.get("timezone") or DEFAULT_TZ)
    mine = vehicle_settings(conn, member_id)
    known = {f.name for f in fields(MemberSettings)}
    # The member's own bus factor (their network, when it is not the household's) wins.
    vehicle = MemberSettings(**{k: v for k, v in mine.items() if k in VEHICLE_KEYS and k in known},
                             bus_g_pkm=mine.get("bus_g_pkm") or household.get("bus_g_pkm"),
                             boat_g_pkm=household.get("boat_g_pkm") or 0.0)
    from .transit import transit_index
    corrections = load_corrections(conn, member_id)
    # the member's corrections teach detection itself (their speeds, the modes they use),
    # and a corrected leg is certain about where it left the car or the bike; the places
    # the member named tell a stop there from a halt in a ride (carbon.trips._halt_in_ride)
    own, places = member_places(conn, member_id)
    detect = Context(owned_modes=frozenset(mine.get("owns", ())), transit=transit_index(store),
                     tz=tz, priors=learn_priors(corrections), certain=corrections,
                     places=tuple(own))
    return MemberContext(detect, vehicle, tz, places, corrections, load_edits(conn, member_id))


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except Exception:   # a typo in the configuration must not stop trips being computed
        log.warning("unknown time zone %r: using %s", name, DEFAULT_TZ)
        return ZoneInfo(DEFAULT_TZ)


def load_corrections(conn, member_id: int) -> tuple:
    out = []
    for r in conn.execute("SELECT * FROM corrections WHERE member_id = ? ORDER BY created_ts, id",
                          (member_id,)):
        start = (r["trip_start_lat"], r["trip_start_lon"]) if r["trip_start_lat"] is not None else None
        end = (r["trip_end_lat"], r["trip_end_lon"]) if r["trip_end_lat"] is not None else None
        out.append(Correction(r["kind"], r["start_ts"], r["end_ts"], r["value"], r["created_ts"],
                              start, end, r["trip_distance_m"], bool(r["main_leg"]), r["was"],
                              _features(r["leg_features"])))
    return tuple(out)


def _features(text):
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def store_correction(conn, member_id: int, c: Correction) -> None:
    start, end = c.trip_start or (None, None), c.trip_end or (None, None)
    conn.execute(
        "INSERT OR REPLACE INTO corrections (member_id, kind, start_ts, end_ts, value, created_ts, "
        "trip_start_lat, trip_start_lon, trip_end_lat, trip_end_lon, trip_distance_m, main_leg, "
        "was, leg_features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (member_id, c.kind, c.start_ts, c.end_ts, c.value, c.created_ts or int(time.time()),
         *start, *end, c.trip_distance_m, int(c.main_leg), c.was,
         json.dumps(c.features, sort_keys=True) if c.features else None))


def load_edits(conn, member_id: int) -> tuple:
    return tuple(TripEdit(r["kind"], r["ts"], r["until_ts"],
                          (r["lat"], r["lon"]) if r["lat"] is not None else None, r["created_ts"])
                 for r in conn.execute("SELECT * FROM trip_edits WHERE member_id = ? "
                                       "ORDER BY created_ts, id", (member_id,)))


def store_edit(conn, member_id: int, e: TripEdit) -> None:
    at = e.at or (None, None)
    conn.execute("INSERT INTO trip_edits (member_id, kind, ts, until_ts, lat, lon, created_ts) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (member_id, e.kind, e.ts, e.until_ts, *at, e.created_ts or int(time.time())))


def shape(stays: list, trips: list, mc: MemberContext) -> tuple[list, list]:
    """The member's splits and merges applied to detected (or stored) stays and trips:
    part of the trips' shape, so it comes before the engine's guesses are recorded."""
    if not mc.edits:
        return stays, trips
    return apply_edits(stays, trips, mc.edits)


def effective_places(conn, member_id: int) -> list:
    """The member's own places, then detected ones that are not near one of theirs; a label
    the member gave (home, work) is taken away from any detected place."""
    return member_places(conn, member_id)[1]


def member_places(conn, member_id: int) -> tuple[list, list]:
    """(the places the member named or merged, the effective places: those, then the
    detected ones as ``effective_places`` says).

    Detection reads only the first (``MemberContext.detect.places``). The detected places
    are the engine's own output, found from the stays a previous run stored
    (``pipeline.refresh_places``): detection given them would depend on the runs before it
    (a first import has none, the rebuild after it has them; the live path has those
    found so far, a rebuild those of the whole history), so the same fixes would give other
    stays and trips by when they were computed. The member's own places are input, as
    their corrections are: the same for every run."""
    from carbon.places import PLACE_RADIUS_M
    from carbon.geo import distance_m
    rows = conn.execute("SELECT * FROM places WHERE member_id = ? ORDER BY source DESC, id",
                        (member_id,)).fetchall()
    mine = _merged([r for r in rows if r["source"] == "member"])
    taken = {p.label for p in mine if p.label}
    out = list(mine)
    for r in rows:
        if r["source"] != "auto":
            continue
        if any(distance_m(p.lat, p.lon, r["lat"], r["lon"]) <= PLACE_RADIUS_M for p in mine):
            continue
        p = _place(r)
        if p.label in taken:
            p.label = None
        out.append(p)
    return mine, out


def _merged(rows) -> list:
    """The member's places; one merged into another stands for it (same id, name and
    label) at its own location, so stays there are shown as the place it joined."""
    by_key = {r["place_key"]: r for r in rows}
    out = []
    for r in rows:
        target = by_key.get(r["merged_into"]) if r["merged_into"] else None
        if target is None:
            out.append(_place(r))
        else:
            out.append(Place(target["place_key"], r["lat"], r["lon"], target["label"],
                             target["name"], r["visits"], r["dwell_s"]))
    return out


def _place(r) -> Place:
    return Place(r["place_key"], r["lat"], r["lon"], r["label"], r["name"], r["visits"],
                 r["dwell_s"])


def finish(stays: list, trips: list, mc: MemberContext, keep_versions: bool = True) -> None:
    """What follows from the member's context, in carbon's order: places and purposes,
    corrections (direct, then recurring trips), footprints. Stored legs keep the factor
    table they were priced with unless `keep_versions` is False (a rebuild)."""
    tl = Timeline(stays, trips)
    if mc.places:
        assign_places(tl, mc.places)
    if mc.corrections:
        apply_corrections(tl, mc.corrections)
    apply_footprints(tl, mc.vehicle, keep_versions=keep_versions)
