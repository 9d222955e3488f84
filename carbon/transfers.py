"""Waiting for a connection is part of the journey, not a stay.

Only a scheduled departure makes people wait: a short stop followed by public transport
(walk to the station, wait, ride the train; or a bus, a wait, a tram) joins the two trips,
"I went to work by bike and train", with the stop as the wait of the leg boarded after it.
Nobody waits five minutes for their own car or bike: a stop of a few minutes before one
is an errand (a shop, a drop-off), so the two trips stay apart. Whether the next leg is
public transport is decided by the model with the stop counted as its wait: a car-like
leg after a long wait at a kerb is more likely a bus (with the town's feed, only at a stop of
a line the leg then follows: _unserved). A change between two public-transport
rides that the joint decision runs one mode through stays two trips (a 5-minute dwell ends
a trip in e-mission's convention), both decided as the one journey (_changed).
"""
import math
from bisect import bisect_left, bisect_right
from dataclasses import replace

from carbon.assign import FOOT_MODES, decide, decide_parts, join_same_mode
from carbon.geo import distance_m
from carbon.legs import crossing_lift
from carbon.likelihood import queue_wait_loglik, wait_loglik
from carbon.mode_params import (ACCESS_PRIVATE, ACCESS_WALK_FACTOR, ACCESS_WALK_M, KERB_MODES,
                                PARKED_APPROACH_MS, PARKED_LOOK_S, PARKED_SPOT_M, PUBLIC,
                                QUEUE_MODES, UNREPORTED_ACC_M)
from carbon.model import Leg, Stay, Trip
from carbon.params import DEFAULT_PARAMS, Params
from carbon.vehicles import CAR_MODES, CYCLE_MODES

MOTOR_MODES = frozenset({"car", "carpool", "motorcycle", "bus", "tram", "train", "metro", "boat",
                         "plane"})


_INDOOR_ACC = (20.0, 1.5)   # metres, and x the phone's accuracy on the move
_STATIONS = ("train", "metro", "plane")   # waited for inside a building


def _unserved(stop: Stay, leg: Leg, feed) -> frozenset:
    """The kerb modes the feed says nobody waited for at this stop: with a town's feed
    (`feed`: its TransitIndex and the track), a wait at the kerb is one for a bus or a tram
    only where a line of it stops and the ride boarded there follows that line
    (transit.TransitIndex.waited_for). Elsewhere the minutes stood there are an errand,
    whatever is boarded after them: a connection on these modes is refused, and the stop
    stays a stay. Modes the feed has no lines of: it says nothing. (The wait's likelihood
    is left as it is: read for them as for the member's car, a tram ride's minutes at work
    before the walk to its stop turned it into a metro the feed has no lines of.)"""
    transit, track = feed or (None, ())
    modes = [m for m in KERB_MODES if transit is not None and m in transit.line_modes]
    if not modes:
        return frozenset()
    fixes = track[bisect_left(track, leg.start_ts, key=_ts):
                  bisect_right(track, leg.end_ts, key=_ts)]
    places = [(stop.lat, stop.lon)] + [(p.lat, p.lon) for p in fixes[:1]]
    return frozenset(m for m in modes if not transit.waited_for(places, fixes, m))


def _ts(fix) -> int:
    return fix.ts


def _indoors(stop: Stay, leg: Leg) -> bool:
    """Was the member inside during the stop? Positions degrade indoors (Wi-Fi), against
    the same phone's accuracy out on the move; people wait for a bus or a tram at the
    kerb, for a train in a station."""
    moving = (leg.features or {}).get("acc")
    return stop.acc is not None and moving is not None and \
        stop.acc > max(_INDOOR_ACC[0], _INDOOR_ACC[1] * moving)


