"""What members do on the page, over real HTTP, and what follows: the car's settings move
the footprint, only the admin manages members and visibility, a private place disappears
from what another member's Recorder API and an export for someone else show, the sworn
statement is a real PDF, and the OwnTracks frontend is served at /map/."""
from __future__ import annotations

import json
import re
import time

import aiohttp

from gateway import accounts
from gateway.queries import days as dq
from gateway.service import Gateway
from gateway.store import insert_fixes
from carbon.fix import Fix
from harness import PASSWORD, base_url
from helpers import basic
from webui.app import make_app

from page_client import get, logged_in
from pagebox import TZ, WORKDAY, config_with, member_id

HOME = (46.1512, -1.1365)


def _car_co2(gw) -> float:
    view = dq.day(gw.store.conn, member_id(gw.store, "bob"), WORKDAY, TZ)
    return sum(g["co2_g"] for t in view["trips"] for g in t["legs"] if g["mode"] == "car")


async def test_the_cars_settings_move_the_footprint(history_gateway):
    gw = history_gateway
    before = _car_co2(gw)
    async with logged_in(gw, "bob") as bob:
        async with bob.post(base_url(gw) + "/settings/vehicle", allow_redirects=False, data={
                "car_fuel": "electric", "car_size": "small", "car_occupancy": "1"}) as r:
            assert r.status == 303
        async with bob.post(base_url(gw) + "/settings/vehicle", data={
                "car_fuel": "rocket"}) as r:
            assert r.status == 400 and "fuel" in await r.text()
    assert 0 < _car_co2(gw) < before / 2


async def test_only_the_admin_manages_members_and_who_sees_whom(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "bob") as bob:
        for path in ("/settings/members", "/settings/visibility", "/settings/household"):
            async with bob.post(base_url(gw) + path, data={"name": "eve"}) as r:
                assert r.status == 403, path
    alice, bob_id = member_id(gw.store, "alice"), member_id(gw.store, "bob")
    async with logged_in(gw, "alice") as session:
        async with session.post(base_url(gw) + "/settings/visibility", allow_redirects=False,
                                data={f"see-{alice}-{bob_id}": "on"}) as r:
            assert r.status == 303
    assert alice in accounts.visible_member_ids(gw.store.conn, bob_id)
    assert bob_id not in accounts.visible_member_ids(gw.store.conn, alice)


async def _locations(session, gw, user="alice") -> list:
    q = "/api/0/locations?user=%s&device=phone&from=2026-03-01&to=2026-03-20&format=json" % user
    status, body = await get(session, gw, q)
    assert status == 200
    return json.loads(body)["data"]


def _near_home(items) -> list:
    return [i for i in items if abs(i["lat"] - HOME[0]) < 0.001 and abs(i["lon"] - HOME[1]) < 0.0015]


async def test_a_private_place_leaves_what_others_and_exports_for_others_show(history_gateway):
    gw = history_gateway
    with gw.store.transaction() as conn:
        accounts.show_to(conn, "alice", "bob")
    async with logged_in(gw, "bob") as bob:
        assert _near_home(await _locations(bob, gw))             # before: bob sees it all
    async with logged_in(gw, "alice") as alice:
        status, page = await get(alice, gw, "/places")
        home = re.search(r'name="place" value="([^"]+)"', page).group(1)   # home comes first
        async with alice.post(base_url(gw) + "/places/save", allow_redirects=False, data={
                "place": home, "name": "Chez nous", "label": "home", "private": "on"}) as r:
            assert r.status == 303
        assert _near_home(await _locations(alice, gw))           # her own view is whole
        _, mine = await get(alice, gw, "/data/export?format=gpx")
        _, shared = await get(alice, gw, "/data/export?format=gpx&others=on")
        home_pts = lambda gpx: [m for m in re.findall(r'lat="([\d.]+)" lon="(-?[\d.]+)"', gpx)  # noqa: E731
                                if abs(float(m[0]) - HOME[0]) < 0.001 and abs(float(m[1]) - HOME[1]) < 0.0015]
        assert home_pts(mine) and not home_pts(shared)
        assert shared.count("<trkpt") > 100
    async with logged_in(gw, "bob") as bob:
        seen = await _locations(bob, gw)
        assert seen and not _near_home(seen)
        device = accounts.get_device(gw.store.conn, "alice", "phone")
        now = int(time.time())
        with gw.store.transaction() as conn:
            insert_fixes(conn, device, [Fix(now, *HOME, 8.0)], "owntracks-http")
        _, last = await get(bob, gw, "/api/0/last?user=alice")
        assert json.loads(last) == []
    async with logged_in(gw, "alice") as alice:
        _, last = await get(alice, gw, "/api/0/last?user=alice")
        assert len(json.loads(last)) == 1


