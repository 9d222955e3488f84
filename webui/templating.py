"""Pages from jinja2 templates, in the reader's language, with what every form needs.

Every page is rendered with ``render(request, "name.html", **context)``. Templates get:

* ``{% trans %}...{% endtrans %}`` and ``_("...")``: the catalogue, in the request's
  language (``webui.i18n``); ``lang`` is its code;
* ``fmt``: numbers, units, dates and times localised (``webui.i18n.Formatter``), in the
  member's time zone;
* ``{{ csrf_field() }}``: the hidden input carrying the session's CSRF token; put it in
  every ``<form method="post">``. Without a session it renders nothing (the form is then a
  login or the first-run setup, which check the origin and their own secret);
* ``{{ csrf_token() }}``: the token itself; ``base.html`` puts it in
  ``<meta name="csrf-token">`` for scripts, which send it as the ``X-CSRF-Token`` header;
* ``member``: who is logged in (None on the public pages); ``path``: this page's path
  (the navigation marks where you are).

Autoescaping is on for every template: whatever a member, a device or a phone named
something is shown as text.
"""
from __future__ import annotations

import functools
from pathlib import Path

from aiohttp import web

from gateway import accounts

from . import i18n
from .csrf import FORM_FIELD, token_for
from .common import LABEL_NAMES, MODE_NAMES, PURPOSE_NAMES
from .i18n import N_
from .keys import GATEWAY, LOCALE, MEMBER, ZONE

# The navigation, in the order a member needs it; "City link" holds the consent, preview
# and ledger of summaries sent to the city (issue #11, webui/city_link.py).
NAV = (("/day", "day", N_("My day")), ("/trends", "trends", N_("Trends")),
       ("/bike-days", "bike", N_("Bike days")), ("/places", "places", N_("Places")),
       ("/devices", "devices", N_("Devices")), ("/data", "data", N_("My data")),
       ("/link", "link", N_("City link")), ("/settings", "settings", N_("Settings")))


@functools.cache
def _env():
    """jinja2 on the first page shown: phones report all day, pages are opened now and
    then, and its 2 MB are not the idle box's to hold."""
    import jinja2
    from markupsafe import Markup, escape

    @jinja2.pass_context
    def csrf_token(ctx) -> str:
        return ctx.get("_csrf") or ""

    @jinja2.pass_context
    def csrf_field(ctx) -> Markup:
        token = ctx.get("_csrf")
        if not token:
            return Markup("")
        return Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{escape(token)}">')

    @jinja2.pass_context
    def gettext(ctx, message: str) -> str:
        return i18n.translations(ctx.get("lang", "en")).gettext(message)

    @jinja2.pass_context
    def ngettext(ctx, singular: str, plural: str, n: int) -> str:
        return i18n.translations(ctx.get("lang", "en")).ngettext(singular, plural, n)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
        # Templates ship with the box: no stat() of every template file on every page.
        auto_reload=False)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(csrf_token=csrf_token, csrf_field=csrf_field)
    return env


_VENDOR = Path(__file__).parent / "static" / "vendor"


def _vendored(pattern: str) -> str:
    """The vendored file's name (its version and licence are in it: scripts/vendor_js.py)."""
    found = sorted(p.name for p in _VENDOR.glob(pattern))
    return found[-1] if found else ""


LEAFLET_JS, LEAFLET_CSS = _vendored("leaflet-*.js"), _vendored("leaflet-*.css")


def page_context(request: web.Request) -> dict:
    lang = request.get(LOCALE) or "en"
    tz = request.get(ZONE)
    gw = request.app[GATEWAY]
    return {"lang": lang, "fmt": i18n.Formatter(lang, tz), "member": request.get(MEMBER),
            "path": request.path, "nav": NAV, "house": accounts.household(gw.store, gw.config),
            "mode_names": MODE_NAMES, "purpose_names": PURPOSE_NAMES,
            "label_names": LABEL_NAMES, "leaflet_js": LEAFLET_JS, "leaflet_css": LEAFLET_CSS,
            "tiles": gw.config.web.map_tile_url, "attribution": gw.config.web.map_attribution}


def render(request: web.Request, template: str, /, *, status: int = 200,
           **context) -> web.Response:
    values = page_context(request)
    values.update(context)
    values["_csrf"] = token_for(request)
    html = _env().get_template(template).render(**values)
    return web.Response(text=html, content_type="text/html", status=status)


def environment():
    """The jinja2 environment, for tests that walk every template."""
    return _env()
