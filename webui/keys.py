"""The application's shared state and what a request carries, one typed key each
(aiohttp's ``web.AppKey`` and ``web.RequestKey``).

Handlers read ``request.app[GATEWAY]`` rather than a string key: aiohttp knows what each
holds, and a typo is a NameError at import instead of a KeyError on a request.
"""
from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web

# Types are named, not imported: the modules that define them import this one.
GATEWAY = web.AppKey("gateway", "gateway.service.Gateway")
MEMBER_AUTH = web.AppKey("member_auth", "webui.auth.MemberAuth")
# The household's page handler at `/` (pages.py registers it; app.py routes to it).
HOME_HANDLER = web.AppKey("home_handler", Callable[[web.Request], Awaitable[web.StreamResponse]])
RECORDER_ZONE = web.AppKey("recorder_zone", "zoneinfo.ZoneInfo | None")
RECORDER_CORS = web.AppKey("recorder_cors", frozenset)
RECORDER_HUB = web.AppKey("recorder_hub", "webui.recorder_api.LiveHub")
# Which Host and Origin values are this box (webui/hosts.py).
HOSTS = web.AppKey("hosts", "webui.hosts.HostPolicy")
# The headers every answer carries (webui/headers.py), computed once from the config.
SECURITY_HEADERS = web.AppKey("security_headers", dict)
# Set on every request by auth.require_member: the logged-in member, or None; and the
# browser session it came with (None for Basic auth, the phone endpoints, no login).
MEMBER = web.RequestKey("member", "gateway.accounts.Member | None")
SESSION = web.RequestKey("session", "gateway.accounts.Session | None")
