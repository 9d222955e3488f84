"""Household pages: first-run setup, login, logout, and the member's own page.

The full household web page (day view, trips, trends, corrections) is its own capability;
this is what the spine needs: who is logged in, their devices, and what was refused.
"""
from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse

from aiohttp import web

from gateway import accounts
from gateway.accounts import first_run
from gateway.queries.devices import member_devices
from gateway.queries.stats import recent_rejections

from .keys import GATEWAY, HOME_HANDLER, MEMBER, MEMBER_AUTH
from .templating import render
from .throttle import Busy, Throttled

def setup(app: web.Application) -> None:
    app[HOME_HANDLER] = home
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/setup", setup_form)
    app.router.add_post("/setup", setup_submit)


def _safe_next(value: str | None) -> str:
    """Only same-site paths: a login link must not bounce a member to another site."""
    if not value or urlparse(value).netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _busy_page(request, template: str, exc: Throttled | Busy, **context) -> web.Response:
    if isinstance(exc, Throttled):
        status, wait = 429, exc.retry_after
        error = f"Too many failed attempts: wait {wait} seconds, then try again."
    else:
        status, wait = 503, 1
        error = "The box is busy checking other logins: try again in a moment."
    resp = render(request, template, status=status, error=error, **context)
    resp.headers["Retry-After"] = str(wait)
    return resp


async def login_form(request):
    return render(request, "login.html", next=_safe_next(request.query.get("next")),
                  name="", error=None)


async def login(request):
    form = await request.post()
    name, target = str(form.get("name", "")), _safe_next(form.get("next"))
    auth = request.app[MEMBER_AUTH]
    try:
        member = await auth.login(name, str(form.get("password", "")), request.remote)
    except (Throttled, Busy) as exc:
        return _busy_page(request, "login.html", exc, next=target, name=name)
    if member is None:
        return render(request, "login.html", status=401, next=target, name=name,
                      error="Unknown name or wrong password.")
    found = web.HTTPFound(target)
    await auth.start_session(request, member, found)
    raise found


async def logout(request):
    found = web.HTTPFound("/login")
    await request.app[MEMBER_AUTH].end_session(request, found)
    raise found


async def setup_form(request):
    if accounts.has_members(request.app[GATEWAY].store.conn):
        raise web.HTTPFound("/" if request[MEMBER] else "/login")
    return render(request, "setup.html", error=None, form={}, code_hint=_code_hint(request))


def _code_hint(request) -> str:
    return str(first_run.code_path(request.app[GATEWAY].config))


async def setup_submit(request):
    gw, auth = request.app[GATEWAY], request.app[MEMBER_AUTH]
    form = await request.post()
    fields = {k: str(form.get(k, "")) for k in ("code", "name", "display_name", "password")}
    page = {"form": {k: v for k, v in fields.items() if k in ("name", "display_name")},
            "code_hint": _code_hint(request)}
    try:
        auth.setup_throttle.check(None, request.remote)
        async with auth.gate:  # Argon2 hashes the password: same cap as logins
            member = await asyncio.get_running_loop().run_in_executor(None, lambda: (
                accounts.create_first_member(
                    gw.store, gw.config, code=fields["code"], name=fields["name"],
                    password=fields["password"], display_name=fields["display_name"] or None)))
    except (Throttled, Busy) as exc:
        return _busy_page(request, "setup.html", exc, **page)
    except accounts.SetupClosed as exc:
        raise web.HTTPForbidden(text=str(exc))
    except accounts.WrongSetupCode as exc:
        auth.setup_throttle.failed(None, request.remote)
        return render(request, "setup.html", status=403, error=str(exc), **page)
    except accounts.AccountError as exc:
        return render(request, "setup.html", status=400, error=str(exc), **page)
    auth.setup_throttle.succeeded(None, request.remote)
    found = web.HTTPFound("/")
    await auth.start_session(request, member, found)
    raise found


async def home(request):
    member = request[MEMBER]
    conn = request.app[GATEWAY].store.conn
    devices = member_devices(conn, member.id)
    rejections = recent_rejections(conn, member.id, limit=20)
    return render(request, "home.html", devices=devices, rejections=rejections, fmt=_fmt_time)


def _fmt_time(ts):
    return "never" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
