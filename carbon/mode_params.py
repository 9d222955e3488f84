"""The mode model's parameters: plain data, each with where it comes from.

A leg's likelihood under a mode is a product over its measurable features (see
carbon.likelihood). Range features have a *flat-topped* density: flat over the mode's
typical range, falling off as a half-Gaussian outside it (in log units for speeds, counts,
waits and distances), normalised so that a mode with a wide range (a car goes 4 to 33 m/s)
is not favoured over one with a narrow range (an e-bike is capped at 25 km/h). The tails'
widths say how sharp the limit is: a speed limit or an assistance cap is sharp (0.05-0.1 in
log units, i.e. 5-10 %), a habit is not (0.3). Station halts are counted and have a count
model per mode. Ranges are typical values from the literature and operators (cited per
row), then checked against the feature distributions of the scenario suite and of the
real labelled legs (e-mission and Helsinki) together, with `bench/modes.py`; no value was
fitted to one data set.

RANGES: mode -> [(share, {feature: (lo, hi, soft_lo, soft_hi)})], in the feature's own units.
"""
import math

# The modes the model tells apart from a trace. e-scooter, motorcycle and carpool move like
# an e-bike or a car: the member's vehicles decide (carbon.modes._fit_to_owned).
INFERRED = ("walk", "run", "bike", "e-bike", "car", "bus", "tram", "metro", "train", "boat",
            "plane")
PUBLIC = frozenset({"bus", "tram", "metro", "train", "boat", "plane"})

# feature -> (offset added before taking the log, or None: linear units; weight). Speed
# features are correlated (a fast cruise makes a fast mean), so each counts part.
FEATURES = {
    "mean": (0.3, 0.5),        # distance / duration
    "cruise": (0.3, 0.7),      # p85 of speeds, single wrong fixes capped (features._open_spikes)
    "top": (0.3, 0.5),         # p95 of the same: the peaks
    "sustained": (0.3, 0.5),   # p85 of two-minute headway
    # p95 of the chords' speeds (each capped by its faster neighbour) where the fixes are a
    # minute or more apart: a speed kept over two chords, read against the top's upper limit
    # only (a chord cuts corners and averages the halts: it says nothing of a slow peak)
    "chord_top": (0.3, 0.5),
    "stops": (0.3, 0.7),       # halts of 8-150 s per km (dense sampling only)
    "blind": (None, 0.6),      # share of time unseen or seen only by network positions
    "wait": (30.0, 1.0),       # seconds standing at the boarding point
    "distance": (50.0, 0.8),   # metres
}


def _r(mean, cruise, top, sustained, stops, blind, wait, distance,
       stations=("poisson", 500.0)) -> dict:
    return {"mean": mean, "cruise": cruise, "top": top, "sustained": sustained,
            "stops": stops, "blind": blind, "wait": wait, "distance": distance,
            "stations": stations}


def _like(base: dict, **rows) -> dict:
    return dict(base, **rows)


_FOOT_WAIT = (0.0, 1800.0, 1.0, 1.0)          # standing says nothing about walking
_OWN_WAIT = (0.0, 60.0, 1.0, 0.5)             # nobody waits long for their own vehicle
_PT_WAIT = (60.0, 900.0, 0.8, 0.5)            # riders wait 1-15 min for a service
_ROAD_BLIND = (0.0, 0.3, 0.1, 0.15)           # GPS sees the road (tunnels aside)

_WALK = _r(mean=(0.7, 1.6, 0.3, 0.15), cruise=(0.9, 2.0, 0.4, 0.15), top=(1.1, 2.5, 0.4, 0.15),
           sustained=(0.8, 1.75, 0.4, 0.12), stops=(0.0, 8.0, 0.5, 0.5),
           blind=(0.0, 0.3, 0.1, 0.15), wait=_FOOT_WAIT, distance=(50.0, 3000.0, 1.0, 0.7))
_RUN = _r(mean=(2.2, 3.7, 0.15, 0.1), cruise=(2.4, 4.3, 0.15, 0.08), top=(2.6, 4.8, 0.15, 0.08),
          sustained=(2.2, 4.2, 0.15, 0.08), stops=(0.0, 1.0, 0.4, 0.4),
          blind=(0.0, 0.1, 0.1, 0.1), wait=_FOOT_WAIT, distance=(800.0, 21000.0, 0.7, 0.5))
_BIKE = _r(mean=(2.2, 5.0, 0.25, 0.12), cruise=(3.2, 6.5, 0.15, 0.15), top=(3.6, 8.5, 0.2, 0.12),
           sustained=(2.6, 6.8, 0.2, 0.15), stops=(0.0, 2.0, 0.4, 0.35),
           blind=(0.0, 0.15, 0.1, 0.1), wait=_OWN_WAIT, distance=(300.0, 15000.0, 1.0, 0.4))
