"""Household pages: first-run setup, login, and the member's own page.

The full household web page (day view, trips, trends, corrections) is its own capability;
this is what the spine needs: who is logged in, their devices, and what was refused.
"""
from __future__ import annotations

import functools
import time
from pathlib import Path
from urllib.parse import urlparse

from aiohttp import web

from gateway import accounts
from gateway.queries.devices import member_devices
from gateway.queries.stats import recent_rejections

from .auth import COOKIE, SESSION_SECONDS
from .keys import GATEWAY, HOME_HANDLER, MEMBER, MEMBER_AUTH


@functools.cache
def _env():
    """jinja2 on the first page shown: phones report all day, pages are opened now and
    then, and its 2 MB are not the idle box's to hold."""
    import jinja2
    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=jinja2.select_autoescape(["html"]))


def render(name: str, **context) -> web.Response:
    return web.Response(text=_env().get_template(name).render(**context),
                        content_type="text/html")


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


async def login_form(request):
    return render("login.html", next=_safe_next(request.query.get("next")), error=None)


async def login(request):
    form = await request.post()
    member = await request.app[MEMBER_AUTH].login(form.get("name", ""),
                                                    form.get("password", ""))
    if member is None:
        resp = render("login.html", next=_safe_next(form.get("next")),
                      error="Unknown name or wrong password.")
        resp.set_status(401)
        return resp
    _logged_in(request, member, _safe_next(form.get("next")))


def _logged_in(request, member, target):
    found = web.HTTPFound(target)
    found.set_cookie(COOKIE, request.app[MEMBER_AUTH].token_for(member),
                     max_age=SESSION_SECONDS, httponly=True, samesite="Lax")
    raise found


async def logout(request):
    found = web.HTTPFound("/login")
    found.del_cookie(COOKIE)
    raise found


async def setup_form(request):
    if accounts.has_members(request.app[GATEWAY].store.conn):
        raise web.HTTPFound("/login")
    return render("setup.html", error=None)


async def setup_submit(request):
    gw = request.app[GATEWAY]
    if accounts.has_members(gw.store.conn):
        raise web.HTTPForbidden(text="this box is already set up")
    form = await request.post()
    try:
        with gw.store.transaction() as conn:
            member = accounts.add_member(conn, form.get("name", ""), form.get("password", ""),
                                         display_name=form.get("display_name") or None,
                                         is_admin=True)
    except accounts.AccountError as exc:
        resp = render("setup.html", error=str(exc))
        resp.set_status(400)
        return resp
    _logged_in(request, member, "/")


async def home(request):
    member = request[MEMBER]
    conn = request.app[GATEWAY].store.conn
    devices = member_devices(conn, member.id)
    rejections = recent_rejections(conn, member.id, limit=20)
    return render("home.html", member=member, devices=devices, rejections=rejections,
                  fmt=_fmt_time)


def _fmt_time(ts):
    return "never" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
