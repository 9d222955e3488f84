"""What each mode can physically do: one table, enforced after every mode decision.

A leg outside its mode's envelope cannot keep that mode (185 km in 2 h 16 min is not a
bike ride, a 190 km silent hop in 40 minutes is no ground vehicle). Limits are on
measures that fix noise cannot fake: the mean speed of the whole leg (distance over
duration, judged only on legs long enough for a few wrong metres not to matter) and the
two-minute sustained headway (carbon.features.SUSTAIN_S); planes also need a minimum
(a flight covers ground fast or it is not a flight). docs/engine.md shows the table with
its sources.
"""
from dataclasses import dataclass

_MIN_JUDGED_S = 120.0     # a shorter leg's mean speed is mostly its fixes' error
_MIN_JUDGED_M = 500.0


@dataclass(frozen=True)
class Envelope:
    max_mean_ms: float           # distance / duration over the whole leg
    max_sustained_ms: float      # p85 of two-minute headway
    max_distance_m: float
    min_mean_ms: float = 0.0
    min_distance_m: float = 0.0
    max_hop_mean_ms: float | None = None   # over one silent hop (no fix on the way)
    source: str = ""


ENVELOPES = {
    "walk": Envelope(2.5, 3.0, 60_000, source="fastest ordinary walking ~2.5 m/s (Bohannon "
                     "1997: adults' maximum gait 1.75-2.5 m/s); race walking is a sport"),
    "run": Envelope(6.5, 7.0, 250_000, source="elite 10 km pace ~6.3 m/s (world record "
                    "26:11); ultramarathons ~250 km"),
    "bike": Envelope(12.0, 16.0, 400_000, source="professional time trials ~14 m/s over an "
                     "hour; everyday cycling under 8 m/s; 16 m/s sustained only downhill"),
    "e-bike": Envelope(12.5, 14.0, 300_000, source="speed pedelecs are capped at 45 km/h "
                       "(12.5 m/s); EN 15194 pedelecs at 25 km/h"),
    "e-scooter": Envelope(9.0, 10.0, 80_000, source="French law caps e-scooters at 25 km/h "
                          "(6.9 m/s); some reach 30-35 km/h"),
    "motorcycle": Envelope(50.0, 60.0, 2_000_000, source="as a car"),
    "car": Envelope(50.0, 60.0, 2_000_000, source="180 km/h held for minutes is beyond any "
                    "legal road (130 km/h in France, German autobahns rarely sustain more)"),
    "carpool": Envelope(50.0, 60.0, 2_000_000, source="as a car"),
    "bus": Envelope(30.0, 33.0, 1_500_000, source="coaches are limited to 100 km/h in the EU "
                    "(Directive 92/6/EEC)"),
    "tram": Envelope(22.0, 28.0, 100_000, source="tram-trains reach 100 km/h; town trams "
                     "50-70 km/h"),
    "metro": Envelope(25.0, 33.0, 100_000, source="the fastest metros run at 100-120 km/h "
                      "between stations"),
    "train": Envelope(85.0, 100.0, 2_000_000, max_hop_mean_ms=69.4,
                      source="high-speed lines run at up to 320-350 km/h, ~280-300 km/h "
                      "between two stops at best; over a silent hop (no fix on the way, as "
                      "with a phone in flight mode) no train averages more than ~250 km/h "
                      "end to end"),
    "boat": Envelope(22.0, 25.0, 1_000_000, source="fast ferries reach 40-45 knots "
                     "(21-23 m/s)"),
    "plane": Envelope(300.0, 320.0, 20_000_000, min_mean_ms=30.0, min_distance_m=20_000,
                      source="airliners cruise at 230-260 m/s; gate to gate, with taxi, "
                      "climb and descent, at least ~110 km/h over at least ~20 km"),
}


def violation(mode: str, distance_m: float, duration_s: float,
              sustained_ms: float | None, hop: bool = False) -> str | None:
    """Why a leg cannot be in this mode, or None when it can. `hop`: the leg is one silent
    step (nothing was seen on the way)."""
    env = ENVELOPES.get(mode)
    if env is None:
        return None
    mean = distance_m / duration_s if duration_s > 0 else 0.0
    judged = duration_s >= _MIN_JUDGED_S or distance_m >= _MIN_JUDGED_M
    if judged and mean > env.max_mean_ms:
        return f"mean {mean:.1f} m/s > {env.max_mean_ms}"
    if hop and env.max_hop_mean_ms is not None and mean > env.max_hop_mean_ms:
        return f"a silent hop at {mean:.1f} m/s > {env.max_hop_mean_ms}"
    if sustained_ms is not None and sustained_ms > env.max_sustained_ms:
        return f"sustained {sustained_ms:.1f} m/s > {env.max_sustained_ms}"
    if distance_m > env.max_distance_m:
        return f"{distance_m / 1000:.0f} km > {env.max_distance_m / 1000:.0f} km"
    if mean < env.min_mean_ms or distance_m < env.min_distance_m:
        return f"{mean:.1f} m/s over {distance_m / 1000:.1f} km is too slow or short"
    return None


def allowed(mode: str, distance_m: float, duration_s: float,
            sustained_ms: float | None, hop: bool = False) -> bool:
    return violation(mode, distance_m, duration_s, sustained_ms, hop) is None