_EBIKE = _r(mean=(5.0, 7.2, 0.12, 0.1), cruise=(6.0, 7.8, 0.1, 0.08), top=(6.3, 8.0, 0.1, 0.06),
            sustained=(5.2, 7.5, 0.12, 0.08), stops=(0.0, 1.5, 0.4, 0.35),
            blind=(0.0, 0.15, 0.1, 0.1), wait=_OWN_WAIT, distance=(1000.0, 25000.0, 1.0, 0.4))
_CAR_TOWN = _r(mean=(5.5, 12.0, 0.15, 0.2), cruise=(7.5, 16.0, 0.25, 0.2),
               top=(9.0, 19.0, 0.2, 0.2), sustained=(5.0, 14.0, 0.3, 0.2),
               stops=(0.0, 2.5, 0.4, 0.35), blind=_ROAD_BLIND, wait=_OWN_WAIT,
               distance=(500.0, 15000.0, 0.8, 0.5), stations=("poisson", 200.0))
_BUS = _r(mean=(2.5, 7.0, 0.3, 0.2), cruise=(5.5, 13.0, 0.25, 0.2), top=(7.0, 16.0, 0.2, 0.2),
          sustained=(3.5, 10.0, 0.3, 0.2), stops=(1.0, 4.0, 0.35, 0.35),
          blind=(0.0, 0.2, 0.1, 0.15), wait=_PT_WAIT, distance=(500.0, 20000.0, 0.7, 0.3),
          stations=("poisson", 20.0))
_TRAIN = _r(mean=(8.0, 20.0, 0.3, 0.15), cruise=(15.0, 30.0, 0.25, 0.15),
            top=(18.0, 33.0, 0.25, 0.15), sustained=(12.0, 28.0, 0.3, 0.15),
            stops=(0.0, 0.4, 0.5, 0.5), blind=(0.0, 1.0, 0.1, 0.1), wait=(60.0, 1200.0, 0.8, 0.5),
            distance=(2000.0, 60000.0, 0.7, 0.5), stations=("geometric", 3.0))

# A walker's usual pace over minutes, walking on (not the slowest way to cover a hop,
# stays.WALK_PACE_MS, which bounds a dwell): comfortable gait 1.27-1.46 m/s, Bohannon 1997
# (Age Ageing 26:15). legs._netted_past_a_walk: a chord netted past it is no walk's.
WALKER_USUAL_PACE_MS = 1.4
# A fix that reports no accuracy (a GPX or NMEA logger's) is read as a GPS fix, 10 m: a
# phone's network positions always carry their radius (30-100 m+, cleaning), GPS 5-10 m.
UNREPORTED_ACC_M = 10.0

