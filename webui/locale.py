"""Each request's language and time zone (``request[LOCALE]``, ``request[ZONE]``), and the
language switch on every page (``POST /language``), remembered in a cookie and, for a
logged-in member, in their settings."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from gateway import accounts

from . import i18n
from .common import form, safe_next
from .keys import GATEWAY, LOCALE, MEMBER, ZONE

COOKIE_DAYS = 400


def setup(app: web.Application) -> None:
    app.router.add_post("/language", switch)


@web.middleware
async def locale_middleware(request: web.Request, handler):
    gw = request.app[GATEWAY]
    house = accounts.household(gw.store, gw.config)
    member = request.get(MEMBER)
    prefs = accounts.member_preferences(gw.store.conn, member.id) if member else {}
    request[LOCALE] = i18n.choose(cookie=request.cookies.get(i18n.COOKIE),
                                  member_choice=prefs.get("language"),
                                  accept=request.headers.get("Accept-Language"),
                                  household=house["language"])
    request[ZONE] = _zone(prefs.get("timezone") or house["timezone"])
    return await handler(request)


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("Europe/Paris")


async def switch(request: web.Request) -> web.StreamResponse:
    values = await form(request)
    lang = values.get("lang")
    if lang not in i18n.LANGUAGES:
        raise web.HTTPBadRequest(text="language must be en or fr")
    member = request.get(MEMBER)
    if member is not None:
        gw = request.app[GATEWAY]
        with gw.store.transaction() as conn:
            accounts.set_member_preferences(conn, member.id, language=lang)
    back = web.HTTPSeeOther(safe_next(values.get("next")))
    back.set_cookie(i18n.COOKIE, lang, max_age=COOKIE_DAYS * 86400, httponly=True,
                    samesite="Lax")
    raise back
