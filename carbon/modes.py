"""Transport modes and how a leg's mode is inferred.

Three layers, in order of trust: the physical speed class (what a body or vehicle can do),
public-transport knowledge (a route followed and its stops served), then the phone's own
activity guess and the member's context, which refine within what physics allows.
Corrections come later (carbon.corrections) and always win.
"""
from carbon.features import LegFeatures

MODES = ("walk", "run", "bike", "e-bike", "e-scooter", "motorcycle", "car", "carpool", "bus",
         "tram", "train", "metro", "boat", "plane", "unknown")

# Speed classes (m/s). Walking tops out near 2 m/s; cycling rarely holds above 8 m/s in town;
# motorway cars are capped at 36 m/s (130 km/h), so a sustained 42 m/s on the ground is a train;
# only a plane holds 100 m/s.
PLANE_P50_MS = 100.0
PLANE_MEAN_MS = 70.0
RAIL_P85_MS = 42.0
MOTOR_P85_MS = 9.0
MOTOR_P95_MS = 12.5
MOTOR_MEAN_MS = 7.0     # 25 km/h door to door, stops included, is beyond town cycling
CYCLE_P85_MS = 2.6
RUN_P95_MS = 3.9
EBIKE_P50_MS = 5.3
# Over two minutes (LegFeatures.sustained_p85_ms) a motor vehicle that moves at all covers
# more than 18 km/h at times, which town cycling rarely keeps up; a walker or a cyclist
# covers at least 1.5 m/s (a phone hopping between two positions covers nothing).
SUSTAINED_MOTOR_MS = 5.0
SUSTAINED_MOVING_MS = 1.5
# Nobody walks 2.5 m/s (9 km/h) for two minutes: beyond that the member jogs or rides, even
# when windowed speeds stay low (a window spanning a sparse step and a turn reads 2.3 m/s on
# a ride at 3.7 m/s).
SUSTAINED_BEYOND_WALK_MS = 2.5

ACTIVITY_ALIASES = {
    "walking": "walk", "walk": "walk", "on_foot": "walk", "foot": "walk",
    "running": "run", "run": "run",
    "cycling": "bike", "on_bicycle": "bike", "bicycle": "bike", "bike": "bike",
    "automotive": "car", "in_vehicle": "car", "in_road_vehicle": "car", "in_car": "car",
    "driving": "car", "car": "car",
    "in_bus": "bus", "bus": "bus", "in_rail_vehicle": "train", "in_train": "train",
    "train": "train", "tram": "tram", "subway": "metro", "metro": "metro",
    "flying": "plane", "plane": "plane", "boat": "boat",
}
# The speed (p85, m/s) each activity is still believable at: phones say "walking" in a slow
# bus queue and "automotive" on a fast bike, so evidence outside its range is ignored.
_EVIDENCE_P85_RANGE = {
    "walk": (0.0, 3.2), "run": (1.8, 5.5), "bike": (1.5, 13.0), "car": (2.5, 45.0),
    "bus": (2.5, 30.0), "tram": (2.5, 25.0), "metro": (2.5, 30.0), "train": (4.0, 100.0),
    "boat": (1.0, 25.0), "plane": (40.0, 400.0),
}
_CYCLE_FAMILY = ("bike", "e-bike", "e-scooter", "run")
_ROAD_FAMILY = ("car", "carpool", "motorcycle", "bus")


def speed_class(f: LegFeatures) -> str:
    if f.p50_ms >= PLANE_P50_MS or (f.distance_m >= 100_000 and f.mean_ms >= PLANE_MEAN_MS):
        return "plane"
    if f.p85_ms >= RAIL_P85_MS:
        return "rail"
    sustained = f.sustained_p85_ms
    if (f.p85_held_ms >= MOTOR_P85_MS or f.p95_held_ms >= MOTOR_P95_MS or
            f.mean_ms >= MOTOR_MEAN_MS) \
            and (sustained is None or sustained >= SUSTAINED_MOTOR_MS):
        return "motor"
    if f.p85_ms >= CYCLE_P85_MS and (sustained is None or sustained >= SUSTAINED_MOVING_MS):
        return "cycle"
    if sustained is not None and sustained >= SUSTAINED_BEYOND_WALK_MS:
        return "cycle"
    return "walk"


def _cycle_mode(f: LegFeatures) -> str:
    # Running holds a steady pace without the stops of town cycling; a slow cyclist at
    # lights would otherwise pass for a runner.
    if f.p95_ms < RUN_P95_MS and f.p50_ms >= 2.3 and f.stop_share < 0.05:
        return "run"
    if f.p50_ms >= EBIKE_P50_MS and f.p95_ms <= 8.0:
        return "e-bike"   # assistance stops at 25 km/h: fast but capped
    return "bike"


def _looks_like_bus(f: LegFeatures) -> bool:
    # Buses serve a stop every 300-500 m, accelerate gently and stay under ~60 km/h in town.
    # Its median speed is low against its cruising speed (p85): much time spent at stops.
    return (f.stops_per_km >= 1.5 and f.p50_ms <= 0.65 * f.p85_ms and f.p95_ms <= 17.0
            and f.duration_s >= 240 and f.max_step_s <= 30)


def physical_mode(f: LegFeatures) -> tuple:
    """(mode, confidence) from the speed profile alone."""
    cls = speed_class(f)
    if cls == "plane":
        return "plane", 0.9
    if cls == "rail":
        return "train", 0.7
    if cls == "motor":
        return ("bus", 0.45) if _looks_like_bus(f) else ("car", 0.6)
    if cls == "cycle":
        mode = _cycle_mode(f)
        return mode, 0.6 if mode == "bike" else 0.45
    return "walk", 0.7


def _evidence_mode(evidence: dict, f: LegFeatures) -> str | None:
    """The phone's activity if it covers most of the leg and is physically believable."""
    if not evidence:
        return None
    mode, share = max(evidence.items(), key=lambda kv: kv[1])
    lo, hi = _EVIDENCE_P85_RANGE.get(mode, (0.0, 0.0))
    return mode if share >= 0.5 and lo <= f.p85_ms <= hi else None


def _fit_to_owned(mode: str, owned: frozenset) -> str:
    """Map a mode onto the vehicles the member actually uses, within the same family."""
    if not owned or mode in owned:
        return mode
    for family in (_CYCLE_FAMILY[:3], _ROAD_FAMILY[:3]):
        if mode in family:
            usable = [m for m in family if m in owned]
            if len(usable) == 1:
                return usable[0]
    return mode


def infer_mode(f: LegFeatures, evidence: dict | None = None, transit_mode: str | None = None,
               owned: frozenset = frozenset()) -> tuple:
    """(mode, confidence) for one leg."""
    mode, conf = physical_mode(f)
    if transit_mode and (mode in _ROAD_FAMILY + ("train",) or
                         (transit_mode == "boat" and mode in _CYCLE_FAMILY)):
        return transit_mode, 0.8   # nothing else rides a route's path and halts at its stops
    seen = _evidence_mode(evidence or {}, f)
    if seen:
        if seen == "bike" and mode in ("e-bike", "bike"):
            seen = mode
        elif seen == "car" and mode in ("bus", "train", "plane"):
            seen = mode   # "automotive" covers every motor vehicle
        conf = 0.85 if seen == mode else 0.7
        mode = seen
    return _fit_to_owned(mode, owned), conf