# mode -> [(share of its legs, ranges)]: modes with distinct regimes (a car in town and on
# a motorway) are mixtures, so that neither regime pays for the width of the other.
RANGES = {
    # Bohannon 1997 (Age Ageing 26:15): comfortable gait 1.27-1.46 m/s, maximum 1.75-2.5;
    # legs include crossings and waits. Most walking legs are under 3 km (EMP 2019).
    "walk": [(1.0, _WALK)],
    # Recreational running 2.5-3.7 m/s (a 4:30-6:40 min/km pace); runners rarely stop.
    "run": [(1.0, _RUN)],
    # Urban cycling 12-20 km/h with stops (Copenhagen's average ~16 km/h; slow commuters
    # 11-12 km/h, e-mission's rides 9-13 km/h door to door), cruising at 15-23 km/h;
    # lights every few hundred m.
    "bike": [(1.0, _BIKE)],
    # EU pedelecs: assistance up to 25 km/h (6.9 m/s, EN 15194): fast, steady, capped;
    # their riders average 18-22 km/h where others ride 15-17 (Dutch and Danish studies).
    # Naturalistic studies: Dutch commuters 20.1 km/h urban, 22.2 rural (Twisk et al. 2021,
    # SWOV; conventional 17.8 / 18.2); German riders ~2 km/h faster than conventional ones
    # (Schleinitz et al. 2017, Safety Science 92), Gothenburg 16.9 km/h (Dozza et al. 2016,
    # Transp. Res. F 41), a US bike share 13.3 (Langford et al. 2015, AAP 82): the slower
    # riders fall under `mean` and `cruise` (a known weakness, docs/engine.md round 13). The
    # top's 0.06 tail holds on the flat only: downhill any bicycle coasts at 9-13 m/s
    # (coasting_ms), read where the fixes carry altitude (carbon.features._gravity).
    # S-pedelecs (45 km/h assistance; 27-38 km/h ridden: Twisk 2021, Belgium's 365SNEL) are
    # mopeds, not a mode here: they read as cars in town.
    "e-bike": [(1.0, _EBIKE)],
    # Town 20-40 km/h door to door with lights and corners (a car slower than 20 km/h over
    # kilometres is in a jam; a bike does that every day); roads and motorways 80-130 km/h
    # in France (90-110 in Finland, 65-70 mph in California): a legal limit, a sharp tail.
    "car": [(0.65, _CAR_TOWN),
            (0.35, _like(_CAR_TOWN, mean=(12.0, 33.0, 0.3, 0.06), cruise=(16.0, 37.0, 0.25, 0.05),
                         top=(18.0, 40.0, 0.2, 0.05), sustained=(14.0, 36.0, 0.3, 0.05),
                         stops=(0.0, 0.5, 0.5, 0.35), distance=(5000.0, 300000.0, 0.8, 0.5)))],
    # Urban buses: commercial speed 12-25 km/h, a stop every 300-500 m (UITP); express
    # and suburban lines on motorways (Helsinki's 154 at 80 km/h), far fewer stops.
    "bus": [(0.85, _BUS),
            (0.15, _like(_BUS, mean=(7.0, 20.0, 0.3, 0.15), cruise=(13.0, 25.0, 0.25, 0.1),
                         top=(15.0, 28.0, 0.2, 0.1), sustained=(10.0, 24.0, 0.3, 0.1),
                         stops=(0.0, 1.5, 0.5, 0.35), distance=(3000.0, 60000.0, 0.7, 0.4)))],
    # Trams: commercial speed 14-25 km/h (Helsinki's ~15 km/h), stops every 400-600 m.
    "tram": [(1.0, _like(_BUS, mean=(2.5, 7.5, 0.25, 0.2), cruise=(5.0, 13.0, 0.2, 0.2),
                         top=(6.5, 15.0, 0.2, 0.2), sustained=(3.0, 11.0, 0.25, 0.2),
                         distance=(400.0, 10000.0, 0.7, 0.3), stations=("poisson", 10.0)))],
    # Metros: commercial speed 25-45 km/h, stations every 0.7-1.5 km, up to 80-90 km/h;
    # underground the phone sees nothing, or network positions (most of the leg).
    "metro": [(1.0, _like(_BUS, mean=(6.0, 14.0, 0.25, 0.2), cruise=(12.0, 25.0, 0.25, 0.15),
                          top=(14.0, 28.0, 0.2, 0.15), sustained=(8.0, 24.0, 0.25, 0.15),
                          stops=(0.3, 1.6, 0.5, 0.5), blind=(0.3, 1.0, 0.2, 0.1),
                          distance=(700.0, 25000.0, 0.6, 0.3), stations=("geometric", 1.2)))],
    # Trains (SNCF, Fintraffic, Caltrain timetables): commuter 60-120 km/h with stations
    # every 1.5-5 km; regional and intercity 120-200 km/h every 5-60 km; high-speed
    # 300-320 km/h. Metal coaches and tunnels blind part of it.
    "train": [(0.4, _TRAIN),
              (0.45, _like(_TRAIN, mean=(15.0, 45.0, 0.3, 0.1), cruise=(25.0, 56.0, 0.25, 0.08),
                           top=(28.0, 60.0, 0.25, 0.08), sustained=(22.0, 55.0, 0.3, 0.08),
                           distance=(10000.0, 400000.0, 0.7, 0.5), stations=("geometric", 20.0))),
              (0.15, _like(_TRAIN, mean=(35.0, 72.0, 0.3, 0.08), cruise=(55.0, 92.0, 0.25, 0.06),
                           top=(60.0, 95.0, 0.25, 0.06), sustained=(50.0, 90.0, 0.3, 0.06),
                           distance=(100000.0, 900000.0, 0.7, 0.5), stations=("geometric", 150.0)))],
    # Ferries and sea-buses: 10-25 knots, steady, docking at each end.
    "boat": [(1.0, _like(_BUS, mean=(3.0, 12.0, 0.3, 0.3), cruise=(4.0, 15.0, 0.3, 0.3),
                         top=(5.0, 17.0, 0.3, 0.3), sustained=(3.5, 14.0, 0.3, 0.3),
                         stops=(0.0, 0.3, 0.5, 0.5), wait=(60.0, 1800.0, 0.8, 0.5),
                         distance=(500.0, 100000.0, 0.7, 0.7), stations=("poisson", 50.0)))],
    # Airliners: gate to gate 150-800 km/h including taxi, climb and descent; phones off.
    # A phone that does report along a flight (GPS by a window) sees it cruise most of the
    # time, so its two-minute headway's p85 is a cruise: 130-150 m/s for turboprops (ATR
    # 72: ~510 km/h), 230-260 m/s for jets (a hop of one silent step has no headway).
    "plane": [(1.0, _r(mean=(40.0, 250.0, 0.3, 0.3), cruise=(60.0, 270.0, 0.3, 0.3),
                       top=(60.0, 280.0, 0.3, 0.3), sustained=(130.0, 270.0, 0.3, 0.3),
                       stops=(0.0, 0.3, 0.5, 0.5), blind=(0.7, 1.0, 0.15, 0.1),
                       wait=(600.0, 7200.0, 1.0, 0.7), distance=(100000.0, 1.5e7, 0.6, 0.5),
                       stations=("poisson", 5000.0)))],
}

