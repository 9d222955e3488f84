"""Devices: `/devices`: each phone or dongle with its last contact, battery and the messages
refused with their reasons; `/devices/new` (and `POST /devices`): add a phone, then one
page, shown once, with its QR code (segno, inline SVG), the same `owntracks:///config`
link to tap, and the facts in words; add a GPS dongle."""
from __future__ import annotations

from aiohttp import web

from gateway import accounts
from gateway.accounts import broker
from gateway.accounts.provisioning import phone_setup
from gateway.queries.devices import devices_page

from . import common
from .keys import GATEWAY, MEMBER
from .reachable import Reachable
from .templating import render


async def devices(request: web.Request) -> web.Response:
    shown = devices_page(common.conn(request), common.member_id(request))
    return render(request, "devices.html", devices=shown)


async def new_device(request: web.Request) -> web.Response:
    return render(request, "device_new.html", welcome=request.query.get("welcome"),
                  error=None, values={})


async def add_device(request: web.Request) -> web.Response:
    gw, member = request.app[GATEWAY], request[MEMBER]
    values = await common.form(request)
    kind = "dongle" if values.get("kind") == "dongle" else "phone"
    mode = values.get("mode", "mqtt")
    if mode not in ("mqtt", "http"):
        raise web.HTTPBadRequest(text="mode is mqtt or http")
    if mode == "mqtt" and not gw.config.mqtt.enabled:
        mode = "http"          # no broker on this box: HTTP mode is the one that works
    try:
        with gw.store.transaction() as conn:
            device, secret = accounts.add_device(conn, member.name, values.get("name", ""),
                                                 kind=kind)
            broker.sync_broker_files(gw.config, conn, reload=True)
    except accounts.AccountError as exc:
        return render(request, "device_new.html", status=400, error=common.said(request, exc), values=values,
                      welcome=None)
    gw.device_auth.invalidate()
    gw.devices.clear()
    gw.friends.clear()
    if kind == "dongle":
        return render(request, "device_dongle.html", device=device)
    return _shown_once(request, device, secret, mode)


def _shown_once(request, device, secret: str, mode: str) -> web.Response:
    """The page with the secret: made once, never cached, never shown again."""
    gw = request.app[GATEWAY]
    where = Reachable.of(gw)
    setup_ = phone_setup(gw.config, device, secret, mode=mode, host=where.host,
                         web_url=where.web_url, mqtt_port=where.mqtt_port)
    import segno                       # the QR code's encoder, when a device is added
    from markupsafe import Markup      # with jinja2, on the first page (not at start)
    qr = segno.make(setup_["owntracks_link"], error="m")
    # A viewBox and no fixed size (omitsize): the CSS scales it whole, never crops it.
    svg = Markup(qr.svg_inline(scale=4, dark="#000", light="#fff", border=4, omitsize=True,
                               title="OwnTracks", svgclass="qrcode"))
    resp = render(request, "device_added.html", device=device, setup=setup_, mode=mode,
                  qr=svg, where=where, secret=secret)
    resp.headers["Cache-Control"] = "no-store"
    return resp