def _with_wait(leg: Leg, seconds: float, ranges, indoors: bool = False) -> Leg:
    """A copy of the leg whose likelihood includes standing `seconds` before boarding (a
    wait indoors says nothing of a bus or tram: it is no evidence for or against them)."""
    extra = wait_loglik(seconds, ranges)
    if indoors:
        neutral = wait_loglik(seconds, ranges, ("walk",))["walk"]
        extra = {m: (v if m in _STATIONS else neutral) for m, v in extra.items()}
    # a ferry's terminal, waiting room or quay, then a crossing without a halt (carbon.legs)
    lift = crossing_lift((leg.features or {}).get("unbroken", False), seconds)
    for m, v in lift.items():
        extra[m] = extra.get(m, 0.0) + v
    copy = Leg(leg.start_ts, leg.end_ts, leg.distance_m, leg.mode, leg.confidence,
               n_points=leg.n_points, features=_lifted(leg.features, seconds, bool(lift)),
               loglik={m: v + extra.get(m, 0.0) for m, v in (leg.loglik or {}).items()},
               wait_loglik=leg.wait_loglik, queue_loglik=leg.queue_loglik,
               jam_loglik=leg.jam_loglik)
    return copy


def _lifted(features, seconds: float, lifted: bool) -> dict:
    """The copy's features: its wait, and no "unbroken" flag once the wait has given the
    crossing's lift (given once, as carbon.legs gives it at a wait of its own)."""
    out = dict(features or {}, wait=round(seconds))
    if lifted:
        out.pop("unbroken", None)
    return out


def access_walks(legs: list) -> None:
    """A walk of ACCESS_WALK_M or more from the trip's start to its first ride (or from
    its last ride to the end) says the ride was not the member's own vehicle: a car or a
    bike waits at the door, a station or a stop is a walk away."""
    last = len(legs) - 1
    for k, j in ((1, 0), (last - 1, last)):
        if 0 <= k <= last and k != j:
            _walked_to(legs[j], legs[k])


def _walked_to(walk: Leg, ride: Leg) -> None:
    """The ride was reached (or left) by `walk`: if that is a walk of ACCESS_WALK_M or
    more, the member's own car and bike are x ACCESS_WALK_FACTOR as likely for it. The
    walk must be seen over two steps at least: one step at walking pace between a ride
    and a place may be the ride and the stop inside one step of a sparse phone."""
    if not walk.loglik or not ride.loglik or walk.n_points < 3 or \
            walk.distance_m < ACCESS_WALK_M or max(walk.loglik, key=walk.loglik.get) != "walk":
        return
    for m in ACCESS_PRIVATE:
        if m in ride.loglik:
            ride.loglik[m] += math.log(ACCESS_WALK_FACTOR)


def connection(before: Trip, stay: Stay, after: Trip, priors, owned,
               params: Params = DEFAULT_PARAMS, feed=None):
    """The legs of the joined trip when the stop between `before` and `after` is a
    connection (public transport boarded after it, maybe after a short walk to the
    platform), else None. `feed`: (TransitIndex, track) when the town's feed is known."""
    found = _connect(before, stay, after, priors, owned, params, feed)
    return found if isinstance(found, list) else None


