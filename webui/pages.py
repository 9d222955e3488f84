"""First-run setup, login and logout; `/` is today's day view.

The security of these three (sessions, the first-run code, throttling, CSRF) belongs to
the hardening work (issue #7): the handlers here stay small so that it slots in. What this
module adds is the household page's side: the household's name, time zone and language at
setup, then straight on to adding a phone; a wrong password keeps the typed name; a member
already logged in who opens /setup goes home.
"""
from __future__ import annotations

from zoneinfo import available_timezones

from aiohttp import web

from gateway import accounts
from gateway.trips.context import configure

from .auth import COOKIE, SESSION_SECONDS
from .common import form, safe_next
from .i18n import translate
from .keys import GATEWAY, HOME_HANDLER, LOCALE, MEMBER, MEMBER_AUTH
from .templating import render


def setup(app: web.Application) -> None:
    app[HOME_HANDLER] = home
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/setup", setup_form)
    app.router.add_post("/setup", setup_submit)


async def home(request):
    raise web.HTTPFound("/day")


async def login_form(request):
    if request[MEMBER] is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return render(request, "login.html", next=safe_next(request.query.get("next")), name="",
                  error=None)


async def login(request):
    values = await form(request)
    name, target = values.get("name", ""), safe_next(values.get("next"))
    member = await request.app[MEMBER_AUTH].login(name, values.get("password", ""))
    if member is None:
        return render(request, "login.html", status=401, next=target, name=name,
                      error=translate(request[LOCALE], "Unknown name or wrong password."))
    _logged_in(request, member, target)


def _logged_in(request, member, target):
    found = web.HTTPFound(target)
    found.set_cookie(COOKIE, request.app[MEMBER_AUTH].token_for(member),
                     max_age=SESSION_SECONDS, httponly=True, samesite="Lax")
    raise found


async def logout(request):
    found = web.HTTPSeeOther("/login")
    found.del_cookie(COOKIE)
    raise found


def _setup_page(request, *, status=200, error=None, values=None):
    gw = request.app[GATEWAY]
    values = values or {}
    shown = {"household": values.get("household", ""), "name": values.get("name", ""),
             "display_name": values.get("display_name", ""),
             "timezone": values.get("timezone") or gw.config.gateway.timezone,
             "language": values.get("language") or request[LOCALE]}
    return render(request, "setup.html", status=status, error=error, form=shown,
                  zones=sorted(available_timezones()))


async def setup_form(request):
    if accounts.has_members(request.app[GATEWAY].store.conn):
        raise web.HTTPFound("/" if request[MEMBER] else "/login")
    return _setup_page(request)


async def setup_submit(request):
    gw = request.app[GATEWAY]
    if accounts.has_members(gw.store.conn):
        raise web.HTTPForbidden(text="this box is already set up")
    values = await form(request)
    try:
        with gw.store.transaction() as conn:
            member = accounts.add_member(conn, values.get("name", ""), values.get("password", ""),
                                         display_name=values.get("display_name") or None,
                                         is_admin=True)
            accounts.set_household(gw.store, name=values.get("household", ""),
                                   timezone=values.get("timezone", ""),
                                   language=values.get("language", "fr"))
    except accounts.AccountError as exc:
        return _setup_page(request, status=400, error=str(exc), values=values)
    configure(gw.store, gw.config)      # the trip engine computes in the chosen zone
    _logged_in(request, member, "/devices/new?welcome=1")
