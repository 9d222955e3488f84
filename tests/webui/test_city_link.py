"""The city link's pages over real HTTP, against the real aggregator on loopback (SQLite):
enrol with a token of one's own, the studies in words, the exact bytes of a month before
joining, join (the consent logged with what was shown), a send pass, the ledger with the
city's verified receipt, leave with the signed deletion request; and a member who can
neither see nor act on another member's link."""
from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway" / "outbox"))
from link_city import City  # noqa: E402

from carbon import summary_wire as wire  # noqa: E402
from gateway.queries import link as read  # noqa: E402
from harness import base_url  # noqa: E402
from page_client import get, logged_in  # noqa: E402
from pagebox import member_id  # noqa: E402

MARCH = "2026-03"          # the household's history (tests/pagebox.py) is in March 2026


@pytest.fixture
async def city(tmp_path):
    c = await City(tmp_path / "city").start()
    yield c
    if c.runner is not None:
        await c.stop()


async def post(session, gw, path, data):
    async with session.post(base_url(gw) + path, data=data, allow_redirects=False) as r:
        return r.status, r.headers.get("Location"), await r.text()


def _wire_in(page: str) -> dict:
    found = re.search(r'<pre class="wire"[^>]*>(.*?)</pre>', page, re.S)
    assert found, page[:2000]
    return json.loads(html.unescape(found.group(1)))


async def test_enrol_preview_join_send_ledger_leave_with_deletion(history_gateway, city):
    gw = history_gateway
    alice = member_id(gw.store, "alice")
    (token,) = await city.tokens(1)
    async with logged_in(gw, "alice") as s:
        status, body = await get(s, gw, "/link")
        assert status == 200 and "enrol" in body.lower() and 'name="csrf_token"' in body
        status, where, _ = await post(s, gw, "/link/enrol", {"url": city.url, "token": token})
        assert status == 303 and where == "/link?done=enrolled"
        status, body = await get(s, gw, "/link")
        assert wire.STANDING_STUDY["title"] in body and "at least 5 contributors" in body
        assert "the commune of your home (its INSEE code)" in body
        # A second use of the same token is refused in words, on the page.
        status, _, body = await post(s, gw, "/link/enrol", {"url": city.url, "token": token})
        assert status == 400 and "already enrolled" in body

        # The preview before joining: the bytes, the words, and nothing queued.
        q = f"/link/preview?aggregator={city.url}&study={wire.STANDING_STUDY_ID}&month={MARCH}"
        status, body = await get(s, gw, q + "&commune=yes")
        assert status == 200, body
        shown = _wire_in(body)
        assert shown["month"] == MARCH and shown["body"]["commune"] == "17300"
        assert "Commune of home: La Rochelle (17300)" in html.unescape(body)
        assert "Join, starting with 2026-03" in body
        assert "due now, then sent at a random moment within 6 hours" in body
        assert read.pending(gw.store.conn, read.links(gw.store.conn, alice)[0]["id"]) == []
        assert await gw.outbox.send_due(at_once=True) == {"queued": [], "sent": []}

        status, where, _ = await post(s, gw, "/link/join", {
            "aggregator": city.url, "study": wire.STANDING_STUDY_ID, "from_month": MARCH,
            "commune": "on"})
        assert status == 303 and where.startswith("/link?done=joined")
        (joined,) = [d for d in read.decisions(gw.store.conn, alice) if d["action"] == "join"]
        assert joined["detail"]["previewed"]["wire"] == wire.canonical(shown).decode()

        done = await gw.outbox.send_due(at_once=True)       # the service's send pass
        assert [(x["month"], x["status"]) for x in done["sent"]] == [(MARCH, "stored")]
        status, body = await get(s, gw, q)
        assert "<strong>When:</strong> already sent" in body and _wire_in(body) == shown
        status, body = await get(s, gw, "/link/ledger")
        assert status == 200 and "signed and verified: stored" in body
        assert MARCH in body and "joined" in body
        assert "What you were shown for 2026-03 when you joined" in body
        assert wire.canonical(shown).decode() in html.unescape(body)    # the bytes she saw
        pseudonym = read.links(gw.store.conn, alice)[0]["pseudonym"]
        assert html.escape(json.dumps(pseudonym)) in body or pseudonym in body
        (stored,) = [tuple(r) for r in await city.store.stored_figures(pseudonym)]
        assert stored[:3] == (wire.STANDING_STUDY_ID, MARCH, 1) and stored[4] is not None

        status, where, _ = await post(s, gw, "/link/leave", {
            "aggregator": city.url, "study": wire.STANDING_STUDY_ID, "delete": "on"})
        assert (status, where) == (303, "/link?done=left-deleted")
        status, body = await get(s, gw, "/link/ledger")
        assert "deletion request" in body and "signed and verified: deleted" in body
    (stored,) = [tuple(r) for r in await city.store.stored_figures(pseudonym)]
    assert all(v is None for v in stored[4:])          # the city holds none of her figures
    assert await gw.outbox.send_due(at_once=True) == {"queued": [], "sent": []}