def _connect(before: Trip, stay: Stay, after: Trip, priors, owned, params: Params,
             feed=None):
    """connection's legs; or, for a change between two rides of one public mode, the
    (before, after) legs decided as one journey and kept as two trips (_changed); or None."""
    wait = after.start_ts - before.end_ts
    k = _first_ride(after, params)
    if wait > params.transfer_max_s or k is None or not before.legs:
        return None
    if _boards_flight(before, after.legs[k]):
        return None     # check-in and security: no kerb's wait (_boards_flight)
    if wait >= params.stay_min_s and feed and _back_at_the_car(before, stay, after.legs[k],
                                                               feed[1]):
        return None     # an errand: drive, park, shop, walk back, drive off
    indoors = _indoors(stay, after.legs[k])
    unserved = _unserved(stay, after.legs[k], feed)
    boarded = _with_wait(after.legs[k], wait, priors.ranges, indoors)
    if k == 0:
        # A trip's first leg is never "boarded" (carbon.legs), so it brings no wait to read
        # on the path where the stop was the vehicle queuing (carbon.decode's queue state:
        # the before trip's last slow stretch a crawl, the same vehicle on after it). The
        # stop's minutes are read there as a queue's halt, seconds to a signal cycle
        # (mode_params.QUEUE), in place of the wait for a service `_with_wait` read for
        # every path: a queue state reads its own, keyed by its name (decode.step).
        standing = queue_wait_loglik(wait)
        service = {m: boarded.loglik[m] - (after.legs[k].loglik or {}).get(m, 0.0)
                   for m in QUEUE_MODES if m in (boarded.loglik or {})}
        boarded.wait_loglik = dict(boarded.wait_loglik or {}, **{
            m + "~queue": standing - v for m, v in service.items()})
    if k == 0 and not indoors:
        # the walk into a stop at the kerb or the pier led to the boarded leg, not to a
        # parked car; one into a building led to a shop or a station, which says nothing
        _walked_to(before.legs[-1], boarded)
    if not _could_be_public(boarded):
        return None
    onward = [_copy(g) for g in after.legs[:k]] + [boarded] + \
        [_copy(g) for g in after.legs[k + 1:]]
    # decided on copies: joining legs changes them in place, and `_changed` decides `onward`
    # again (decided as it was, a ride joined here was joined there a second time: a 40 km
    # metro read as 67 km, its footprint with it)
    if _parked(before):     # its last walk and the onward first one are one walk
        legs = join_same_mode([_copy(g) for g in before.legs] +
                              decide([_copy(g) for g in onward], priors, owned))
    else:
        legs = decide(_at_stop([_copy(g) for g in before.legs + onward], len(before.legs)),
                      priors, owned)
    i = _leg_at(legs, boarded.start_ts)
    if i == 0 or legs[i].start_ts < boarded.start_ts:
        # one mode through the stop: two trips of the same kind, an errand (drive, shop,
        # drive on); or a change between two public-transport rides, kept as two trips
        return _changed(before, onward, boarded, legs[i], priors, owned)
    # a bus or a tram where none of its lines stops, or boarded to ride off its lines:
    # the minutes at the kerb were no wait for it, and the stop stays a stay
    return legs if legs[i].mode in PUBLIC and legs[i].mode not in unserved else None


def _changed(before: Trip, onward: list, boarded: Leg, through: Leg, priors, owned):
    """(before's legs, after's legs) when the stop between two public-transport rides is a
    change (bus, stop, bus; metro, stop, bus), else None. The joint decision ran one mode
    through the stop, which for a car is an errand (drive, shop, drive on: nobody waits
    minutes for their own car). It is a change of vehicles when the member got off public
    transport (the ride before the stop reads so on its own), the mode run through is a
    public one, and the trip after the stop, decided alone with the stop as its wait, boards
    public transport too: a member off a bus has no car of their own at the stop, and a
    wait of minutes at it is one for the next service (headways of 2-15 minutes).
    The stop stays a stay (a 5-minute dwell ends a trip in e-mission's convention and in GPS
    surveys': docs/engine.md, "whose convention"), but both trips are decided as the one
    journey they are, with the member on foot at the stop (`off`): decided alone, a ride
    after a wait reads as whatever its chords resemble (a metro at a fix a minute as a car),
    and run through without a walk between, two rides of different kinds (a train, then a
    bus) would be pulled into one (a mode kept costs less than a change)."""
    rides = [g for g in before.legs if g.mode not in FOOT_MODES]
    if through.mode not in PUBLIC or not rides or rides[-1].mode not in PUBLIC:
        return None
    alone = decide([_copy(g) for g in onward], priors, owned)
    if alone[_leg_at(alone, boarded.start_ts)].mode not in PUBLIC:
        return None
    off = None
    if before.legs[-1].mode not in FOOT_MODES and onward[0] is boarded:
        off = Leg(before.end_ts, boarded.start_ts, 0.0, "walk", 1.0, n_points=0,
                  loglik={"walk": 0.0})
    legs = _at_stop([_copy(g) for g in before.legs] + [_copy(g) for g in onward],
                    len(before.legs))   # as in _connect: no car jam through the stop
    return decide_parts(legs, priors, owned, len(before.legs), off)


