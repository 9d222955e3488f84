"""First-run setup, login and logout; `/` is today's day view.

The security of these (sessions, the first-run code, throttling, CSRF) is the hardening's
(docs/security.md); what this module adds is the household page's side: the household's
name, time zone and language at setup, then straight on to adding a phone; a wrong password
keeps the typed name; a member already logged in who opens /login or /setup goes on.
"""
from __future__ import annotations

import asyncio
from zoneinfo import available_timezones

from aiohttp import web

from gateway import accounts
from gateway.accounts import first_run
from gateway.trips.household import configure

from .common import form, safe_next, said
from .i18n import translate
from .keys import GATEWAY, HOME_HANDLER, LOCALE, MEMBER, MEMBER_AUTH
from .templating import render
from .throttle import Busy, Throttled


def setup(app: web.Application) -> None:
    app[HOME_HANDLER] = home
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/setup", setup_form)
    app.router.add_post("/setup", setup_submit)


async def home(request):
    raise web.HTTPFound("/day")


def _busy(request, exc: Throttled | Busy) -> tuple[int, int, str]:
    """429 (this name or address must wait) or 503 (the box is checking others): the
    status, the seconds to wait and what to tell the member."""
    lang = request[LOCALE]
    if isinstance(exc, Throttled):
        return 429, exc.retry_after, translate(
            lang, "Too many failed attempts: wait {seconds} seconds, then try again."
        ).format(seconds=exc.retry_after)
    return 503, 1, translate(lang, "The box is busy checking other logins: try again in a "
                                   "moment.")


async def login_form(request):
    if request[MEMBER] is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return render(request, "login.html", next=safe_next(request.query.get("next")), name="",
                  error=None)


async def login(request):
    values = await form(request)
    name, target = values.get("name", ""), safe_next(values.get("next"))
    auth = request.app[MEMBER_AUTH]
    try:
        member = await auth.login(name, values.get("password", ""), request.remote)
    except (Throttled, Busy) as exc:
        status, wait, error = _busy(request, exc)
        resp = render(request, "login.html", status=status, next=target, name=name,
                      error=error)
        resp.headers["Retry-After"] = str(wait)
        return resp
    if member is None:
        return render(request, "login.html", status=401, next=target, name=name,
                      error=translate(request[LOCALE], "Unknown name or wrong password."))
    found = web.HTTPFound(target)
    await auth.start_session(request, member, found)
    raise found


async def logout(request):
    found = web.HTTPSeeOther("/login")
    await request.app[MEMBER_AUTH].end_session(request, found)
    raise found


def _setup_page(request, *, status=200, error=None, values=None):
    gw = request.app[GATEWAY]
    values = values or {}
    shown = {"household": values.get("household", ""), "name": values.get("name", ""),
             "display_name": values.get("display_name", ""),
             "timezone": values.get("timezone") or gw.config.gateway.timezone,
             "language": values.get("language") or request[LOCALE]}
    return render(request, "setup.html", status=status, error=error, form=shown,
                  zones=sorted(available_timezones()),
                  code_hint=str(first_run.code_path(gw.config)), code_shape="XXXX-XXXX-XXXX",
                  ca_available=_ca_available(request))


async def setup_form(request):
    if accounts.has_members(request.app[GATEWAY].store.conn):
        raise web.HTTPFound("/" if request[MEMBER] else "/login")
    return _setup_page(request)


def _ca_available(request) -> bool:
    """The setup page links the box's CA certificate once there is one (webui/tls.py)."""
    tls = request.app[GATEWAY].tls
    return tls is not None and tls.names is not None


async def setup_submit(request):
    gw, auth = request.app[GATEWAY], request.app[MEMBER_AUTH]
    values = await form(request)
    # A field left out keeps the box's default (the configured zone, French).
    household = {"name": values.get("household", ""),
                 "timezone": values.get("timezone") or None,
                 "language": values.get("language") or None}
    try:
        auth.setup_throttle.check(None, request.remote)
        async with auth.gate:  # Argon2 hashes the password: same cap as logins
            member = await asyncio.get_running_loop().run_in_executor(None, lambda: (
                accounts.create_first_member(
                    gw.store, gw.config, code=values.get("code", ""),
                    name=values.get("name", ""), password=values.get("password", ""),
                    display_name=values.get("display_name") or None, household=household)))
    except (Throttled, Busy) as exc:
        status, wait, error = _busy(request, exc)
        resp = _setup_page(request, status=status, error=error, values=values)
        resp.headers["Retry-After"] = str(wait)
        return resp
    except accounts.SetupClosed as exc:
        raise web.HTTPForbidden(text=said(request, exc))
    except accounts.WrongSetupCode as exc:
        auth.setup_throttle.failed(None, request.remote)
        return _setup_page(request, status=403, error=said(request, exc), values=values)
    except accounts.AccountError as exc:
        return _setup_page(request, status=400, error=said(request, exc), values=values)
    auth.setup_throttle.succeeded(None, request.remote)
    configure(gw.store, gw.config)      # the trip engine computes in the chosen zone
    found = web.HTTPFound("/devices/new?welcome=1")
    await auth.start_session(request, member, found)
    raise found
