"""Every string goes through the catalogue and has its French translation: a msgid without
one fails here, and so does a stale compiled catalogue, text written in a template outside
the catalogue, or an English string of a template leaking into a page rendered in French."""
from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from gateway import accounts
from harness import REPO, base_url

from page_client import get, logged_in
from test_pages import MAIN_PAGES

I18N = REPO / "webui" / "i18n"
PO = I18N / "fr" / "LC_MESSAGES" / "messages.po"
MO = I18N / "fr" / "LC_MESSAGES" / "messages.mo"
# Words no catalogue translates: the product's name, each language's own name.
UNTRANSLATED = {"selfdata", "English", "Français", "Switch to English", "Passer en français",
                "MQTT", "HTTP", "OwnTracks", "#", "m", "%", "·", "–", ":", ",", "(", ")",
                "→", "km/h", "· selfdata", "import", "http:// :"}


def _extracted() -> list:
    """Every msgid in the templates and the code, extracted as `./dev catalogue` does."""
    import sys
    sys.path.insert(0, str(REPO / "scripts"))
    import catalogue
    catalogue.extract()
    return [m for m in read_po(open(I18N / "messages.pot", "rb")) if m.id]


def test_every_string_has_a_french_translation():
    french = read_po(open(PO, "rb"), locale="fr")
    missing, fuzzy = [], []
    for m in _extracted():
        t = french.get(m.id)
        values = ([t.string] if isinstance(t.string, str) else list(t.string)) if t else []
        if not values or not all(v.strip() for v in values):
            missing.append(m.id)
        elif t.fuzzy:
            fuzzy.append(m.id)
    assert not missing, f"no French for {missing[:10]}: run ./dev catalogue and translate"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:10]}"


def test_the_compiled_catalogue_matches_the_po():
    def norm(catalog):
        return {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id:
                tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
                for m in catalog if m.id}
    po = norm(read_po(open(PO, "rb"), locale="fr"))
    mo = norm(read_mo(io.BytesIO(MO.read_bytes())))
    assert po == mo, "webui/i18n/fr/LC_MESSAGES/messages.mo is stale: run ./dev catalogue"


class _Text(HTMLParser):
    """The visible text and the readable attributes of a template with its jinja removed."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("title", "alt", "placeholder", "aria-label") and value:
                self.found.append(value)

    def handle_data(self, data):
        if data.strip():
            self.found.append(data.strip())


def _bare_text(source: str) -> list[str]:
    source = re.sub(r"{%\s*trans\b.*?{%\s*endtrans\s*%}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{{.*?}}|{%.*?%}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", source, flags=re.S)
    parser = _Text()
    parser.feed(source)
    return [t for t in parser.found if re.search(r"[A-Za-zÀ-ÿ]{2,}", t)
            and t not in UNTRANSLATED]


def test_templates_hold_no_text_outside_the_catalogue():
    found = {}
    for path in sorted((REPO / "webui" / "templates").glob("*.html")):
        bare = _bare_text(path.read_text())
        if bare:
            found[path.name] = bare
    assert not found, f"text not in the catalogue: {found}"


def _english_phrases() -> set[str]:
    """msgids whose French differs, long enough not to be a shared word (CO2e, Bus)."""
    french = {m.id: m.string for m in read_po(open(PO, "rb"), locale="fr") if m.id}
    out = set()
    for msgid, string in french.items():
        text = msgid[0] if isinstance(msgid, tuple) else msgid
        fr = string[0] if isinstance(string, tuple) else string
        plain = re.sub(r"<[^>]+>|%\(\w+\)[sd]", "", text).strip()
        if fr != text and len(plain) >= 12 and " " in plain:
            out.add(plain.split(".")[0][:40])
    return out


def _visible(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<(?:button|option)[^>]*lang="en"[^>]*>.*?</(?:button|option)>', " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


async def test_no_english_leaks_into_pages_rendered_in_french(history_gateway):
    phrases = _english_phrases()
    assert len(phrases) > 100
    async with logged_in(history_gateway, "alice", "fr") as session:
        for path in MAIN_PAGES:
            status, page = await get(session, history_gateway, path)
            text = _visible(page)
            leaks = [p for p in phrases if p in text]
            assert status == 200 and not leaks, (path, leaks)


async def test_what_the_library_refuses_is_said_in_the_pages_language(history_gateway):
    """An account error (a taken name, a short password) raised in English by gateway/
    reaches a French page in French, with the member's own words filled in."""
    gw = history_gateway
    for lang, taken, short in (
            ("fr", "un membre nommé 'bob' existe déjà",
             "un mot de passe doit faire au moins 8 caractères"),
            ("en", "a member named 'bob' already exists",
             "a password needs at least 8 characters")):
        async with logged_in(gw, "alice", lang) as alice:
            async with alice.post(base_url(gw) + "/settings/members", data={
                    "name": "bob", "password": "long enough password"}) as r:
                assert r.status == 400 and taken in html.unescape(await r.text()), lang
            async with alice.post(base_url(gw) + "/settings/members", data={
                    "name": "carol", "password": "short"}) as r:
                assert r.status == 400 and short in html.unescape(await r.text()), lang
    assert "carol" not in {m.name for m in accounts.list_members(gw.store.conn)}
