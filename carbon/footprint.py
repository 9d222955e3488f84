"""A leg's CO2e from its distance, its mode and the member's vehicle settings.

Avoided CO2e is what the same distance would have emitted alone in the member's car, minus
what the leg emitted; it is reported beside the footprint and never subtracted from it.

Cars are priced per vehicle-km (table 2026-12 on) and divided among the people aboard:
`car_occupancy` defaults to 1, the member driving alone. The box cannot see passengers; a
default of impactCO2's national average of 1.6 would credit every lone driver with 0.6 of a
passenger they did not carry (and make a 5 km bus ride look worse than driving it alone).
A member who shares their car says so (`car_occupancy`), and carpooling legs use
`carpool_occupancy` (2). See shared/reference/emission-factors.md (corrected 2026-12-01).

Trains: the kind (TER, Intercités, TGV, RER: very different per passenger-km) is read from
the leg itself, see `train_kind`.
"""
from dataclasses import dataclass

from carbon.factors import (CURRENT_VERSION, TRAIN_KINDS, car_g_per_vkm, g_per_pkm,
                            motorcycle_g_per_vkm)

HIGH_SPEED_MS = 55.6        # 200 km/h held: only high-speed lines sustain this
INTERCITY_MIN_KM = 100.0    # a journey this long with few stops is an Intercités
INTERCITY_MAX_HALTS_100KM = 3.0   # TER stop every 5-15 km, Intercités every 30-60 km
LONG_CONVENTIONAL_KM = 200.0      # halts unknown: a conventional journey this long is rarely a TER
# GTFS route types (extended) that name a kind of train
_GTFS_TRAIN = {101: "tgv", 102: "intercites", 103: "intercites", 105: "intercites",
               106: "ter", 109: "rer", 100: None, 2: None}


@dataclass(frozen=True, slots=True)
class MemberSettings:
    car_fuel: str = "diesel"
    car_size: str = "compact"
    car_occupancy: float = 1.0          # people usually aboard the member's car (1: alone)
    carpool_occupancy: float = 2.0      # people aboard when the member carpools
    motorcycle_kind: str = "light"      # "light" (scooter, <= 250 cm3) or "large"
    bus_g_pkm: float | None = None      # the network's bus factor; None: table default (147)
    boat_g_pkm: float = 0.0             # the sea-bus has no ADEME value: set it per network
    train_type: str | None = None       # the line the member takes: ter, intercites, tgv, rer
    version: str = CURRENT_VERSION


def train_kind(distance_km: float, features: dict | None, s: MemberSettings) -> str:
    """Which train a leg was: the GTFS route it followed when known; a high-speed line when
    it held more than 200 km/h (nothing else does); else the member's own line when they
    said which; else an Intercités when it ran 100 km or more stopping rarely (every 30-60
    km, where a TER stops every 5-15), a TER otherwise. When its stops could not be seen,
    a conventional journey beyond 200 km is an Intercités (TER journeys are regional)."""
    f = features or {}
    kind = _GTFS_TRAIN.get(f.get("route_type"))
    if kind:
        return kind
    if (f.get("sustained") or 0.0) >= HIGH_SPEED_MS:
        return "tgv"
    if s.train_type in TRAIN_KINDS:
        return s.train_type
    halts = f.get("stations")
    if halts is not None and distance_km >= INTERCITY_MIN_KM:
        return "intercites" if 100.0 * halts / distance_km <= INTERCITY_MAX_HALTS_100KM else "ter"
    return "intercites" if distance_km >= LONG_CONVENTIONAL_KM else "ter"


def g_per_km(mode: str, distance_km: float, s: MemberSettings, features: dict | None = None) -> float:
    """Grams of CO2e per km travelled by the member in this mode."""
    if mode == "car":
        return car_g_per_vkm(s.car_fuel, s.car_size, s.version) / max(s.car_occupancy, 1.0)
    if mode == "carpool":
        return car_g_per_vkm(s.car_fuel, s.car_size, s.version) / max(s.carpool_occupancy, 1.0)
    if mode == "motorcycle":
        return motorcycle_g_per_vkm(s.motorcycle_kind, s.version)
    if mode == "bus" and s.bus_g_pkm is not None:
        return s.bus_g_pkm
    if mode == "boat":
        return s.boat_g_pkm
    if mode == "unknown":
        return 0.0
    kind = train_kind(distance_km, features, s) if mode == "train" and s.version != "2026-07" else None
    return g_per_pkm(mode, distance_km, s.version, kind)


def leg_footprint(mode: str, distance_m: float, s: MemberSettings,
                  features: dict | None = None) -> tuple:
    """(co2_g, avoided_g) for one leg (`features`: what the engine measured on it)."""
    km = distance_m / 1000.0
    co2 = km * g_per_km(mode, km, s, features)
    alone = km * car_g_per_vkm(s.car_fuel, s.car_size, s.version)
    avoided = 0.0 if mode == "unknown" else max(0.0, alone - co2)
    return round(co2, 1), round(avoided, 1)


def apply_footprints(timeline, s: MemberSettings, keep_versions: bool = False) -> None:
    """Set co2_g, avoided_g and factor_version on every leg of the timeline. With
    `keep_versions`, a leg that already has a factor version is priced with that table
    (stored legs keep the version they were computed with until a rebuild)."""
    for trip in timeline.trips:
        for leg in trip.legs:
            settings = s
            if keep_versions and leg.factor_version and leg.factor_version != s.version:
                settings = _with_version(s, leg.factor_version)
            leg.co2_g, leg.avoided_g = leg_footprint(leg.mode, leg.distance_m, settings,
                                                     leg.features)
            leg.factor_version = settings.version


def _with_version(s: MemberSettings, version: str) -> MemberSettings:
    from dataclasses import replace
    return replace(s, version=version)
