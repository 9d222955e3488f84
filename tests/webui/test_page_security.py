"""The household page against the hardening contract (issue #7, docs/security.md): no
inline script or style anywhere (the CSP forbids them), every form carries `csrf_field()`,
scripts send `X-CSRF-Token`, a form without its token is refused, logout and a password
change end sessions on the server, every body is bounded."""
from __future__ import annotations

import re

import pytest

from harness import PASSWORD, REPO, base_url

from page_client import client, get, logged_in

TEMPLATES = sorted((REPO / "webui" / "templates").glob("*.html"))
STATIC_JS = sorted((REPO / "webui" / "static").glob("*.js"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(path):
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text and not re.search(r"\sstyle=", text), "inline style"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_post_form_carries_the_csrf_field(path):
    text = path.read_text()
    for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", text, flags=re.S):
        streamed = 'enctype="multipart/form-data"' in form and "csrf_token()" in form
        assert "csrf_field()" in form or streamed, form[:120]


def test_scripts_that_post_send_the_csrf_header():
    for path in STATIC_JS:
        text = path.read_text()
        if re.search(r'open\("POST"|method:\s*"POST"', text):
            assert "X-CSRF-Token" in text and 'meta[name="csrf-token"]' in text, path.name


async def test_a_password_change_ends_the_old_session(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "bob") as old, logged_in(gw, "bob") as current:
        async with current.post(base_url(gw) + "/settings/password", allow_redirects=False,
                                data={"current": PASSWORD, "new": "another long one"}) as r:
            assert r.status == 303
        status, _ = await get(old, gw, "/day")
        assert status == 302                           # to the login form


async def test_a_form_body_over_the_limit_is_refused(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "bob") as session:
        big = {"name": "x" * (gw.config.ingest.max_payload_bytes + 4096)}
        async with session.post(base_url(gw) + "/places/save", data=big) as r:
            assert r.status == 413


async def test_a_form_without_its_csrf_token_is_refused(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "alice", csrf=False) as session:
        for path, data in (("/settings/preferences", {"bike_days_target": "50"}),
                           ("/data/retention", {"months": "3"}),
                           ("/places/merge", {"place": "a", "into": "b"}),
                           ("/logout", {})):
            async with session.post(base_url(gw) + path, data=data,
                                    allow_redirects=False) as r:
                assert r.status == 403, path


async def test_logout_ends_the_session_on_the_server(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "alice", csrf=False) as session:
        cookies = {c.key: c.value for c in session.cookie_jar}
        status, page = await get(session, gw, "/day")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        async with session.post(base_url(gw) + "/logout", data={"csrf_token": token}) as r:
            assert r.status in (200, 302, 303)
    async with client() as replay:
        replay.cookie_jar.update_cookies(cookies)
        status, _ = await get(replay, gw, "/day")
        assert status == 302