async def test_a_member_cannot_see_or_act_on_another_members_link(history_gateway, city):
    gw = history_gateway
    alice = member_id(gw.store, "alice")
    (token,) = await city.tokens(1)
    async with logged_in(gw, "alice") as s:
        await post(s, gw, "/link/enrol", {"url": city.url, "token": token})
        await post(s, gw, "/link/join", {"aggregator": city.url, "from_month": MARCH,
                                         "study": wire.STANDING_STUDY_ID})
    pseudonym = read.links(gw.store.conn, alice)[0]["pseudonym"]
    async with logged_in(gw, "bob") as bob:
        status, body = await get(bob, gw, "/link")
        assert status == 200 and pseudonym not in body and city.url not in body
        status, body = await get(bob, gw, "/link/ledger")
        assert pseudonym not in body and "carbon-monthly" not in body
        for path in (f"/link/preview?aggregator={city.url}&month={MARCH}",
                     f"/link/compare?aggregator={city.url}"):
            status, body = await get(bob, gw, path)
            assert status == 404 and pseudonym not in body, (path, status)
        for path, data in (("/link/leave", {"aggregator": city.url, "delete": "on"}),
                           ("/link/join", {"aggregator": city.url, "from_month": MARCH}),
                           ("/link/revoke", {"aggregator": city.url, "delete": "on"}),
                           ("/link/refresh", {"aggregator": city.url})):
            status, _, _ = await post(bob, gw, path, data)
            assert status == 404, (path, status)
    (link,) = read.links(gw.store.conn, alice)
    assert link["state"] == "active"
    assert read.consents(gw.store.conn, link["id"])[wire.STANDING_STUDY_ID]["joined"]
    assert [d["action"] for d in read.decisions(gw.store.conn, alice)] == ["enrol", "join"]


async def test_a_wrong_token_or_address_is_said_in_words(history_gateway, city):
    gw = history_gateway
    async with logged_in(gw, "alice") as s:
        status, _, body = await post(s, gw, "/link/enrol", {"url": city.url, "token": "nope"})
        assert status == 400 and "is not an enrolment token" in html.unescape(body)
        assert city.url in body                       # the address typed is kept
        status, _, body = await post(s, gw, "/link/enrol", {"url": "ftp://x", "token": "x"})
        assert status == 400 and "not an aggregator address" in html.unescape(body)


async def test_households_like_yours_shows_the_communes_published_figures(history_gateway, city):
    """Alice and five neighbours of La Rochelle send March; the city publishes it (6 >= k);
    her page shows her month beside the commune's and the agglomeration's, and the box asked
    the city for nothing but the whole published month."""
    import aiohttp
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aggregator"))
    from box_client import Member as Neighbour

    gw = history_gateway
    tokens = await city.tokens(6)
    async with logged_in(gw, "alice") as s:
        await post(s, gw, "/link/enrol", {"url": city.url, "token": tokens[0]})
        await post(s, gw, "/link/join", {"aggregator": city.url, "from_month": MARCH,
                                         "study": wire.STANDING_STUDY_ID, "commune": "on"})
        await gw.outbox.send_due(at_once=True)
        async with aiohttp.ClientSession() as http:
            for token in tokens[1:]:
                n = Neighbour(city.url, http)
                assert (await n.enrol(token))[0] == 200
                assert (await n.send(n.summary(MARCH, commune="17300")))[0] == 200
        await city.publish()
        real_clock = gw.outbox.clock
        gw.outbox.clock = lambda: 1776000000.0           # 2026-04-12: March is the last month
        try:
            status, body = await get(s, gw, f"/link/compare?aggregator={city.url}")
        finally:
            gw.outbox.clock = real_clock
    assert status == 200, body
    text = html.unescape(body)
    assert "Your commune: La Rochelle (17300)" in text
    async with logged_in(gw, "alice") as s:                  # the trends page points there
        status, trends = await get(s, gw, "/trends?period=month")
        assert 'href="/link/compare?aggregator=' in trends and "Households like yours" in trends
    async with logged_in(gw, "bob") as s:                    # not enrolled: nothing to compare
        status, trends = await get(s, gw, "/trends?period=month")
        assert "/link/compare" not in trends
    row = re.search(r"<th scope=\"row\">2026-03</th>(.*?)</tr>", text, re.S).group(1)
    assert row.count("6 contributors") == 2 and "kg" in row      # the commune and the whole


