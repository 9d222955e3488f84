"""Looking up emission factors: which table entry applies to a leg, per passenger-km."""
from carbon import factors_v2026_07

TABLES = {factors_v2026_07.TABLE["version"]: factors_v2026_07.TABLE}
CURRENT_VERSION = factors_v2026_07.TABLE["version"]

CAR_FUELS = ("petrol", "diesel", "hybrid", "plug-in hybrid", "electric")
CAR_SIZES = ("small", "compact", "saloon", "large")
PLANE_BANDS = ((1000, "plane_le_1000km"), (2000, "plane_1001_2000km"),
               (5000, "plane_2001_5000km"), (float("inf"), "plane_gt_5000km"))
# A rail leg this long in France is almost always a TGV; shorter ones are TER.
TGV_MIN_KM = 150.0


def table(version: str = CURRENT_VERSION) -> dict:
    return TABLES[version]


def car_g_per_vkm(fuel: str = "diesel", size: str = "compact", version: str = CURRENT_VERSION) -> float:
    cars = table(version)["per_vehicle_km"]["car"]
    if size not in CAR_SIZES or fuel not in CAR_FUELS:
        raise ValueError(f"unknown car: size {size!r}, fuel {fuel!r}")
    return cars[size][fuel]


def pkm_key(mode: str, distance_km: float) -> str:
    """The per-passenger-km entry for a mode that has one."""
    if mode == "plane":
        return next(key for limit, key in PLANE_BANDS if distance_km <= limit)
    if mode == "train":
        return "train_tgv" if distance_km >= TGV_MIN_KM else "train_ter"
    return mode


def g_per_pkm(mode: str, distance_km: float, version: str = CURRENT_VERSION) -> float:
    return table(version)["per_pkm"][pkm_key(mode, distance_km)]["g"]


def motorcycle_g_per_vkm(kind: str = "light", version: str = CURRENT_VERSION) -> float:
    return table(version)["per_vehicle_km"]["motorcycle_" + kind]["g"]