def _boards_flight(before: Trip, ride: Leg) -> bool:
    """Is `ride`, boarded after a stop, a flight the ride in (`before`) did not bring the
    member to (its last ride no plane)? The mirror of ``_landed``: the minutes at a departure
    airport are check-in, bag drop and security (an hour or more advised; 10-20 minutes of
    them seen as one stop by a phone indoors), waited whatever the member came by, so they
    are no kerb's wait: joined, the drive in was decided with the flight as one journey and
    read as a bus (round 13 review, repro/airport_drive.py: 3 of 12 days). A connecting
    flight (the ride in a plane too) still joins, as at the gate."""
    if ride.mode != "plane":
        return False
    rides = [g.mode for g in before.legs if g.mode not in FOOT_MODES]
    return not rides or rides[-1] != "plane"


def _parked(trip: Trip) -> bool:
    """The trip came in by car alone and ended on foot: park-and-ride. The drive was decided
    on its own evidence; what the member boards after parking says nothing of how they came,
    and deciding both as one trip of one kind would make the drive a train ride (a car
    trip's kind leaves public transport a small share, `mode_params.TRIP_KINDS`). A bike is
    left to the joint decision: trains carry bikes, and the bike kind allows them."""
    legs = trip.legs
    rides = {g.mode for g in legs if g.mode not in FOOT_MODES}
    return len(legs) >= 2 and legs[-1].mode in FOOT_MODES and bool(rides) and \
        rides <= CAR_MODES


def _back_at_the_car(before: Trip, stay: Stay, ride: Leg, track) -> bool:
    """Did `ride` leave from where `before`, a drive that ended on foot (_parked), left
    the car, the member having walked away from there to the stop and back (see
    PARKED_SPOT_M)? Then the minutes at the stop were an errand, whatever the ride after
    it reads with them as a wait: a car parked does not move, and nobody walks away from a
    bus stop to come back to the very spot for the next bus. The ride's bound lies where
    its windowed speed crosses walking pace, up to half a minute of the walk back before
    the car moves (at 1 s), so the spot is looked for over its first minute (PARKED_LOOK_S),
    which starts closer to the car than the stop is (a bus boarded at the stop starts
    there) and reaches the spot at walking pace (_walked_up: a train leaving a platform
    150 m off passes the car park within seconds). Asked only of a stop of stay_min_s or more, which ends a trip in e-mission's
    convention (a shorter one, kept apart, would part one trip in two; and Helsinki dev1
    thinned to 30 s: a metro read as a car, a 4-minute walk out and back at the station
    and the metro on from the same spot)."""
    if not _parked(before) or not track:
        return False
    drive = next(g for g in reversed(before.legs) if g.mode not in FOOT_MODES)
    car = _fix_at(track, drive.end_ts)
    first = track[bisect_left(track, ride.start_ts, key=_ts):
                  bisect_right(track, ride.start_ts + PARKED_LOOK_S, key=_ts)]
    if not first:
        return False
    away = distance_m(car.lat, car.lon, stay.lat, stay.lon)
    near = min(first, key=lambda p: distance_m(car.lat, car.lon, p.lat, p.lon))
    return distance_m(car.lat, car.lon, near.lat, near.lon) <= \
        max(PARKED_SPOT_M, 2.0 * (car.acc or 0.0)) < away and \
        distance_m(car.lat, car.lon, first[0].lat, first[0].lon) < away and \
        _walked_up(first[0], near)


def _walked_up(start, spot) -> bool:
    """Was `spot` reached from the ride's first fix `start` no faster than on foot
    (PARKED_APPROACH_MS, give or take the two fixes' error)? The member walked back to the
    car and drove off from there; a train or a tram boarded at a platform that passes the
    car park covers the same chord at ten times the pace (round 13 fix-park)."""
    chord = distance_m(start.lat, start.lon, spot.lat, spot.lon)
    error = 2.0 * max(start.acc or UNREPORTED_ACC_M, spot.acc or UNREPORTED_ACC_M)
    return chord <= PARKED_APPROACH_MS * (spot.ts - start.ts) + error


def _fix_at(track, ts: int):
    """The track's fix at ts (a leg's bound is one of its fixes), else the first after."""
    k = bisect_left(track, ts, key=_ts)
    return track[min(k, len(track) - 1)]


