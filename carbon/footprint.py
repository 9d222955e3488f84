"""A leg's CO2e from its distance, its mode and the member's vehicle settings.

Avoided CO2e is what the same distance would have emitted alone in the member's car, minus
what the leg emitted; it is reported beside the footprint and never subtracted from it.
"""
from dataclasses import dataclass

from carbon.factors import CURRENT_VERSION, car_g_per_vkm, g_per_pkm, motorcycle_g_per_vkm


@dataclass(frozen=True, slots=True)
class MemberSettings:
    car_fuel: str = "diesel"
    car_size: str = "compact"
    car_occupancy: float = 1.0          # people usually aboard the member's car
    carpool_occupancy: float = 2.0      # people aboard when the member carpools
    motorcycle_kind: str = "light"      # "light" (scooter, <= 250 cm3) or "large"
    bus_g_pkm: float | None = None      # the network's bus factor; None: table default (147)
    boat_g_pkm: float = 0.0             # the sea-bus has no ADEME value: set it per network
    version: str = CURRENT_VERSION


def g_per_km(mode: str, distance_km: float, s: MemberSettings) -> float:
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
    return g_per_pkm(mode, distance_km, s.version)


def leg_footprint(mode: str, distance_m: float, s: MemberSettings) -> tuple:
    """(co2_g, avoided_g) for one leg."""
    km = distance_m / 1000.0
    co2 = km * g_per_km(mode, km, s)
    alone = km * car_g_per_vkm(s.car_fuel, s.car_size, s.version)
    avoided = 0.0 if mode == "unknown" else max(0.0, alone - co2)
    return round(co2, 1), round(avoided, 1)


def apply_footprints(timeline, s: MemberSettings) -> None:
    """Set co2_g, avoided_g and factor_version on every leg of the timeline."""
    for trip in timeline.trips:
        for leg in trip.legs:
            leg.co2_g, leg.avoided_g = leg_footprint(leg.mode, leg.distance_m, s)
            leg.factor_version = s.version