# Station halts (features.station_halts: 25 s-7 min halts between stretches above 15 m/s)
# over a leg of d km, per component ("stations" rows): ("poisson", km per halt): halts are
# rare accidents (a motorway jam or toll for a car, a stop of an express bus); ("geometric",
# km per halt): halts are the service and their number varies widely (a commuter train
# stops every 1.5-5 km, a regional one every 5-15, an intercity every 30-60, a high-speed
# train once or twice in 400 km; a metro every 0.7-1.5 km).
STATIONS_WEIGHT = 0.8

# A trip is made with at most one private vehicle, the one the member left with, plus
# public transport and walking: nobody picks up a car in the middle of a metro journey,
# a cyclist keeps the bike (it may ride a train or a ferry), and nobody jogs to a bus,
# rides it, then jogs again. Each kind of trip has a share of trips ("prior") and, within
# it, the share of its legs each mode carries ("modes").
#
# Shares: the French national travel survey (EMP 2019) counts about 63 % of trips by car,
# 24 % on foot, 9 % by public transport, 3 % by bike, running and flying rare; but the
# members of a box are people who track their mobility, and a national car share would
# decide every doubtful leg by itself. So they are flattened (roughly their square root):
# they only tip legs the physics leaves even, and each member's corrections move them
# (carbon.priors). Boats and planes stay rare: a ferry needs its route (a GTFS feed) to be
# believed, and a flight is told by its envelope (no ground mode covers its hop).
TRIP_KINDS = {
    "foot": {"prior": 0.38, "modes": {"walk": 0.6, "bus": 0.12, "tram": 0.06, "metro": 0.07,
                                      "train": 0.12, "boat": 0.01, "plane": 0.02}},
    "run": {"prior": 0.03, "modes": {"run": 0.7, "walk": 0.3}},
    "bike": {"prior": 0.17, "modes": {"bike": 0.45, "e-bike": 0.2, "walk": 0.25, "train": 0.08,
                                      "boat": 0.01, "metro": 0.005, "tram": 0.005}},
    "car": {"prior": 0.42, "modes": {"car": 0.64, "walk": 0.3, "boat": 0.01, "plane": 0.01,
                                     "train": 0.02, "bus": 0.01, "metro": 0.005,
                                     "tram": 0.005}},
}


def leg_prior(kinds: dict = TRIP_KINDS) -> dict:
    """How often each mode carries a leg, over all kinds of trips (for a leg on its own)."""
    out = dict.fromkeys(INFERRED, 0.0)
    for kind in kinds.values():
        for mode, w in kind["modes"].items():
            out[mode] += kind["prior"] * w
    total = sum(out.values())
    return {m: p / total for m, p in out.items()}


LEG_PRIOR = leg_prior()

# Gravity on a descent, which no motor's cap bounds: a bicycle rolling downhill settles
# where gravity's pull along the grade equals the air's drag and the tyres' rolling
# resistance, m g (grade - Crr) = 0.5 rho CdA v^2. An upright city rider on a pedelec:
# m ~100-110 kg with the bike, CdA ~0.5-0.6 m2 (Wilson, "Bicycling Science", 3rd ed. 2004:
# upright 0.5-0.6), Crr ~0.005-0.008 (city tyres), rho 1.2 kg/m3: 8.7 m/s coasting on a
# 3 % grade, 11.7 on 5 %, 13.0 on 6 %. Measured riders stay under it (they brake at
# junctions and corners): Leeds commuters 22 km/h at the 85th percentile on the flat, 25
# km/h on 3 % downhill (Parkin & Rotheram 2010, "Design speeds and acceleration
# characteristics of bicycle traffic", Transport Policy 17(5), who advise design speeds up
# to 35 km/h on steeper descents). So a ride downhill reaches 9-13 m/s on any bicycle: a
# pedelec's assistance stops at 25 km/h (EN 15194), gravity does not.
COAST_MASS_KG = 105.0
COAST_CDA_M2 = 0.55
COAST_CRR = 0.006


def coasting_ms(grade: float) -> float:
    """m/s at which a coasting upright bicycle settles on this downhill grade (0.05: 5 %)."""
    pull = COAST_MASS_KG * 9.81 * max(0.0, grade - COAST_CRR)
    return math.sqrt(pull / (0.5 * 1.2 * COAST_CDA_M2))