def _first_ride(trip: Trip, params: Params):
    """Index of the first leg of `trip` that is not on foot, if the walking before it is
    short (to the platform); None otherwise."""
    for k, leg in enumerate(trip.legs):
        if leg.mode not in FOOT_MODES:
            return k if leg.start_ts - trip.start_ts <= params.min_leg_s * 2 else None
    return None


_HOPELESS = 12.0   # log units: public transport this far below the best never wins


def _could_be_public(leg: Leg) -> bool:
    ll = leg.loglik or {}
    public = [v for m, v in ll.items() if m in PUBLIC]
    return bool(public) and max(public) >= max(ll.values()) - _HOPELESS


def _copy(leg: Leg) -> Leg:
    return Leg(leg.start_ts, leg.end_ts, leg.distance_m, leg.mode, leg.confidence,
               n_points=leg.n_points, probs=leg.probs, features=leg.features,
               loglik=dict(leg.loglik or {}), wait_loglik=leg.wait_loglik,
               queue_loglik=leg.queue_loglik, jam_loglik=leg.jam_loglik)


def _at_stop(legs: list, k: int) -> list:
    """`legs`, joined at a stop that ended a trip before legs[k], with the legs either side
    of the stop not read as the car's jam (carbon.decode's `car~jam`): a jam lies inside one
    drive, where the car halts for seconds to a signal cycle and moves on; a stop long enough
    to end a trip, between a slow stretch and a ride, is the member out of the vehicle, and
    the question asked here is whether they boarded a service there. Read as a crawl, the
    slow ride before a change (a tram at 2.5 m/s) made the rides either side one car
    (Helsinki dev1 at a fix every 30 s: docs/engine.md, round 11, car-seeds-2)."""
    for g in legs[max(k - 1, 0):k + 1]:
        g.jam_loglik = None
    return legs


def _leg_at(legs: list, ts: int) -> int:
    return next((k for k, g in enumerate(legs) if g.start_ts <= ts <= g.end_ts and
                 g.end_ts > ts), len(legs) - 1)


def _cover_wait(legs: list, x: Trip, y: Trip) -> None:
    """Give the connection between x and y (the stop that was a stay) to a leg, so the
    joined trip's legs cover it. The member is out of any vehicle there: a walk leg
    before it takes it (the walk to the bus stop includes the wait at it); otherwise the
    leg boarded after it does (waiting for a vehicle is part of using it, as for a halt
    inside a fast stretch: legs._split_at_halt)."""
    if y.start_ts <= x.end_ts:
        return
    k = next((i for i, g in enumerate(legs) if g.start_ts >= y.start_ts), 0)
    if k == 0 or legs[k - 1].end_ts >= y.start_ts:
        return          # one leg runs through the stop already (the walks either side joined)
    before, after = legs[k - 1], legs[k]
    if before.mode in FOOT_MODES and before.end_ts <= y.start_ts:
        before.end_ts = y.start_ts
    else:
        after.start_ts = x.end_ts


def _join(x: Trip, y: Trip, legs: list) -> Trip:
    _cover_wait(legs, x, y)
    return Trip(x.start_ts, y.end_ts, round(sum(leg.distance_m for leg in legs), 1), legs,
                start=x.start, end=y.end)


