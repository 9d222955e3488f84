"""Places: `/places`: home, work and the places one goes often; name them, say which is
home or work, merge two that are one, mark one private (its coordinates then never reach
another member: gateway/queries/privacy.py)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from gateway.queries.places import place_by_key, places_page
from gateway.trips import decisions

from . import common
from .keys import GATEWAY
from .templating import render


async def places(request: web.Request) -> web.Response:
    shown = places_page(common.conn(request), common.member_id(request))
    return render(request, "places.html", places=shown, done=request.query.get("done"))


def _place(request, key: str | None) -> dict:
    found = place_by_key(common.conn(request), common.member_id(request), key or "")
    if found is None:
        raise web.HTTPNotFound(text="no such place")
    return found


async def save(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    place = _place(request, values.get("place"))
    label = values.get("label") or None
    name = values.get("name", "").strip()[:60] or None
    if label not in (None, "home", "work"):
        raise web.HTTPBadRequest(text="a place is home, work or neither")
    await asyncio.to_thread(decisions.name_place, common.store(request),
                            common.member_id(request), place["lat"], place["lon"], name, label,
                            private=common.checked(values, "private"))
    request.app[GATEWAY].friends.clear()     # phones' friends must not keep a private spot
    raise common.done("/places", "saved")


async def merge(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    here, into = _place(request, values.get("place")), _place(request, values.get("into"))
    try:
        await asyncio.to_thread(decisions.merge_places, common.store(request),
                                common.member_id(request), (here["lat"], here["lon"]),
                                (into["lat"], into["lon"]))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc))
    raise common.done("/places", "merged")
