"""One trip: `/trips/ID`, its map, legs and speeds, and what the member can say about it.

In two taps: open a leg's mode (or the trip's purpose), pick the right one; "apply to similar
trips" (on by default) lets trips between the same places learn it. A trip can also be cut
where the member stopped, joined with the next one, and a wrong point deleted. Every change
goes through ``gateway.trips.decisions`` (or erasure for a point), stored as the member's
input, so it survives every rebuild; the page then shows the new CO2e.
"""
from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web

from carbon.modes import MODES
from gateway.portability import erasure
from gateway.queries.tracks import legs_track, trip_points
from gateway.queries.trips import neighbour_trip_ids, trip_for
from gateway.trips import decisions

from . import common
from .i18n import translate
from .keys import LOCALE
from .templating import render


def _trip(request: web.Request) -> dict:
    """The member's trip named in the URL; another member's is answered as not found."""
    trip = trip_for(common.conn(request), common.member_id(request),
                    common.int_or_404(request.match_info["trip"]))
    if trip is None:
        raise web.HTTPNotFound(text="no such trip")
    return trip


def _local_day(request, trip) -> str:
    return datetime.fromtimestamp(trip["start_ts"], common.zone(request)).date().isoformat()


async def trip_page(request: web.Request) -> web.Response:
    trip = _trip(request)
    conn, member_id = common.conn(request), common.member_id(request)
    before, after = neighbour_trip_ids(conn, member_id, trip)
    points = trip_points(conn, member_id, trip)
    tz, lang = common.zone(request), request[LOCALE]
    for n, p in enumerate(points, 1):
        p["n"], p["time"] = n, datetime.fromtimestamp(p["ts"], tz).strftime("%H:%M:%S")
    # The picker's names, translated once for all legs.
    picks = [(m, translate(lang, common.MODE_NAMES[m])) for m in common.PICK_ORDER]
    return render(request, "trip.html", trip=trip, before=before, after=after, points=points,
                  picks=picks, day=_local_day(request, trip),
                  done=request.query.get("done"), was=request.query.get("was"))


async def trip_track(request: web.Request) -> web.Response:
    trip = _trip(request)
    conn, member_id = common.conn(request), common.member_id(request)
    track = legs_track(conn, member_id, [trip])
    track["points"] = [{"lat": p["lat"], "lon": p["lon"], "n": n}
                       for n, p in enumerate(trip_points(conn, member_id, trip), 1)]
    return web.json_response(track)


async def _decide(request, fn, *args, **kwargs):
    """Decisions write and recompute: off the event loop, so phones keep being answered."""
    try:
        return await asyncio.to_thread(fn, common.store(request), common.member_id(request),
                                       *args, **kwargs)
    except (ValueError, LookupError) as exc:
        raise web.HTTPBadRequest(text=str(exc))


async def correct_leg(request: web.Request) -> web.StreamResponse:
    trip = _trip(request)
    leg_id = common.int_or_404(request.match_info["leg"])
    leg = next((g for g in trip["legs"] if g["id"] == leg_id), None)
    if leg is None:
        raise web.HTTPNotFound(text="no such leg")
    values = await common.form(request)
    mode = values.get("mode", "")
    if mode not in MODES:
        raise web.HTTPBadRequest(text="unknown mode")
    await _decide(request, decisions.correct_leg, (leg["start_ts"] + leg["end_ts"]) // 2, mode,
                  similar=common.checked(values, "similar"))
    raise common.done(f"/trips/{trip['id']}", "corrected", was=round(trip["co2_g"] or 0))


async def correct_purpose(request: web.Request) -> web.StreamResponse:
    trip = _trip(request)
    values = await common.form(request)
    purpose = values.get("purpose", "")
    if purpose not in common.PURPOSE_NAMES:
        raise web.HTTPBadRequest(text="unknown purpose")
    await _decide(request, decisions.correct_purpose, (trip["start_ts"] + trip["end_ts"]) // 2,
                  purpose, similar=common.checked(values, "similar"))
    raise common.done(f"/trips/{trip['id']}", "purpose")


def _point(trip: dict, request, values) -> dict:
    fix_id = common.int_or_404(values.get("fix") or request.match_info.get("fix"))
    conn, member_id = common.conn(request), common.member_id(request)
    point = next((p for p in trip_points(conn, member_id, trip) if p["id"] == fix_id), None)
    if point is None:
        raise web.HTTPNotFound(text="no such point on this trip")
    return point


async def split(request: web.Request) -> web.StreamResponse:
    trip = _trip(request)
    point = _point(trip, request, await common.form(request))
    await _decide(request, decisions.split_trip, trip["id"], point["ts"], point["lat"], point["lon"])
    raise common.done(f"/day/{_local_day(request, trip)}", "split")


async def merge(request: web.Request) -> web.StreamResponse:
    trip = _trip(request)
    await _decide(request, decisions.merge_with_next, trip["id"])
    raise common.done(f"/day/{_local_day(request, trip)}", "merged")


async def delete_point(request: web.Request) -> web.StreamResponse:
    trip = _trip(request)
    point = _point(trip, request, {})
    await _decide(request, erasure.erase_fix, point["id"])
    raise common.done(f"/day/{_local_day(request, trip)}", "point-deleted")