async def test_imported_history_is_no_live_marker(history_gateway):
    gw = history_gateway
    with gw.store.transaction() as conn:
        device, _ = accounts.add_device(conn, "alice", "takeout", kind="import")
        insert_fixes(conn, device, [Fix(int(time.time()), 46.2, -1.1, 5.0)],
                     "import:takeout")
    async with logged_in(gw, "alice") as alice:
        _, last = await get(alice, gw, "/api/0/last")
        assert "takeout" not in {i["device"] for i in json.loads(last)}
        status, page = await get(alice, gw, "/devices")
        assert "takeout" in page and "imported history" in page


async def test_the_sworn_statement_is_a_pdf(history_gateway):
    gw = history_gateway
    async with logged_in(gw, "alice", "fr") as alice:
        async with alice.get(base_url(gw) + "/bike-days/statement.pdf?year=2026") as r:
            pdf = await r.read()
            assert r.status == 200 and r.content_type == "application/pdf"
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[start:start + 4] == b"xref"
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", pdf)]
    assert all(re.match(rb"\d+ 0 obj", pdf[o:o + 12]) for o in offsets)
    assert "Attestation sur l’honneur".encode("cp1252") in pdf
    assert re.search(rb"\(\d+ jours\)", pdf)


async def test_the_owntracks_frontend_is_served_at_map(household_db, tmp_path):
    dist = tmp_path / "frontend" / "dist"
    dist.mkdir(parents=True)
    (dist / "index.html").write_text('<script src="./config/config.js"></script>FRONTEND')
    (dist / "app.js").write_text("console.log('map')")
    config = config_with(household_db, tmp_path)
    config.web.owntracks_frontend_dir = str(tmp_path / "frontend")
    config.extra["recorder_api"] = {"cors_origins": ["http://laptop.local:8081"]}
    gw = Gateway(config, web_app=make_app)
    await gw.start()
    try:
        async with aiohttp.ClientSession() as anonymous:
            async with anonymous.get(base_url(gw) + "/map/", allow_redirects=False) as r:
                assert r.status == 302                          # like every page: a login
            async with anonymous.get(base_url(gw) + "/api/0/last",
                                     headers={"Origin": "http://laptop.local:8081"}) as r:
                assert r.status == 401
                assert r.headers["Access-Control-Allow-Origin"] == "http://laptop.local:8081"
        async with aiohttp.ClientSession(headers=basic("alice", PASSWORD)) as tool:
            async with tool.get(base_url(gw) + "/map/") as r:
                assert "FRONTEND" in await r.text()
            async with tool.get(base_url(gw) + "/map/app.js") as r:
                assert r.status == 200
            async with tool.get(base_url(gw) + "/map/config/config.js") as r:
                assert "window.location.origin" in await r.text()
    finally:
        await gw.stop()


async def test_an_export_goes_out_whole_and_leaves_nothing_on_the_box(history_gateway):
    """The export is written to a file of its own and streamed (the service's memory does
    not hold a history), then removed; with the phones' disk margin gone it is refused."""
    gw = history_gateway
    folder = gw.config.data_dir / "exports"
    async with logged_in(gw, "alice") as alice:
        for fmt, whole in (("gpx", "</gpx>\n"), ("csv", ",phone\n"), ("trips-json", "\n]\n")):
            async with alice.get(base_url(gw) + f"/data/export?format={fmt}") as r:
                body = await r.text()
                assert r.status == 200 and body.endswith(whole), (fmt, body[-40:])
                assert int(r.headers["Content-Length"]) == len(body.encode()), fmt
                assert "attachment" in r.headers["Content-Disposition"]
        assert body.count('"legs"') > 10                # the trips went out, not a stub
        async with alice.get(base_url(gw) + "/data/export?format=archive") as r:
            assert r.status == 200 and (await r.read())[:4] == b"PK\x03\x04"
        assert not list(folder.iterdir())               # each file removed once sent
        gw.config.imports.disk_margin_mb = 1 << 30      # more than any disk has free
        async with alice.get(base_url(gw) + "/data/export?format=gpx") as r:
            assert r.status == 507 and "disk is full" in await r.text()
    assert not list(folder.iterdir())
