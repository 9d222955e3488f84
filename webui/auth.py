"""Who is asking: member sessions (cookie), member Basic auth (API tools), device Basic auth.

Every route needs a member login unless it is listed in ``PUBLIC``; the phone endpoints
check the device's own credentials themselves.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

from aiohttp import web

from gateway import accounts

COOKIE = "selfdata_session"
SESSION_SECONDS = 30 * 86400
# Routes reachable without a member login. /pub and the OsmAnd root check device
# credentials; /setup only works while the household has no member; /healthz says "ok".
PUBLIC = ("/pub", "/login", "/setup", "/healthz", "/static/")
BASIC_CACHE_SECONDS = 300


def session_key(store) -> bytes:
    key = store.get_setting("session_key")
    if key is None:
        key = secrets.token_hex(32)
        store.set_setting("session_key", key)
    return bytes.fromhex(key)


def make_token(key: bytes, member_id: int, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_SECONDS)
    body = f"{member_id}:{expires}"
    sig = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}:{sig}"


def read_token(key: bytes, token: str, now: float | None = None) -> int | None:
    try:
        member_id, expires, sig = token.split(":")
        good = hmac.new(key, f"{member_id}:{expires}".encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(good, sig) and int(expires) > (now or time.time()):
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
    """Checks member logins; Argon2 is slow on purpose, so a success is remembered briefly."""

    def __init__(self, gw):
        self.gw = gw
        self.key = session_key(gw.store)
        self._basic: dict[tuple[str, bytes], tuple[int, float]] = {}

    def login(self, name: str, password: str) -> accounts.Member | None:
        return accounts.check_login(self.gw.store.conn, name, password)

    def from_request(self, request: web.Request) -> accounts.Member | None:
        token = request.cookies.get(COOKIE)
        if token:
            member_id = read_token(self.key, token)
            if member_id is not None:
                return accounts.member_by_id(self.gw.store.conn, member_id)
        creds = basic_credentials(request)
        if creds:
            return self._basic_member(*creds)
        return None

    def _basic_member(self, name: str, password: str) -> accounts.Member | None:
        tag = hmac.new(self.key, password.encode(), hashlib.sha256).digest()
        hit = self._basic.get((name, tag))
        if hit and hit[1] > time.monotonic():
            return accounts.member_by_id(self.gw.store.conn, hit[0])
        member = self.login(name, password)
        if member is not None:
            self._basic[(name, tag)] = (member.id, time.monotonic() + BASIC_CACHE_SECONDS)
        return member


def is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC)


@web.middleware
async def require_member(request: web.Request, handler):
    auth: MemberAuth = request.app["member_auth"]
    request["member"] = auth.from_request(request)
    if request["member"] is not None or is_public(request.path) or _is_osmand(request):
        return await handler(request)
    if request.path.startswith(("/api/", "/ws/")):
        raise web.HTTPUnauthorized(
            text='{"error":"login required"}', content_type="application/json",
            headers={"WWW-Authenticate": 'Basic realm="selfdata", charset="UTF-8"'})
    if not request.app["gw"].has_members():
        raise web.HTTPFound("/setup")
    raise web.HTTPFound(f"/login?next={request.path_qs}")


def _is_osmand(request: web.Request) -> bool:
    return request.path == "/" and "id" in request.query


def device_from_request(request: web.Request, *, username: str | None = None,
                        secret: str | None = None):
    """The device whose credentials the request carries (Basic auth, or explicit ones)."""
    if username is None:
        creds = basic_credentials(request)
        if creds is None:
            return None
        username, secret = creds
    return request.app["gw"].device_auth.check(username, secret or "")
