"""Who is asking: a member's session (cookie), a member's Basic auth (API tools), or a
device's Basic auth (the phone endpoints, checked by their handlers).

Sessions are server-side (``gateway.accounts.sessions``): the cookie holds a random token,
logout ends it, a password change ends all of the member's. Password checks are throttled
(``webui.throttle``): per address and per name, and a cap on Argon2 checks at once.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import time

from aiohttp import web

from gateway import accounts

from .headers import cookie_secure
from .keys import GATEWAY, MEMBER, MEMBER_AUTH, SESSION
from .routes import is_phone_endpoint, is_public
from .throttle import Busy, Gate, LoginThrottle, Throttled

COOKIE = "selfdata_session"
BASIC_CACHE_SECONDS = 300


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


async def _in_thread(fn, *args):
    """Store writes and Argon2 off the event loop (each worker thread has its own
    connection: the store's connections are per thread)."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class MemberAuth:
    """Checks member logins and keeps their sessions.

    Argon2 is slow on purpose (tens of ms), so it runs in a worker thread, never on the
    event loop, behind the gate; a Basic success is remembered for a few minutes, tied
    to the password hash it was checked against (a changed password is not accepted from
    the cache, and a cached login is never throttled: a tool that knows the password
    keeps working while someone else guesses).
    """

    def __init__(self, gw):
        self.gw = gw
        web_cfg = gw.config.web
        self.lifetime = accounts.Lifetime(int(web_cfg.session_idle_days * 86400),
                                          int(web_cfg.session_max_days * 86400))
        self.throttle = LoginThrottle(free=web_cfg.login_failures_before_delay,
                                      cap=web_cfg.login_max_delay_s)
        self.setup_throttle = LoginThrottle(free=web_cfg.login_failures_before_delay,
                                            cap=web_cfg.login_max_delay_s)
        self.gate = Gate(web_cfg.login_parallel_checks, web_cfg.login_queue)
        self._key = secrets.token_bytes(32)  # tags the Basic cache; never leaves memory
        self._basic: dict[tuple[str, bytes], tuple[int, str, float]] = {}

    # ----- passwords

    async def login(self, name: str, password: str, address: str | None) -> accounts.Member | None:
        """The member, or None for a wrong name or password; raises Throttled or Busy."""
        name = name.strip().lower()
        self.throttle.check(name, address)
        async with self.gate:
            member = await _in_thread(self._check_login, name, password)
        if member is None:
            self.throttle.failed(name, address)
        else:
            self.throttle.succeeded(name, address)
        return member

    def _check_login(self, name: str, password: str) -> accounts.Member | None:
        return accounts.check_login(self.gw.store.conn, name, password)

    async def basic_member(self, name: str, password: str,
                           address: str | None) -> accounts.Member | None:
        tag = hmac.new(self._key, f"{name}:{password}".encode(), hashlib.sha256).digest()
        hit = self._basic.get((name, tag))
        conn = self.gw.store.conn
        if hit and hit[2] > time.monotonic() and accounts.password_hash(conn, hit[0]) == hit[1]:
            return accounts.member_by_id(conn, hit[0])
        member = await self.login(name, password, address)
        if member is not None:
            if len(self._basic) > 1000:  # bounded: one entry per working tool, not per guess
                self._basic.clear()
            self._basic[(name, tag)] = (member.id, accounts.password_hash(conn, member.id),
                                        time.monotonic() + BASIC_CACHE_SECONDS)
        return member

    # ----- sessions

    async def start_session(self, request: web.Request, member: accounts.Member,
                            response: web.StreamResponse) -> None:
        """A new session for this browser, its cookie set on ``response``."""
        token, session = await _in_thread(
            self._start, member.id, request.headers.get("User-Agent", ""))
        request[SESSION] = session
        response.set_cookie(COOKIE, token, max_age=self.lifetime.max_s, path="/",
                            httponly=True, samesite="Strict",
                            secure=cookie_secure(request, self.gw.config))

    def _start(self, member_id: int, user_agent: str):
        with self.gw.store.transaction() as conn:
            return accounts.start_session(conn, member_id, self.lifetime, user_agent=user_agent)

    async def end_session(self, request: web.Request, response: web.StreamResponse) -> None:
        token = request.cookies.get(COOKIE)
        if token:
            await _in_thread(self._end, token)
        response.del_cookie(COOKIE, path="/")

    def _end(self, token: str) -> None:
        with self.gw.store.transaction() as conn:
            accounts.end_session(conn, token)

    async def session_of(self, request: web.Request) -> accounts.Session | None:
        """The live session of the request's cookie, its expiry slid when due."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        session = accounts.find_session(self.gw.store.conn, token)
        if session is not None and session.touch_due():
            await _in_thread(self._touch, session)
        return session

    def _touch(self, session: accounts.Session) -> None:
        with self.gw.store.transaction() as conn:
            accounts.touch_session(conn, session, self.lifetime)


def too_many(request: web.Request, exc: Throttled | Busy) -> web.HTTPException:
    """429 (this name or address must wait) or 503 (the box is busy checking others)."""
    if isinstance(exc, Throttled):
        cls, text, wait = web.HTTPTooManyRequests, str(exc), exc.retry_after
    else:
        cls, text, wait = web.HTTPServiceUnavailable, "busy checking other logins: retry", 1
    return cls(text=f'{{"error": "{text}"}}', content_type="application/json",
               headers={"Retry-After": str(wait)})


@web.middleware
async def require_member(request: web.Request, handler):
    request[MEMBER] = request[SESSION] = None
    if is_phone_endpoint(request):
        # Device credentials only, checked by the handler: a member's cookie is never read
        # here (so no page can post to a phone endpoint with a member's session), and
        # trying device logins as members would cost an Argon2 hash per phone request.
        return await handler(request)
    auth: MemberAuth = request.app[MEMBER_AUTH]
    session = request[SESSION] = await auth.session_of(request)
    request[MEMBER] = session.member if session is not None else None
    if request[MEMBER] is None and not is_public(request.path):
        request[MEMBER] = await _basic_member(request, auth)
    if request[MEMBER] is not None or is_public(request.path):
        return await handler(request)
    if request.path.startswith(("/api/", "/ws/")):
        raise web.HTTPUnauthorized(
            text='{"error":"login required"}', content_type="application/json",
            headers={"WWW-Authenticate": 'Basic realm="selfdata", charset="UTF-8"'})
    if not accounts.has_members(request.app[GATEWAY].store.conn):
        raise web.HTTPFound("/setup")
    raise web.HTTPFound(f"/login?next={request.path_qs}")


async def _basic_member(request: web.Request, auth: MemberAuth) -> accounts.Member | None:
    creds = basic_credentials(request)
    if not creds or "/" in creds[0]:  # member names have no "/": device logins do
        return None
    try:
        return await auth.basic_member(*creds, request.remote)
    except (Throttled, Busy) as exc:
        raise too_many(request, exc) from None


def device_from_request(request: web.Request, *, username: str | None = None,
                        secret: str | None = None):
    """The device whose credentials the request carries (Basic auth, or explicit ones)."""
    if username is None:
        creds = basic_credentials(request)
        if creds is None:
            return None
        username, secret = creds
    return request.app[GATEWAY].device_auth.check(username, secret or "")