# Between consecutive legs of a trip: vehicles are joined by walks (a vehicle rarely
# follows another without a stop or a walk between; segmentation can miss a short one).
VEHICLE_TO_OTHER_VEHICLE = 0.2
SAME_MODE_AGAIN = 0.5       # two legs of one mode split by a halt are joined afterwards
# A member who got off a bus or a tram stands at a kerb stop in town, where they drive on
# only if their own car was parked there: their car does not appear in the middle of a
# journey by bus (park-and-ride sites are at rail and metro stations and airports, which
# also have pick-up lanes: a plane or a train then a car is common, and left free). Bus
# park-and-ride is a few per cent of bus journeys at most, and at a trip's start, where the
# car is known to be at hand, carbon.vehicles.kinds_at already weighs the car kind. So a
# car straight after a bus or a tram, with no stop between, is this share as likely as
# another vehicle after it (VEHICLE_TO_OTHER_VEHICLE).
KERB_MODES = ("bus", "tram")     # waited for at the kerb, at its stop (carbon.transfers)
OWN_CAR_MODES = ("car",)
CAR_AFTER_KERB = 0.1

# What else may move a leg: a GTFS route followed with halts at its stops, the phone's own
# activity guess when physically believable.
# A bus or tram line runs along streets cars use too (it must also have halted at its
# stops: carbon.transit); no road runs along a ferry route or, mostly, a railway.
TRANSIT_MATCH_FACTOR = {"boat": 1000.0, "train": 1000.0, "other": 100.0}
# A feed lists every line of its town (GTFS routes.txt, route_type: 0 tram, 1 metro, 3 bus):
# a tram runs only where its tracks are, a bus along its lines. Where a leg lies on the
# feed's lines of one of these modes (carbon.transit.MIN_ON_ROUTE_SHARE of its fixes),
# the feed covers that place, and a mode of these whose lines it does not follow (under
# LINE_ABSENT_SHARE of its fixes near one) would be a vehicle off its network: a
# diversion, a line missing from the feed; x 0.1. This decides which vehicle, not whether
# one: car, bike and walk are untouched (a car on a bus street stays the physics' call).
LINE_MODES = ("bus", "tram", "metro")
LINE_ABSENT_SHARE = 0.3
OFF_LINE_FACTOR = 0.1
# Fixes minutes apart show no halt at a stop, only whether they lie on a line's shape in
# order (carbon.transit.TransitIndex.line_path). A tram or a metro ridden lies on its line
# always; a car, a bike or a walker follows one over most of a trip only as often as the
# line's network covers the streets they use: tram and metro networks are a tenth or less
# of a town's bus network (Bordeaux: 4 tram lines, ~77 km, beside ~80 bus lines; Lyon: 4
# metro lines beside ~130 bus lines; approximate operator figures, TBM, TCL), so following
# one is ~10 times likelier ridden than driven or cycled. A bus line runs along half of
# one's streets (simulation.scenarios.DECOY_SHARE), a ratio of 2 at most: a bike at 3-5 m/s
# on a bus street already reads bus 0.2-0.3 by its speeds, and x 2 turned a tenth of the
# suite's sparse bike time into bus (docs/engine.md, round 11): no factor for the bus.
SPARSE_LINE_FACTOR = {"tram": 10.0, "metro": 10.0}
# ... and a tram line shows a tram only with its dwells at the stops, which fixes at a
# clock's steps catch (carbon.transit.SPARSE_CHANCE_AT_STOP): trams run the main streets
# cars and bikes use (Helsinki, Amsterdam, Melbourne, Lyon; simulation.scenarios
# .TRAM_DECOY_SHARE), and at a bike's 4-5 m/s a street tram's pace is no different. A
# distance filter takes no fix during a dwell: there a tram line is worth nothing (x 10
# turned most bikes along one into trams, x 3 half of them and gained no tram: docs/
# engine.md, round 11 tram-decoys). No metro decoy in the suite: its x 10 is untested.
SPARSE_FILTER_LINE_FACTOR = {"tram": 1.0, "metro": 10.0}
ACTIVITY_FACTOR = 3.0
# Modes a trace alone cannot show: a ferry moves like a bus on a causeway or a car along
# the shore; only knowing where its route runs (a GTFS feed) or the member saying so makes
# it believable. Their likelihood is multiplied by this unless a route matched.
NEEDS_ROUTE = {"boat": 1e-3}
# ... but for a crossing that shows what a ferry does and a road vehicle at 4-15 m/s does
# not: boarded after a wait at the terminal (a service, not one's own car or bike: riders
# wait minutes at a pier, boarding closes minutes before the departure), then 10 minutes
# and 3 km or more without a single halt. On land at those speeds a car, a bus or a bike
# meets a signal, a stop or a give-way every few hundred metres (signals every 200-800 m on
# urban arterials: the 1/8-1/2 mile spacing of access-management practice; bus stops every
# 300-500 m), so ten minutes unbroken is open water, a motorway (too fast for the boat's
# speeds) or a long path. It must be seen often enough for a halt to show: steps of 20 s
# or less on average (a red light or a stop's dwell lasts 10-60 s) over half its time at
# least; a silence of more than a minute counts only when its chord keeps CROSSING_GAP_PACE
# of the ride's median speed (a bus's stops every 300-500 m cost it a third or more of its
# cruising pace), network positions (a tunnel) never. Such a ride is x CROSSING_FACTOR.
CROSSING_WAIT_S = 120.0
CROSSING_MIN_S = 600.0
CROSSING_MIN_M = 3000.0
CROSSING_MAX_STEP_S = 20.0
CROSSING_MAX_GAP_S = 60.0
CROSSING_GAP_PACE = 0.85
CROSSING_SEEN_SHARE = 0.5
CROSSING_FACTOR = 1.0
# A phone reporting only every minute or two cannot show a halt, but it shows what a halt
# costs: a bus stop's dwell (10-30 s) with its braking and starting again (another 10-20 s)
# takes a third or more out of a 60-120 s step's chord, a red light as much. So a ride of
# CROSSING_MIN_S and CROSSING_MIN_M or more whose every step, CROSSING_PACED_STEPS of them
# at least, keeps CROSSING_GAP_PACE of the ride's median speed halted nowhere: no stop, no
# signal, no give-way over ten minutes (open water, a motorway, a railway between
# stations). A step longer than CROSSING_PACED_MAX_GAP of the phone's usual ones is a
# silence (a tunnel) and shows nothing. Only at steps of CROSSING_PACED_MAX_STEP_S or less:
# a halt costing 30-50 s falls under CROSSING_GAP_PACE of a step's chord up to ~200-330 s,
# so a phone reporting every five minutes or by distance (~500 m) would hide it.
CROSSING_PACED_STEPS = 6
CROSSING_PACED_MAX_GAP = 3.0
CROSSING_PACED_MAX_STEP_S = 150.0
# ... and it runs straight: a fairway crosses open water from pier to pier, near the
# straight line but for the way out of a harbour or round a mole, while a land route bends:
# the road distance between two points is 1.2-1.4 times their distance (route circuity:
# Ballou, Rahardja & Sakai 2002, "Selected country circuity factors for road travel
# distance estimation", Transportation Research A 36(9), 1.12-1.42 by country; Levinson &
# El-Geneidy 2009, 1.2-1.4 between a city's homes and workplaces kilometres apart). A long
# path, a country road or a motorway at a boat's speeds (a steady 4-10 m/s for ten minutes
# and more, after a wait) is the land's straightest: a crossing's path over chords of
# CROSSING_CHORD_M or more (the fixes' noise and a grid's blocks cut off) is at most
# CROSSING_MAX_DETOUR times its chord. The simulator's crossings: 1.00-1.06 (8 seeds, every
# regime), its land legs that met the rest of it bike 1.01-1.20 (round 12, paced-land). Its
# fairways by a channel, a headland or a passage (round 13: 1.02-1.25) fail it over 1.1:
# no measure of the path told them from a winding road (docs/engine.md, known weaknesses).
CROSSING_CHORD_M = 250.0
CROSSING_MAX_DETOUR = 1.1