async def test_what_waits_while_the_city_is_down_and_a_refusal_in_plain_words(history_gateway,
                                                                              city):
    """The city down: the deletion request waits, and the page says when it goes and why it
    has not; the city revoking her key: the refused summary says so in words."""
    gw = history_gateway
    alice = member_id(gw.store, "alice")
    tokens = await city.tokens(2)
    async with logged_in(gw, "alice") as s:
        await post(s, gw, "/link/enrol", {"url": city.url, "token": tokens[0]})
        await post(s, gw, "/link/join", {"aggregator": city.url, "from_month": MARCH,
                                         "study": wire.STANDING_STUDY_ID})
        await city.stop()
        status, where, _ = await post(s, gw, "/link/leave", {
            "aggregator": city.url, "study": wire.STANDING_STUDY_ID, "delete": "on"})
        assert (status, where) == (303, "/link?done=left-deletion-waiting")
        for path in ("/link", "/link/ledger"):
            status, body = await get(s, gw, path)
            assert "Waiting to be sent" in body and "goes after" in body, path
            assert "deletion request" in body and "the city could not be reached" in body, path
        status, body = await get(s, gw, f"/link/compare?aggregator={city.url}")
        assert status == 200 and "could not be fetched" in body

        await city.start()
        await gw.outbox.send_due(at_once=True)                 # the deletion goes
        status, body = await get(s, gw, "/link/ledger")
        assert "Nothing waits." in body and "signed and verified: deleted" in body

        # A new link whose key the city then revokes: March is refused, said plainly.
        async with s.post(base_url(gw) + "/link/revoke", data={"aggregator": city.url}) as r:
            assert r.status == 200
        await gw.outbox.send_due(at_once=True)
        await post(s, gw, "/link/enrol", {"url": city.url, "token": tokens[1]})
        await post(s, gw, "/link/join", {"aggregator": city.url, "from_month": MARCH,
                                         "study": wire.STANDING_STUDY_ID})
        (link,) = [l for l in read.links(gw.store.conn, alice) if l["state"] == "active"]
        assert await city.store.revoke(link["pseudonym"])
        await gw.outbox.send_due(at_once=True)
        status, body = await get(s, gw, "/link")
        assert "Links that ended" in body
        assert "your key was revoked: enrol again with a new token" in body


async def test_the_pages_and_the_preview_in_french(history_gateway, city):
    gw = history_gateway
    (token,) = await city.tokens(1)
    async with logged_in(gw, "alice", lang="fr") as s:
        status, body = await get(s, gw, "/link")
        assert "Pour commencer : inscrivez-vous avec votre propre jeton" in html.unescape(body)
        await post(s, gw, "/link/enrol", {"url": city.url, "token": token})
        status, body = await get(s, gw, "/link?done=enrolled")
        text = html.unescape(body)
        assert "Inscription faite" in text and "au moins 5 contributeurs" in text
        assert "Voir ce qui serait envoyé, puis participer" in text
        status, body = await get(s, gw, f"/link/preview?aggregator={city.url}&study="
                                 f"{wire.STANDING_STUDY_ID}&month={MARCH}&commune=yes")
        text = html.unescape(body)
        assert "Commune du domicile : La Rochelle (17300)" in text or \
            "Commune du domicile: La Rochelle (17300)" in text
        assert "Participer, à partir de 2026-03" in text and "Distance: marche et vélo" in text
        status, body = await get(s, gw, "/link/ledger")
        assert "Rien n'a été envoyé." in html.unescape(body)
