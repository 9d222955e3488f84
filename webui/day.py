"""The day view: `/day` (today), `/day/YYYY-MM-DD`, and its map's data
`/day/YYYY-MM-DD/track.json`. Like Google's timeline: stays and trips in order, each leg
with its mode, distance, duration and CO2e, the day's total, the map, previous and next
day, a calendar, and the legs the box is least sure of marked "is this right?"."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from aiohttp import web

from gateway.queries import days as dq
from gateway.queries.tracks import legs_track

from . import common
from .templating import render


async def today(request: web.Request) -> web.StreamResponse:
    picked = request.query.get("date")      # the date field of the jump form
    if picked:
        raise web.HTTPFound(f"/day/{common.parse_day(picked).isoformat()}")
    return await _show(request, common.today(request))


async def day_page(request: web.Request) -> web.StreamResponse:
    return await _show(request, common.parse_day(request.match_info["day"]))


async def _show(request: web.Request, day: date) -> web.Response:
    conn, member_id, tz = common.conn(request), common.member_id(request), common.zone(request)
    view = dq.day(conn, member_id, day, tz)
    month = _month(conn, member_id, day, tz)
    return render(request, "day.html", view=view, day=day, month=month,
                  today=common.today(request), prev_day=day - timedelta(days=1),
                  next_day=day + timedelta(days=1), first_day=dq.first_day(conn, member_id, tz),
                  done=request.query.get("done"))


def _month(conn, member_id: int, day: date, tz) -> dict:
    """The calendar of the day's month: weeks of (date or None), days with trips marked."""
    first = day.replace(day=1)
    last = first.replace(day=calendar.monthrange(day.year, day.month)[1])
    busy = dq.days_with_trips(conn, member_id, first, last, tz)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)
    rows = [[d if d.month == day.month else None for d in week] for week in weeks]
    before = first - timedelta(days=1)
    after = last + timedelta(days=1)
    return {"first": first, "weeks": rows, "busy": busy,
            "prev": before.replace(day=min(day.day, before.day)),
            "next": after.replace(day=min(day.day, calendar.monthrange(after.year, after.month)[1]))}


async def day_track(request: web.Request) -> web.Response:
    day = common.parse_day(request.match_info["day"])
    conn, member_id = common.conn(request), common.member_id(request)
    view = dq.day(conn, member_id, day, common.zone(request))
    track = legs_track(conn, member_id, view["trips"])
    track["stays"] = [[s["lat"], s["lon"]] for s in view["timeline"] if s["kind"] == "stay"]
    return web.json_response(track)