# A trip back to where it started, without a stop: done for its own sake. P(loop | mode),
# from what such trips are (runs and strolls are mostly loops; commutes, errands and
# public transport journeys go somewhere). A loop trip is at least LOOP_MIN_M long and
# ends within LOOP_RADIUS_M of its start.
LOOP_PROB = {"run": 0.7, "walk": 0.15, "bike": 0.1, "e-bike": 0.05, "car": 0.02, "other": 0.01}
LOOP_MIN_M = 1000.0
LOOP_RADIUS_M = 250.0

# The walk between the trip's end and its ride: a car or a bike is kept at the door (a
# garage, the street, the bike shed: a minute's walk), a station or a stop is a walk away
# (transit planners' catchments: 400 m for a bus stop, 800 m for a rail station; riders'
# median walks ~500 m to buses and ~800 m to trains: El-Geneidy, Grimsrud, Wasfi, Tétreault
# & Surprenant-Legault 2014, "New evidence on walking distances to transit stops",
# Transportation 41). A walk of ACCESS_WALK_M or more at either end of a ride is about
# five times likelier before public transport than before the member's own vehicle.
ACCESS_WALK_M = 400.0
ACCESS_WALK_FACTOR = 0.2
ACCESS_PRIVATE = ("car", "bike", "e-bike")
# A car parked does not move: a ride that leaves, after a stop, from where the drive before
# it parked, once the member had walked away from there (a shop 30-300 m from the space:
# parking design's 90-180 m for retail customers, Smith & Butcher 1994; simulation's
# PARK_WALK_M), is the car driven off again, not a bus or a tram boarded after a wait
# (transfers._back_at_the_car). Within PARKED_SPOT_M, or twice the fix's accuracy if more
# (two fixes of one spot differ by up to about twice their error: Helsinki noise50's park-
# and-ride, a train boarded 56 m from the car, was taken for the car at 50 m): the
# same spot seen minutes apart lies 20-25 m off in GPS error correlated over minutes (the
# suite's 1 s errands: 24 m after 8 minutes), and the drive's end is read where the
# windowed speed crosses walking pace, 5-15 s from the standstill (legs._speed_window);
# over the ride's first PARKED_LOOK_S, as its start may lie up to half a minute of the
# walk back before the car moves. A bus stop farther than that from the parking space is
# one the member walked to and waited at, not one they came back to.
PARKED_SPOT_M = 40.0
PARKED_LOOK_S = 60
# ... and the spot is reached from the ride's first fix no faster than on foot: at most a
# brisk walk's PARKED_APPROACH_MS (the top of a walker's pace, _WALK's top, 2.5 m/s; fast
# gait 1.75-2.5 m/s, Bohannon 1997), give or take twice the fixes' error. A train or a tram
# boarded at a platform 150 m from the car park, the rails beside it (park-and-ride), passes
# the car within its first 20 s at 6-10 m/s (round 13 fix-park: the 10 km train read car).
PARKED_APPROACH_MS = 2.5

