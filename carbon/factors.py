"""Looking up emission factors: which table entry applies to a leg, per passenger-km."""
from carbon import factors_v2026_07, factors_v2026_12

TABLES = {t["version"]: t for t in (factors_v2026_07.TABLE, factors_v2026_12.TABLE)}
CURRENT_VERSION = factors_v2026_12.TABLE["version"]

CAR_FUELS = ("petrol", "diesel", "hybrid", "plug-in hybrid", "electric")
CAR_SIZES = ("small", "compact", "saloon", "large")
TRAIN_KINDS = ("ter", "intercites", "tgv", "rer")
PLANE_BANDS = ((1000, "plane_le_1000km"), (2000, "plane_1001_2000km"),
               (5000, "plane_2001_5000km"), (float("inf"), "plane_gt_5000km"))
# Table 2026-07 read rail by distance alone (a cliff at 150 km); kept to explain its legs.
TGV_MIN_KM = 150.0


def table(version: str = CURRENT_VERSION) -> dict:
    return TABLES[version]


def car_g_per_vkm(fuel: str = "diesel", size: str = "compact", version: str = CURRENT_VERSION) -> float:
    cars = table(version)["per_vehicle_km"]["car"]
    if size not in CAR_SIZES or fuel not in CAR_FUELS:
        raise ValueError(f"unknown car: size {size!r}, fuel {fuel!r}")
    return cars[size][fuel]


def pkm_key(mode: str, distance_km: float, train_kind: str | None = None) -> str:
    """The per-passenger-km entry for a mode that has one (`train_kind`: see
    carbon.footprint.train_kind; None is table 2026-07's rule by distance)."""
    if mode == "plane":
        return next(key for limit, key in PLANE_BANDS if distance_km <= limit)
    if mode == "train":
        if train_kind is not None:
            return "train_" + train_kind if train_kind != "rer" else "rer"
        return "train_tgv" if distance_km >= TGV_MIN_KM else "train_ter"
    return mode


def g_per_pkm(mode: str, distance_km: float, version: str = CURRENT_VERSION,
              train_kind: str | None = None) -> float:
    return table(version)["per_pkm"][pkm_key(mode, distance_km, train_kind)]["g"]


def motorcycle_g_per_vkm(kind: str = "light", version: str = CURRENT_VERSION) -> float:
    return table(version)["per_vehicle_km"]["motorcycle_" + kind]["g"]
