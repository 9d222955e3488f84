"""Pages from jinja2 templates, with what every form needs already there.

Every page is rendered with ``render(request, "name.html", **context)``. Templates get:

* ``{{ csrf_field() }}``: the hidden input carrying the session's CSRF token; put it in
  every ``<form method="post">``. Without a session it renders nothing (the form is then a
  login or the first-run setup, which check the origin and their own secret);
* ``{{ csrf_token() }}``: the token itself; ``base.html`` puts it in
  ``<meta name="csrf-token">`` for scripts, which send it as the ``X-CSRF-Token`` header;
* ``member``: who is logged in (None on the public pages).

Autoescaping is on for every template: what a member, a device or a phone named
something is shown as text.
"""
from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from .csrf import FORM_FIELD, token_for
from .keys import MEMBER

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True)


@jinja2.pass_context
def _csrf_token(ctx) -> str:
    return ctx.get("_csrf") or ""


@jinja2.pass_context
def _csrf_field(ctx) -> Markup:
    token = ctx.get("_csrf")
    if not token:
        return Markup("")
    return Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{escape(token)}">')


_env.globals.update(csrf_token=_csrf_token, csrf_field=_csrf_field)


def render(request: web.Request, template: str, /, *, status: int = 200,
           **context) -> web.Response:
    context.setdefault("member", request.get(MEMBER))
    html = _env.get_template(template).render(_csrf=token_for(request), **context)
    return web.Response(text=html, content_type="text/html", status=status)
