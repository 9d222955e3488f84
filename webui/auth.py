"""Who is asking: member sessions (cookie), member Basic auth (API tools), device Basic auth.

Every route needs a member login unless it is listed in ``PUBLIC``; the phone endpoints
check the device's own credentials themselves.
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

from .keys import GATEWAY, MEMBER, MEMBER_AUTH, RECORDER_CORS

COOKIE = "selfdata_session"
SESSION_SECONDS = 30 * 86400
# Routes reachable without a member login. /pub and the OsmAnd root check device
# credentials; /setup only works while the household has no member; /healthz says "ok";
# /language only sets the language cookie (and the member's choice when logged in).
PUBLIC = ("/pub", "/login", "/setup", "/healthz", "/static/", "/language")
BASIC_CACHE_SECONDS = 300


def session_key(store) -> bytes:
    key = store.get_setting("session_key")
    if key is None:
        key = secrets.token_hex(32)
        store.set_setting("session_key", key)
    return bytes.fromhex(key)


def _sign(key: bytes, body: str, password_hash: str | None) -> str:
    # The password hash is part of what is signed: changing a password ends every session.
    return hmac.new(key, f"{body}:{password_hash}".encode(), hashlib.sha256).hexdigest()


def make_token(key: bytes, member_id: int, password_hash: str | None,
               now: float | None = None) -> str:
    body = f"{member_id}:{int((now or time.time()) + SESSION_SECONDS)}"
    return f"{body}:{_sign(key, body, password_hash)}"


def read_token(key: bytes, token: str, hash_of, now: float | None = None) -> int | None:
    """The member id of a valid, unexpired token; ``hash_of(member_id)`` gives the
    member's current password hash (None when the member is gone)."""
    try:
        member_id, expires, sig = token.split(":")
        if int(expires) <= (now or time.time()):
            return None
        stored = hash_of(int(member_id))
        good = _sign(key, f"{member_id}:{expires}", stored)
        if stored is not None and hmac.compare_digest(good, sig):
            return int(member_id)
    except ValueError:
        pass
    return None


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


class MemberAuth:
    """Checks member logins.

    Argon2 is slow on purpose (tens of ms), so it runs in a worker thread, never on the
    event loop, and a success is remembered for a few minutes, tied to the password hash
    it was checked against (a changed password is not accepted from the cache).
    """

    def __init__(self, gw):
        self.gw = gw
        self.key = session_key(gw.store)
        self._basic: dict[tuple[str, bytes], tuple[int, str, float]] = {}

    def _hash_of(self, member_id: int) -> str | None:
        return accounts.password_hash(self.gw.store.conn, member_id)

    def token_for(self, member: accounts.Member) -> str:
        return make_token(self.key, member.id, self._hash_of(member.id))

    async def login(self, name: str, password: str) -> accounts.Member | None:
        loop = asyncio.get_running_loop()
        # The worker thread has its own connection: the store's connections are per thread.
        return await loop.run_in_executor(None, self._check_login, name, password)

    def _check_login(self, name: str, password: str) -> accounts.Member | None:
        return accounts.check_login(self.gw.store.conn, name, password)

    def from_cookie(self, request: web.Request) -> accounts.Member | None:
        token = request.cookies.get(COOKIE)
        if token:
            member_id = read_token(self.key, token, self._hash_of)
            if member_id is not None:
                return accounts.member_by_id(self.gw.store.conn, member_id)
        return None

    async def from_request(self, request: web.Request) -> accounts.Member | None:
        member = self.from_cookie(request)
        if member is not None:
            return member
        creds = basic_credentials(request)
        if creds and "/" not in creds[0]:  # member names have no "/": device logins do
            return await self._basic_member(*creds)
        return None

    async def _basic_member(self, name: str, password: str) -> accounts.Member | None:
        tag = hmac.new(self.key, f"{name}:{password}".encode(), hashlib.sha256).digest()
        hit = self._basic.get((name, tag))
        if hit and hit[2] > time.monotonic() and self._hash_of(hit[0]) == hit[1]:
            return accounts.member_by_id(self.gw.store.conn, hit[0])
        member = await self.login(name, password)
        if member is not None:
            self._basic[(name, tag)] = (member.id, self._hash_of(member.id),
                                        time.monotonic() + BASIC_CACHE_SECONDS)
        return member


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC)


@web.middleware
async def require_member(request: web.Request, handler):
    auth: MemberAuth = request.app[MEMBER_AUTH]
    if is_public(request.path) or _is_osmand(request):
        # Phones send *device* Basic credentials here (checked by the handler): trying them
        # as a member login would cost one Argon2 hash per request on the event loop.
        request[MEMBER] = auth.from_cookie(request)
        return await handler(request)
    request[MEMBER] = await auth.from_request(request)
    if request[MEMBER] is not None:
        return await handler(request)
    if request.path.startswith(("/api/", "/ws/")):
        raise web.HTTPUnauthorized(
            text='{"error":"login required"}', content_type="application/json",
            headers={"WWW-Authenticate": 'Basic realm="selfdata", charset="UTF-8"',
                     **_cors_for_refusal(request)})
    if not accounts.has_members(request.app[GATEWAY].store.conn):
        raise web.HTTPFound("/setup")
    raise web.HTTPFound(f"/login?next={request.path_qs}")


def _cors_for_refusal(request: web.Request) -> dict:
    """A frontend on a configured origin must be able to *read* the 401 (else the browser
    hides it and the map stays empty with no error)."""
    origin = request.headers.get("Origin")
    if origin and origin in request.app.get(RECORDER_CORS, frozenset()):
        return {"Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
    return {}


def _is_osmand(request: web.Request) -> bool:
    return request.path == "/" and ("id" in request.query or (
        request.method == "POST" and request.content_type == "application/json"))


def device_from_request(request: web.Request, *, username: str | None = None,
                        secret: str | None = None):
    """The device whose credentials the request carries (Basic auth, or explicit ones)."""
    if username is None:
        creds = basic_credentials(request)
        if creds is None:
            return None
        username, secret = creds
    return request.app[GATEWAY].device_auth.check(username, secret or "")