# A road vehicle queuing: a bus or a tram in mixed traffic in stop-and-go, whose crawl the
# legs cut out of its ride as a slow stretch (windowed speed under walking pace). A car's
# crawl is the jam state below (JAM), chained and between two drives: as a bus's queue (one
# state, at QUEUE_SHARE's odds) no generated day gained and a Helsinki metro ride cut at a
# slow stretch read as a car queuing (docs/engine.md, round 8, tried and not kept).
# A state of the trip model (carbon.decode) reachable only from a leg of that vehicle and
# left only into the same vehicle: nobody leaves a bus to walk along its line and board it
# again at once. What it looks like, from traffic flow and bus operations:
# * mean speed: queues at signals discharge and re-form; stop-and-go traffic moves at
#   5-10 km/h (1.4-2.8 m/s) and a bus in a congested centre averages 6-8 km/h on the
#   slowest routes on record (New York's crosstown M42/M50; central London and Paris at
#   peak 9-11 km/h: TfL and RATP commercial speeds), down to a crawl at a saturated
#   junction (0.3-0.5 m/s over a signal cycle: a queue of 100-200 m cleared in 2-4 cycles
#   of 60-120 s, HCM 2010 ch. 18 / TCQSM 3rd ed. ch. 6);
# * between halts it moves in bursts (to 15-25 km/h, 4-7 m/s, before the next queue), so
#   where the sampling shows them its cruise and peaks reach beyond any walker's (Bohannon
#   1997: 2.5 m/s at most), and it halts far more often than a walker (a halt every 20-250
#   m in a queue, 4-50 per km, QUEUE's "stops" range with its soft lower edge at 3, against a pedestrian's crossings every 100-300 m, half of them red);
# * each halt lasts a red phase, a signal cycle at most (queued vehicles restart within
#   60-120 s: HCM; QUEUE's "wait", 0-60 s with a sharp tail, is the standing before it
#   moves on), so the vehicle moves on after seconds to two minutes, where a rider changing
#   to another bus waits for it (half a headway on average, 2-7 minutes at 5-15 minute
#   headways, TCQSM; riders arrive at random at headways under ~12 minutes).
QUEUE_MODES = ("bus", "tram")
# A slow stretch between two rides of a bus (tram) is either a change (the member got off,
# walked, waited, boarded again) or the vehicle in a jam; QUEUE_SHARE is the share of such
# stretches that are jams, the prior split between the vehicle's queue state and the walk
# (carbon.decode). The walk keeps the weight it has after any vehicle (riders change off a
# bus as often as off a metro), so the queue state takes QUEUE_SHARE / (1 - QUEUE_SHARE)
# of it: a bus is followed by a slow stretch more often than a metro or a train, whose
# rights of way never crawl at walking pace, because it also jams. 0.5: as often a jam as
# a change. Both are of the same order per urban bus ride: a change on ~0.3-0.4 of public
# transport journeys (1.3-1.4 boardings per journey in European travel surveys, HSL's
# among them), about half of them to the same mode; signal and congestion delay 10-20 %
# of a bus's running time in city traffic (TCQSM 3rd ed. ch. 6), part of it at walking
# pace for a minute or more at saturated junctions. Sharing the walk's own weight instead
# (a bus followed by a slow stretch no more often than a metro) was measured and not kept
# (docs/engine.md, round 8, queue-fix). Cars and bikes also crawl and have no queue state:
# against them the bus and the tram keep an edge at a slow stretch (a known weakness).
QUEUE_SHARE = 0.5
QUEUE = _r(mean=(0.3, 2.5, 0.4, 0.15), cruise=(0.8, 7.0, 0.4, 0.2), top=(1.0, 9.0, 0.4, 0.2),
           sustained=(0.5, 3.5, 0.4, 0.2), stops=(3.0, 50.0, 0.5, 0.4),
           blind=_ROAD_BLIND, wait=(0.0, 60.0, 1.0, 0.3), distance=(30.0, 5000.0, 1.0, 0.5),
           stations=("poisson", 200.0))