def join_transfers(stays: list, trips: list, priors, owned=frozenset(),
                   params: Params = DEFAULT_PARAMS, trip_priors: dict | None = None,
                   hand: dict | None = None, feed=None, landed: bool = False) -> tuple:
    """(stays, trips) with connection stops dissolved into the trips around them.
    trip_priors: {id(trip): priors} a trip was decided with (where the member's vehicles
    were, carbon.vehicles); a joined trip is decided again with those of its first part.
    hand: {id(trip): (the kinds of vehicle at hand where it left, those of them that waited
    there before the ride in)} (see _picks_up). feed: (the town's TransitIndex, the track)
    or None (see _unserved). landed: whether the member was still at an arrival airport
    before the first of them (``landed_before`` over what a restart keeps: _landed)."""
    trip_priors, hand = trip_priors or {}, hand or {}
    seq = sorted(stays + trips, key=lambda item: (item.start_ts, isinstance(item, Trip)))
    out = []
    for item in seq:
        joined = None
        if isinstance(item, Trip) and len(out) >= 2 and isinstance(out[-1], Stay):
            at_hand, waited = hand.get(id(item), ((), ()))
            picked = _picks_up(item, at_hand, params)
            if picked:      # picked up if it waited there; brought by the ride in: an errand
                mine = trip_priors.get(id(out[-2]), priors)
                joined = picked in waited and \
                    _picked_up_after(out[-2], item, picked, mine, owned, params)
            elif _landed(out, landed, params) and not _scheduled_out(out[-2], item, params):
                pass        # at the arrival airport, leaving by road: no wait (_landed)
            elif isinstance(out[-2], Trip):
                mine = trip_priors.get(id(out[-2]), priors)
                legs = _connect(out[-2], out[-1], item, mine, owned, params, feed)
                if isinstance(legs, tuple):     # a change kept as two trips
                    out[-2] = replace(out[-2], legs=legs[0])
                    trip_priors[id(out[-2])] = mine
                    item = _retrip(item, legs[1], trip_priors)
                joined = isinstance(legs, list) and _join(out[-2], item, legs)
            else:
                mine = trip_priors.get(id(item), priors)
                joined = _boarded_from_stay(out[-2], out[-1], item, mine, owned, params,
                                            feed)
            if joined:
                trip_priors[id(joined)] = mine
        if joined:
            out.pop()
            out[-1:] = [joined] if isinstance(out[-1], Trip) else [out[-1], joined]
        else:
            out.append(item)
    return [s for s in out if isinstance(s, Stay)], [t for t in out if isinstance(t, Trip)]


def _landed(out: list, landed: bool, params: Params) -> bool:
    """Is the member, after the stays and trips `out` (in time order, as decided), still at
    the airport a flight brought them to (their last ride a plane, only walks and stops
    shorter than a connection's since)? `landed`: the answer before out's first. The time
    there is deplaning, passport control and baggage claim (20-45 minutes, seen as stops and
    terminal walks by a sparse phone), waited whatever the member leaves by: taxis, lifts
    and hire cars as often as buses and trains. So a stop there is no kerb's wait for a road
    vehicle (read as one, a taxi's 15-17 minutes made it a bus: docs/engine.md, round 12
    airport-rail). Read from the decided stays and trips, not a state carried through the
    loop: a restart (carbon.timeline.restart_stay) may fall on the arrival airport's first
    stop, and the live path then starts from ``landed_before`` over the kept ones."""
    for item in reversed(out):
        if isinstance(item, Stay):
            if item.duration_s > params.transfer_max_s:
                return False
            continue
        rides = [g.mode for g in item.legs if g.mode not in FOOT_MODES]
        if rides:
            return rides[-1] == "plane"
    return landed


def landed_before(stays: list, trips: list, since: int, params: Params = DEFAULT_PARAMS) -> bool:
    """``_landed`` after the stays and trips starting before `since` (a restart's kept ones:
    the live path's join_transfers starts from it, as a rebuild's reaches it)."""
    kept = [x for x in stays + trips if x.start_ts < since]
    kept.sort(key=lambda item: (item.start_ts, isinstance(item, Trip)))
    return _landed(kept, False, params)


def _scheduled_out(before, trip: Trip, params: Params) -> bool:
    """Does the ride out of the arrival airport, decided on its own (the trip as detected,
    no wait joined), read as a scheduled service (a connecting flight, the airport's rail
    link, a metro, a tram, an airport coach, a ferry)? Then the minutes at the airport may
    be its wait, as at any station: the trips join as a connection would. A ride read alone
    as a car, a bike or on foot is left alone: its wait would only push a taxi to a bus.
    Straight off the flight's own trip (`before`), only a connecting flight joins it: the
    arrival airport's stay (baggage claim) ends the flight's trip before a train or a coach,
    as in the surveys' convention; after a terminal walk's trip, the rail link joins it."""
    k = _first_ride(trip, params)
    if k is None or trip.legs[k].mode not in PUBLIC:
        return False
    rides = [g.mode for g in getattr(before, "legs", ()) if g.mode not in FOOT_MODES]
    return not rides or trip.legs[k].mode == "plane"


