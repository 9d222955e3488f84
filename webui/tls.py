"""The box's TLS as the web sees it: plain HTTP sent on to HTTPS, and the box's CA
certificate offered to phones and browsers (docs/security.md, "TLS").

* Once the gateway serves HTTPS (``gw.https_port``), a request that came over plain HTTP
  is redirected there (308: the method and body are kept), except: ``/healthz`` (local
  monitoring, `selfdata doctor`), the CA certificate itself (a device that does not trust
  the box yet must be able to fetch it), and the phone endpoints, which answer over plain
  HTTP only with ``[web] plain_pub`` (otherwise 403 saying so: a phone must not keep
  sending its password in clear, and a redirect is not something phones follow for POST).
* ``/tls`` (members): the fingerprint, the download links, what to do on each phone.
* ``/tls/ca.crt`` (anyone: a CA certificate is public) for Android, browsers and OwnTracks'
  own CA setting; ``/tls/ca.mobileconfig`` for iOS.
"""
from __future__ import annotations

import logging

from aiohttp import web

from gateway import tls as box_tls

from .hosts import split_host
from .keys import GATEWAY
from .routes import is_phone_endpoint
from .templating import render

log = logging.getLogger(__name__)

CA_PATHS = ("/tls/ca.crt", "/tls/ca.mobileconfig")
PLAIN_ALWAYS = ("/healthz", *CA_PATHS)


def setup(app: web.Application) -> None:
    app.router.add_get("/tls", tls_page)
    app.router.add_get("/tls/ca.crt", ca_certificate)
    app.router.add_get("/tls/ca.mobileconfig", ca_profile)


def https_url(request: web.Request, port: int) -> str:
    name, _ = split_host(request.headers.get("Host", "") or request.host)
    host = f"[{name}]" if ":" in name else name
    return f"https://{host}{'' if port == 443 else f':{port}'}{request.path_qs}"


@web.middleware
async def https_redirect(request: web.Request, handler):
    gw = request.app[GATEWAY]
    if request.secure or gw.https_port is None or request.path in PLAIN_ALWAYS:
        return await handler(request)
    if is_phone_endpoint(request):
        if gw.config.web.plain_pub:
            return await handler(request)
        # Logged (repeats collapse, gateway/logs.py): a phone set up by hand with http://
        # would otherwise fail without the box saying why.
        log.warning("refused a position over plain HTTP from %s (%s): the phone must use "
                    "HTTPS, or set [web] plain_pub = true", request.remote, request.path)
        raise web.HTTPForbidden(text=(
            "this box takes positions over HTTPS only: set the phone's URL to "
            f"{gw.config.public_url}/pub (or allow plain HTTP with [web] plain_pub = true)"))
    raise web.HTTPPermanentRedirect(https_url(request, gw.https_port))


def _tls_dir(request: web.Request):
    gw = request.app[GATEWAY]
    if gw.tls is None or gw.tls.names is None:
        raise web.HTTPNotFound(text="this box has no certificate yet ([web] tls is off, or "
                                    "the clock is not set yet)")
    return gw.config.tls_dir


async def ca_certificate(request: web.Request) -> web.Response:
    pem = box_tls.ca_pem(_tls_dir(request))
    name = request.app[GATEWAY].config.gateway.hostname
    return web.Response(body=pem, content_type="application/x-x509-ca-cert", headers={
        "Content-Disposition": f'attachment; filename="selfdata-{name}-ca.crt"'})


async def ca_profile(request: web.Request) -> web.Response:
    name = request.app[GATEWAY].config.gateway.hostname
    body = box_tls.apple_profile(_tls_dir(request), name)
    return web.Response(body=body, content_type="application/x-apple-aspen-config", headers={
        "Content-Disposition": f'attachment; filename="selfdata-{name}.mobileconfig"'})


async def tls_page(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    ready = gw.tls is not None and gw.tls.names is not None
    return render(request, "tls.html", ready=ready, wanted=gw.tls is not None,
                  fingerprint=box_tls.ca_fingerprint(gw.config.tls_dir) if ready else "",
                  names=gw.tls.names.describe() if ready else "",
                  public_url=gw.config.public_url, mqtt_port=gw.config.phone_mqtt_port,
                  mqtt_tls=gw.config.mqtt_tls)
