"""Settings: `/settings`: the member's car (fuel, size), usual occupancy, their bus network's
factor, language, time zone, bike-days target and password; for the household's admin: the
members, who may see whom (visibility), and the household's own settings. A place is kept
for the city link (issue #11)."""
from __future__ import annotations

import asyncio
from zoneinfo import available_timezones

from aiohttp import web

from carbon.factors import CAR_FUELS, CAR_SIZES
from gateway import accounts
from gateway.accounts import broker
from gateway.trips import decisions
from gateway.trips.context import vehicle_settings
from gateway.trips.household import configure

from . import common
from .i18n import COOKIE
from .keys import GATEWAY, MEMBER
from .templating import render
from .throttle import Busy, Throttled


def _admin(request) -> None:
    if not request[MEMBER].is_admin:
        raise web.HTTPForbidden(text="only the household's admin can change this")


async def settings_page(request: web.Request, *, error: str | None = None,
                        status: int = 200) -> web.Response:
    conn, member = common.conn(request), request[MEMBER]
    members = accounts.list_members(conn) if member.is_admin else []
    seen = {m.id: set(accounts.visible_member_ids(conn, m.id)) for m in members}
    return render(request, "settings.html", status=status, error=error,
                  vehicle=vehicle_settings(conn, member.id),
                  prefs=accounts.member_preferences(conn, member.id), fuels=CAR_FUELS,
                  sizes=CAR_SIZES, fuel_names=common.FUEL_NAMES, size_names=common.SIZE_NAMES,
                  members=members, seen=seen, zones=sorted(available_timezones()),
                  done=request.query.get("done"))


async def _refused(request, exc) -> web.Response:
    return await settings_page(request, error=common.said(request, exc), status=400)


async def save_vehicle(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    try:
        settings = {"car_fuel": values.get("car_fuel") or None,
                    "car_size": values.get("car_size") or None,
                    "car_occupancy": float(values["car_occupancy"]) if values.get("car_occupancy") else None,
                    "bus_g_pkm": float(values["bus_g_pkm"]) if values.get("bus_g_pkm") else None}
        await asyncio.to_thread(decisions.set_vehicle, common.store(request),
                                common.member_id(request), **settings)
    except ValueError as exc:
        return await _refused(request, exc)
    raise common.done("/settings", "vehicle")


async def save_preferences(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    try:
        target = int(values["bike_days_target"]) if values.get("bike_days_target") else None
        with common.store(request).transaction() as conn:
            prefs = accounts.set_member_preferences(
                conn, common.member_id(request), language=values.get("language") or None,
                timezone=values.get("timezone") or None, bike_days_target=target)
    except (ValueError, accounts.AccountError) as exc:
        return await _refused(request, exc)
    back = common.done("/settings", "preferences")
    back.set_cookie(COOKIE, prefs["language"] or "fr", max_age=400 * 86400, httponly=True,
                    samesite="Lax")
    raise back


async def change_password(request: web.Request) -> web.StreamResponse:
    values = await common.form(request)
    member, auth = request[MEMBER], request.app[common.MEMBER_AUTH]
    try:
        # The same throttle as /login: this form must not be a way to guess passwords.
        known = await auth.login(member.name, values.get("current", ""), request.remote)
    except (Throttled, Busy) as exc:
        return await _refused(request, exc)
    if known is None:
        return await _refused(request, "the current password is not right")
    try:
        with common.store(request).transaction() as conn:
            accounts.set_password(conn, member.name, values.get("new", ""))
    except accounts.AccountError as exc:
        return await _refused(request, exc)
    raise web.HTTPSeeOther("/login")     # every session of the old password has ended


async def add_member(request: web.Request) -> web.StreamResponse:
    _admin(request)
    values = await common.form(request)
    try:
        with common.store(request).transaction() as conn:
            accounts.add_member(conn, values.get("name", ""), values.get("password", ""),
                                display_name=values.get("display_name") or None,
                                is_admin=common.checked(values, "admin"))
    except accounts.AccountError as exc:
        return await _refused(request, exc)
    raise common.done("/settings", "member")


async def save_visibility(request: web.Request) -> web.StreamResponse:
    """One checkbox per (owner, viewer): `see-OWNER-VIEWER` ticked = viewer sees owner."""
    _admin(request)
    values = await common.form(request)
    gw = request.app[GATEWAY]
    with gw.store.transaction() as conn:
        people = accounts.list_members(conn)
        for owner in people:
            for viewer in people:
                if owner.id == viewer.id:
                    continue
                if f"see-{owner.id}-{viewer.id}" in values:
                    accounts.show_to(conn, owner.name, viewer.name)
                else:
                    accounts.hide_from(conn, owner.name, viewer.name)
        broker.sync_broker_files(gw.config, conn, reload=True)   # phones' ACL follows
    gw.friends.clear()
    raise common.done("/settings", "visibility")


async def save_household(request: web.Request) -> web.StreamResponse:
    _admin(request)
    values = await common.form(request)
    gw = request.app[GATEWAY]
    try:
        with gw.store.transaction():
            accounts.set_household(gw.store, name=values.get("household", ""),
                                   timezone=values.get("timezone") or None,
                                   language=values.get("language") or None)
    except accounts.AccountError as exc:
        return await _refused(request, exc)
    configure(gw.store, gw.config)
    raise common.done("/settings", "household")