def _retrip(trip: Trip, legs: list, trip_priors: dict) -> Trip:
    """The trip with its legs decided again, keeping the priors it was decided with."""
    out = replace(trip, legs=legs)
    if id(trip) in trip_priors:
        trip_priors[id(out)] = trip_priors[id(trip)]
    return out


def _picks_up(trip: Trip, at_hand, params: Params) -> str | None:
    """The trip leaves on the member's own car or bike, parked at the very spot of the stop:
    the stop is where they picked it up (a bike left at the station in the morning, ridden
    home from there in the evening; a park-and-ride car), not a wait for a service. After a
    ride in, it is the end of the same journey: the member rode in without the vehicle (on
    foot and public transport, _ride_in) and found it there. Bike-and-ride is how a large
    share of rail travellers reach and leave stations (Martens 2007, Transportation Research
    A 41: a third or more of Dutch train travellers ride to the station). Returns the kind
    of vehicle picked up, or None."""
    k = _first_ride(trip, params)
    if k is None or not at_hand:
        return None
    mode = trip.legs[k].mode
    if "bike" in at_hand and mode in CYCLE_MODES:
        return "bike"
    return "car" if "car" in at_hand and mode in CAR_MODES else None


def _picked_up_after(before, trip: Trip, picked: str, priors, owned, params: Params):
    """The journey joined when `before` rode in without the vehicle picked up after it."""
    if not isinstance(before, Trip) or not _rode_in(before, picked) or \
            trip.start_ts - before.end_ts > params.transfer_max_s:
        return None
    return _join(before, trip, _ride_in(before, priors, owned) + [_copy(g) for g in trip.legs])


def _ride_in(trip: Trip, priors, owned) -> list:
    """The legs of the ride in, decided again as a trip on foot and by public transport:
    the member's vehicle was waiting at the end of it, so they did not bring it."""
    foot = priors.kinds.get("foot")
    legs = [_copy(g) for g in trip.legs]
    return decide(legs, replace(priors, kinds={"foot": foot}), owned) if foot else legs


def _rode_in(trip: Trip, picked: str) -> bool:
    """The trip arrived aboard a vehicle, without the one picked up after it (a car trip
    that stops and goes on by car is an errand, and so is a bike trip)."""
    family = CYCLE_MODES if picked == "bike" else CAR_MODES
    modes = {g.mode for g in trip.legs}
    return bool(modes - set(FOOT_MODES)) and not modes & family


def _boarded_from_stay(place: Stay, stop: Stay, trip: Trip, priors, owned,
                       params: Params, feed=None):
    """A walk too short to be a trip of its own (to a stop 150 m from the door), then a wait
    there: two stays in a row, the second short. When the trip after them is public
    transport with that wait, the short stay was its stop: the trip starts at the place,
    with a walk leg over the way to the stop and the wait."""
    k = _first_ride(trip, params)
    if stop.duration_s > params.transfer_max_s or k is None:
        return None
    unserved = _unserved(stop, trip.legs[k], feed)
    boarded = _with_wait(trip.legs[k], stop.duration_s, priors.ranges,
                         _indoors(stop, trip.legs[k]))
    if not _could_be_public(boarded):
        return None
    legs = decide([_copy(g) for g in trip.legs[:k]] + [boarded] +
                  [_copy(g) for g in trip.legs[k + 1:]], priors, owned)
    mode = legs[_leg_at(legs, boarded.start_ts)].mode
    if mode not in PUBLIC or mode in unserved:
        return None
    gap = distance_m(place.lat, place.lon, stop.lat, stop.lon)
    walk = Leg(place.end_ts, trip.start_ts, round(gap, 1), "walk", 0.8, n_points=stop.n_points)
    return Trip(place.end_ts, trip.end_ts, round(trip.distance_m + gap, 1), [walk] + legs,
                start=(place.lat, place.lon), end=trip.end)