QUEUE_RANGES = {"queue": [(1.0, QUEUE)]}

# A car in stop-and-go (a motorway jam, a saturated junction): a state of the trip model
# (carbon.decode, `car~jam`) between two drives of one trip, entered from the car, left
# into it, and chained (a jam the legs cut into crawls and bursts is one jam). Between two
# drives a stretch at walking or cycling pace is the car crawling or a stop (the member
# walked from the car and back), never another vehicle: nobody leaves the car on a
# motorway to ride a bicycle or board a bus, and finds it again at the other end. Without
# drives on both sides (a whole town drive in a jam) the leg reads by its own speeds (a
# bike's, often: docs/engine.md, known weaknesses). It moves as QUEUE does, the same road
# and the same physics (its bursts below): stop-and-go waves on motorways stand inside each
# jam and run at 20-50 km/h between them (Kerner & Rehborn 1996; Treiterer's aerial observations), a
# queue at a saturated junction clears over signal cycles (HCM 2010 ch. 18). JAM_SHARE:
# the share of slow stretches between two drives that are the car in a jam, an order of
# magnitude (congestion and signal delay are 10-30 % of urban driving time in the TomTom
# and INRIX indices; the rest of those stretches are stops, lights and walks from the car),
# paid on entering the jam and not again for its pieces. Cars queuing as a bus does (one
# state between two legs, at QUEUE_SHARE's odds) were tried in round 8 and not kept; the
# queue they had to cross was the motorway's crawl, cut into several legs (round 11).
JAM_MODES = ("car",)
JAM_SHARE = 0.1
# Its bursts: a queue moves on above any walker's pace between its halts (walking cruise
# at most 2.0 m/s, peaks 2.5: Bohannon 1997), so where the sampling shows them the state
# reads a walker's windowed speeds as no crawl (QUEUE leaves that to the walk it is compared
# with); and a crawl is slower than walking's top on average (JAM_MAX_MEAN_MS, the pace at
# which the legs cut a slow stretch out of a ride): a faster leg is the drive itself.
JAM = _like(QUEUE, cruise=(2.0, 7.0, 0.15, 0.2), top=(2.5, 9.0, 0.15, 0.2))
JAM_RANGES = {"jam": [(1.0, JAM)]}
JAM_MAX_MEAN_MS = 2.5
# The drives either side of a jam must read as a car's by their own measures: no rail ride
# strongly likelier (a likelihood ratio of ten, Jeffreys' "strong evidence"; carbon.decode.
# _crawled). A slow stretch between a car-like leg and a metro's is a metro's halt or a
# change, never a car crawling: the car cannot go on as a metro.
JAM_NOT_DRIVES = ("metro", "train")
JAM_DRIVE_LOG_RATIO = math.log(10.0)

# The pace while moving (distance over the time outside the leg's halts), read only where
# the halts are (a fix every 20 s or finer, carbon.likelihood.queue_loglik): what tells a
# walker, who keeps 1.0-1.8 m/s between crossings (Bohannon 1997: comfortable 1.27-1.46,
# at most 2.5), from a vehicle in a queue, which stands half the time and moves in bursts
# of 3-7 m/s between halts (stop-and-go waves; a bus's queue at a signal discharges at
# ~2 s headways, accelerating at ~1 m/s2: HCM 2010 ch. 18). Only the queue state and the
# walk it stands against read it.
MOVING_PACE = {"walk": (0.9, 2.0, 0.3, 0.12), "queue": (2.0, 8.0, 0.3, 0.2)}
MOVING_PACE_WEIGHT = 0.7

# A walk between two rides is a transfer, and riders keep those short: the walk at a
# change weighs about twice the minutes spent aboard (Guo & Wilson 2011, "Assessing the
# cost of transfer inconvenience in public transport systems: a case study of the London
# Underground", Transportation Research A 45; Wardman 2004), so changes are planned within
# a few hundred metres (stops of two lines at one junction, a station's platforms), where
# access walks reach 500-800 m (El-Geneidy et al. 2014, above). Against the queue state,
# the walk it stands against between two legs of one vehicle is such a transfer: its length
# is read with this range instead of a walk's (carbon.likelihood.queue_loglik).
TRANSFER_WALK_M = (50.0, 800.0, 1.0, 0.5)
