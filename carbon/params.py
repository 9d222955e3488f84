"""Detection parameters (few, physical, documented in docs/engine.md) and the member context."""
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Params:
    # cleaning
    max_acc_m: float = 200.0          # a fix less precise than this is a cell/wifi guess, never kept
    rel_acc_factor: float = 4.0       # ... and one much worse than its neighbours is dropped too
    max_speed_ms: float = 300.0       # faster than an airliner between two fixes: a jump
    spike_speed_ms: float = 45.0      # out-and-back at more than this (162 km/h) is a spike
    # stays
    stay_radius_m: float = 75.0       # GPS in town wanders 20-60 m around a place
    stay_min_s: float = 300.0         # a stop shorter than this is a light, a level crossing, a
    #                                   platform wait: part of the trip (e-mission uses 5 min too)
    # trips
    max_gap_s: float = 1800.0         # no fix for this long while moving: the trip is cut
    gap_min_speed_ms: float = 1.0     # ... unless the hop is fast enough to be continuous travel
    # ... and a silence this long is the logger off between two sessions whatever its
    # speed on the ground, unless a flight covered it (carbon.trips._is_silence)
    session_gap_s: float = 3600.0
    min_trip_m: float = 100.0         # a trip must get this far from the place it left: beyond
    #                                   the stay radius, yet a 150 m walk to a neighbour counts
    wake_hop_m: float = 1000.0        # a silent phone at a stay wakes (geofence, distance filter)
    #                                   within a few hundred metres of leaving: a hop this short
    #                                   out of (into) a stay after a silence is the trip itself
    transfer_max_s: float = 1200.0    # a wait shorter than a typical headway can be a connection
    # legs and modes
    speed_window_s: float = 60.0      # speeds are taken over this span, which averages fix noise
    walk_max_ms: float = 2.2          # brisk walking is 1.8 m/s
    min_leg_s: float = 120.0          # a leg shorter than this is absorbed by its neighbours
    min_leg_m: float = 150.0
    # A flight's phone is in flight mode from gate to gate, so a silent hop says nothing of
    # when, within it, the member left the last place it saw: the block time does. Short-haul
    # block time = taxi out, climb, descent and taxi in (~25 min: Eurocontrol CODA puts
    # European taxi-out at 10-15 min and taxi-in at 5-8 min, plus ~5 min of climb and descent
    # beyond cruise) plus the distance at an airliner's ~800 km/h cruise (220 m/s).
    flight_fixed_s: float = 1500.0
    flight_cruise_ms: float = 220.0
    # ... give or take this (taxi-out alone spans 5-25 min between airports and hours): a
    # fix before the hop closer to the estimate than this was the gate, the member left then
    flight_spread_s: float = 600.0
    # After the gate: deplaning a narrow-body (150-180 seats at ~20 a minute: 8-9 min for
    # the cabin, half of it on average) and the jet bridge; the phone's first fix after
    # flight mode comes at the gate or on the taxiway, before the member left the plane.
    deplane_s: float = 300.0


DEFAULT_PARAMS = Params()


@dataclass(slots=True)
class Context:
    """What the engine may know about the member besides their fixes (all optional).

    owned_modes: modes the member uses (e.g. {"e-bike", "car"}); a bike-like leg becomes an
        e-bike for someone who has an e-bike and no bike, a car-like leg a motorcycle for a rider
        without a car.
    transit: a carbon.transit.TransitIndex (from a GTFS feed) to tell buses, trams, trains and
        ferries from cars.
    tz: a tzinfo for local-time rules (home at night, work in the day); default Europe/Paris.
    corrections: the member's corrections (carbon.corrections.Correction), applied after
        detection so that they survive rebuilds and teach recurring trips.
    places: the member's places (carbon.places.Place), to name trip ends and infer purposes;
        a stop at one is a stay, never a halt in a ride (carbon.trips._halt_in_ride).
    vehicle: carbon.footprint.MemberSettings; when given, every leg gets its footprint.
    priors: carbon.priors.Priors to use instead of those learned from `corrections`
        (the gateway passes them when it keeps the corrections elsewhere).
    parked: carbon.vehicles.Parked, where the member's car and bike were left before these
        fixes (the gateway reads it from the trips it stored); None: not known.
    certain: the member's corrections detection takes as certain about the trips it has
        decided (a corrected leg moved the car, or did not: carbon.vehicles) without
        applying them (the gateway applies them afterwards); None: `corrections`.
    """
    owned_modes: frozenset = frozenset()
    transit: Any = None
    tz: Any = None
    corrections: tuple = ()
    places: tuple = field(default=())
    vehicle: Any = None
    priors: Any = None     # carbon.priors.Priors; None: learned from `corrections`
    parked: Any = None     # carbon.vehicles.Parked where the vehicles were before the first fix
    certain: Any = None    # corrections known while detecting; None: `corrections`
