"""Phone endpoints: OwnTracks HTTP mode (`POST /pub`) and the OsmAnd/Traccar protocol.

Both answer only after the data is committed. A payload that cannot be used still gets a
200 (the iOS app drops a message and alerts its user on any 4xx; Android retries it
forever), with the reason in ``X-Selfdata-Rejected``; bad credentials get a 401.
"""
from __future__ import annotations

from aiohttp import web

from gateway.ingest import owntracks as gw_ot
from gateway.ingest import traccar

from .auth import device_from_request
from .keys import GATEWAY

REJECTED_HEADER = "X-Selfdata-Rejected"
_UNAUTHORIZED = {"WWW-Authenticate": 'Basic realm="selfdata phones", charset="UTF-8"'}


def _header_safe(reason: str) -> str:
    return reason.encode("ascii", "replace").decode()[:300].replace("\n", " ")


async def pub(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    device = device_from_request(request)
    if device is None:
        gw.ingest.counts["owntracks-http.unauthorized"] += 1
        raise web.HTTPUnauthorized(text="[]", content_type="application/json",
                                   headers=_UNAUTHORIZED)
    limit = gw.config.ingest.max_payload_bytes
    if request.content_length is not None and request.content_length > limit:
        head = await request.content.read(256)  # keep a head for the record, drop the rest
        sub = gw_ot.too_large(device, head, request.content_length, limit, "owntracks-http")
        outcome = await gw.ingest.submit(sub)
        return _reply(gw, device, rejected=outcome.refusal or sub.rejections[0].reason)
    body = await _read_body(request, limit)
    outcome, sub = await gw_ot.ingest_payload(
        gw.ingest, device, body, "owntracks-http", max_bytes=limit)
    return _reply(gw, device, rejected=gw_ot.first_reason(sub, outcome))


async def _read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, however it was split on the wire, keeping at most limit+1 bytes
    (parse_payload then refuses it with the size in the reason) and draining the rest."""
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            if len(body) <= limit:
                body += chunk[:limit + 1 - len(body)]
    except (ConnectionError, ValueError) as exc:
        raise web.HTTPBadRequest(text=f"could not read the body: {exc}")
    return bytes(body)


def _reply(gw, device, *, rejected: str | None) -> web.Response:
    text = gw_ot.http_reply(device, gw.friends.reply(device.member_id))
    headers = {REJECTED_HEADER: _header_safe(rejected)} if rejected else None
    return web.Response(text=text, content_type="application/json", headers=headers)


async def osmand_report(request: web.Request) -> web.Response:
    """`GET|POST /?id=member/device&lat=..&lon=..&timestamp=..` (OsmAnd, Traccar Client,
    GPSLogger), or a Traccar Client 9+ JSON body posted to `/`. Credentials: Basic auth
    (user info in the server URL), or the device secret as `secret=` in the URL."""
    gw = request.app[GATEWAY]
    params = dict(request.query)
    body = None
    if request.method == "POST":
        if request.content_type == "application/x-www-form-urlencoded":
            params.update(await request.post())
        elif request.content_type == "application/json":
            body = await _read_body(request, traccar.MAX_JSON_BYTES)
    report = traccar.read_report(params, body, gw.config.ingest.osmand_speed_unit)
    device = device_from_request(request) or device_from_request(
        request, username=report.username, secret=params.get("secret", ""))
    if device is None or not traccar.is_from(report, device):
        gw.ingest.counts["osmand.unauthorized"] += 1
        raise web.HTTPUnauthorized(text="unknown device or wrong secret", headers=_UNAUTHORIZED)
    sub = traccar.to_submission(report, device)
    outcome = await gw.ingest.submit(sub)
    reason = outcome.refusal or (sub.rejections[0].reason if sub.rejections else None)
    headers = {REJECTED_HEADER: _header_safe(reason)} if reason else None
    # Traccar Client only checks for a 200; OsmAnd ignores the body.
    return web.Response(text="OK", headers=headers)
