"""The Recorder-compatible API over real HTTP and real websockets on loopback.

Data arrives the way phones send it (`POST /pub` with device credentials), except for the
large export, which inserts fixes straight into the store to stay quick.
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import aiohttp
import pytest

from gateway import accounts
from gateway import store as st
from carbon.fix import Fix
from gateway.queries.recorder import geohash
from harness import PASSWORD, base_url

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
GPX_NS = {"g": "http://www.topografix.com/GPX/1/1"}


def basic(user: str, password: str) -> dict:
    return {"Authorization": aiohttp.encode_basic_auth(user, password)}


ALICE = basic("alice", PASSWORD)
BOB = basic("bob", PASSWORD)


def iso(ts: int, z: str = "") -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + z


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def pub(http, gw, device: str = "alice/phone", **fields) -> None:
    """Post one location as the phone would; fail loudly if the gateway refused it."""
    body = {"_type": "location", "lat": 46.15, "lon": -1.15, "tid": "ph", "acc": 10, **fields}
    async with http.post(base_url(gw) + "/pub", data=json.dumps(body),
                         headers=basic(device, gw.household.secrets[device])) as r:
        assert r.status == 200, await r.text()
        assert "X-Selfdata-Rejected" not in r.headers, r.headers["X-Selfdata-Rejected"]


async def get_json(http, gw, path: str, headers=ALICE, status: int = 200, **params):
    async with http.get(base_url(gw) + path, params=params, headers=headers) as r:
        body = await r.text()
        assert r.status == status, body
        return json.loads(body)


async def get_text(http, gw, path: str, headers=ALICE, **params) -> tuple[str, str]:
    async with http.get(base_url(gw) + path, params=params, headers=headers) as r:
        assert r.status == 200, await r.text()
        return r.headers["Content-Type"], await r.text()


async def history(http, gw, user="alice", device="phone", headers=ALICE, **params) -> dict:
    return await get_json(http, gw, "/api/0/locations", headers=headers, user=user,
                          device=device, **params)


# ----- version, list


async def test_version_answers_get_and_post_with_cors(http, gateway):
    async with http.get(base_url(gateway) + "/api/0/version", headers=ALICE) as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers["Content-Type"].startswith("application/json")
        body = await r.json()
    assert isinstance(body["version"], str) and body["version"]
    assert "selfdata" in body["git"]
    async with http.post(base_url(gateway) + "/api/0/version", headers=ALICE) as r:
        assert (await r.json()) == body


async def test_list_users_devices_and_months(http, gateway):
    await pub(http, gateway, tst=T0)                    # 2023-11
    await pub(http, gateway, tst=T0 + 40 * 86400)       # 2023-12
    await pub(http, gateway, tst=T0 + 41 * 86400)       # 2023-12 again
    assert (await get_json(http, gateway, "/api/0/list")) == {"results": ["alice"]}
    assert (await get_json(http, gateway, "/api/0/list", user="alice")) == {"results": ["phone"]}
    months = await get_json(http, gateway, "/api/0/list", user="alice", device="phone")
    assert months == {"results": ["2023-11", "2023-12"]}
    upto = await get_json(http, gateway, "/api/0/list", user="alice", device="phone",
                          to="2023-12-01")
    assert upto == {"results": ["2023-11"]}


async def test_names_are_lower_cased_and_form_posts_work(http, gateway):
    await pub(http, gateway, tst=T0)
    devices = await get_json(http, gateway, "/api/0/list", user="ALICE")
    assert devices == {"results": ["phone"]}
    async with http.post(base_url(gateway) + "/api/0/last", headers=ALICE,
                         data={"user": "Alice", "device": "PHONE"}) as r:
        assert [x["tst"] for x in await r.json()] == [T0]


# ----- last


async def test_last_is_enriched_like_the_recorder(http, gateway):
    await pub(http, gateway, tst=T0, vel=18, alt=12, batt=77, SSID="home-wifi", t="u")
    [loc] = await get_json(http, gateway, "/api/0/last")
    assert loc["_type"] == "location"
    assert loc["tst"] == T0 and isinstance(loc["tst"], int)
    assert (loc["username"], loc["device"], loc["topic"]) == ("alice", "phone",
                                                             "owntracks/alice/phone")
    assert (loc["lat"], loc["lon"], loc["tid"]) == (46.15, -1.15, "ph")
    assert loc["isotst"] == "2023-11-14T22:13:20Z"
    assert loc["disptst"] == "2023-11-14 22:13:20"
    assert loc["ghash"] == geohash(46.15, -1.15) and len(loc["ghash"]) == 7
    assert loc["inregions"] == []
    assert loc["vel"] == 18  # km/h back out, as the phone sent it
    assert (loc["alt"], loc["batt"], loc["acc"]) == (12, 77, 10)
    assert loc["SSID"] == "home-wifi" and loc["t"] == "u"  # the phone's own keys are kept
    assert loc["name"] == "Alice"  # no card from the phone yet: the household name
    assert loc["tzname"] == "Europe/Paris"
    assert loc["isolocal"] == "2023-11-14T23:13:20+0100"


async def test_geohash_matches_the_published_example():
    # The example of the geohash article (57.64911, 10.40744) -> u4pruydqqvj.
    assert geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geohash(57.64911, 10.40744) == "u4pruyd"


async def test_last_uses_the_card_and_numbers_not_strings(http, gateway):
    secret = gateway.household.secrets["alice/phone"]
    card = {"_type": "card", "name": "Alice's Pixel", "face": "aGVsbG8=", "tid": "ph"}
    async with http.post(base_url(gateway) + "/pub", json=card,
                         headers=basic("alice/phone", secret)) as r:
        assert r.status == 200
    # Numeric strings are legal OwnTracks; the raw JSON keeps them, the API must not.
    await pub(http, gateway, tst=str(T0), lat="46.2", lon="-1.1", acc="15")
    [loc] = await get_json(http, gateway, "/api/0/last")
    assert (loc["name"], loc["face"]) == ("Alice's Pixel", "aGVsbG8=")
    assert (loc["tst"], loc["lat"], loc["lon"], loc["acc"]) == (T0, 46.2, -1.1, 15)


async def test_last_is_the_newest_by_tst_not_by_arrival(http, gateway):
    await pub(http, gateway, tst=T0 + 600, lat=46.2)
    await pub(http, gateway, tst=T0, lat=46.1)  # a queued point arriving late
    [loc] = await get_json(http, gateway, "/api/0/last")
    assert (loc["tst"], loc["lat"]) == (T0 + 600, 46.2)


async def test_last_keeps_inregions_as_sent_and_fields_narrow(http, gateway):
    await pub(http, gateway, tst=T0, inregions=["home"], SSID="x")
    [loc] = await get_json(http, gateway, "/api/0/last", fields="lat,tst,ssid,nosuchfield")
    assert loc == {"lat": 46.15, "tst": T0, "SSID": "x"}
    [full] = await get_json(http, gateway, "/api/0/last")
    assert full["inregions"] == ["home"]


async def test_last_is_an_empty_array_when_nothing_is_there(http, gateway):
    assert (await get_json(http, gateway, "/api/0/last")) == []


# ----- locations


async def test_locations_json_shape_window_and_exclusive_bounds(http, gateway):
    for k in range(5):
        await pub(http, gateway, tst=T0 + 60 * k, vel=36)
    for z in ("", "Z"):  # with or without the Z, as people paste isotst
        body = await history(http, gateway, **{"from": iso(T0, z), "to": iso(T0 + 180, z)})
        assert [d["tst"] for d in body["data"]] == [T0 + 60, T0 + 120]  # bounds excluded
        assert body["count"] == 2 and body["status"] == 200 and "version" in body
    item = body["data"][0]
    assert isinstance(item["tst"], int) and item["isotst"] == iso(T0 + 60, "Z")
    assert item["inregions"] == [] and item["vel"] == 36 and item["tid"] == "ph"
    assert (item["username"], item["device"]) == ("alice", "phone")
    assert "face" not in item  # cards only in last and live pushes


async def test_locations_accepts_the_recorders_short_time_forms(http, gateway):
    await pub(http, gateway, tst=T0)           # 2023-11-14T22:13:20Z
    await pub(http, gateway, tst=T0 + 86400)   # 2023-11-15T22:13:20Z
    cases = {("2023-11-14T22:13", "2023-11-14T22:14"): [T0],
             ("2023-11-14T22", "2023-11-14T23"): [T0],
             ("2023-11-14", "2023-11-15"): [T0],
             ("2023-11", "2023-12"): [T0, T0 + 86400],
             ("2023-11-15t00:00:00z", "2023-11-16"): [T0 + 86400]}  # lower-case t and z
    for (start, end), expected in cases.items():
        body = await history(http, gateway, **{"from": start, "to": end})
        assert sorted(d["tst"] for d in body["data"]) == expected, (start, end)


async def test_locations_default_window_is_the_last_six_hours(http, gateway):
    now = int(time.time())
    await pub(http, gateway, tst=now - 8 * 3600)
    await pub(http, gateway, tst=now - 3600)
    body = await history(http, gateway)
    assert [d["tst"] for d in body["data"]] == [now - 3600]


async def test_locations_limit_gives_the_newest(http, gateway):
    for k in range(6):
        await pub(http, gateway, tst=T0 + 60 * k)
    body = await history(http, gateway, limit="2")
    assert sorted(d["tst"] for d in body["data"]) == [T0 + 240, T0 + 300]
    assert body["count"] == 2
    body = await history(http, gateway, limit="3", to=iso(T0 + 120))
    assert sorted(d["tst"] for d in body["data"]) == [T0, T0 + 60]


async def test_locations_fields(http, gateway):
    await pub(http, gateway, tst=T0, batt=50)
    body = await history(http, gateway, fields="tst,batt", **{"from": "2023-11-01"})
    assert body["data"] == [{"tst": T0, "batt": 50}]


async def test_locations_errors_like_the_recorder(http, gateway):
    required = await get_json(http, gateway, "/api/0/locations", status=416, user="alice")
    assert required == {"error": "user and device are required"}
    fmt = await get_json(http, gateway, "/api/0/locations", status=400, user="alice",
                         device="phone", format="kml")
    assert fmt == {"error": "unrecognized format"}
    swapped = await get_json(http, gateway, "/api/0/locations", status=416, user="alice",
                             device="phone", **{"from": "2024-01-02", "to": "2024-01-01"})
    assert swapped == {"error": "impossible date/time ranges"}
    unreadable = await get_json(http, gateway, "/api/0/locations", status=416, user="alice",
                                device="phone", **{"from": "yesterday"})
    assert "yesterday" in unreadable["error"]


async def test_geojson_and_linestring_parse_back(http, gateway):
    await pub(http, gateway, tst=T0 + 60, lat=46.2, lon=-1.2, alt=5, vel=10)
    await pub(http, gateway, tst=T0, lat=46.1, lon=-1.1)  # arrives late: line stays in order
    window = {"from": "2023-11-01", "to": "2023-12-01"}
    ctype, text = await get_text(http, gateway, "/api/0/locations", user="alice",
                                 device="phone", format="geojson", **window)
    collection = json.loads(text)
    assert collection["type"] == "FeatureCollection"
    first = next(f for f in collection["features"] if f["properties"]["tst"] == T0 + 60)
    assert first["geometry"] == {"type": "Point", "coordinates": [-1.2, 46.2]}
    assert first["properties"] == {"name": "ph", "tst": T0 + 60, "isotst": iso(T0 + 60, "Z"),
                                   "vel": 10, "acc": 10, "alt": 5}
    _, text = await get_text(http, gateway, "/api/0/locations", user="alice", device="phone",
                             format="linestring", **window)
    line = json.loads(text)
    assert line["type"] == "Feature" and line["properties"] == {}
    assert line["geometry"] == {"type": "LineString",
                                "coordinates": [[-1.1, 46.1], [-1.2, 46.2]]}


async def test_gpx_parses_back_as_gpx_11(http, gateway):
    await pub(http, gateway, tst=T0, lat=46.1, lon=-1.1, alt=7)
    await pub(http, gateway, tst=T0 + 60, lat=46.2, lon=-1.2)
    ctype, text = await get_text(http, gateway, "/api/0/locations", user="alice",
                                 device="phone", format="gpx", **{"from": "2023-11-01"})
    assert ctype.startswith("application/gpx+xml")
    root = ET.fromstring(text.encode())
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx" and root.get("version") == "1.1"
    points = root.findall("g:trk/g:trkseg/g:trkpt", GPX_NS)
    assert [(float(p.get("lat")), float(p.get("lon"))) for p in points] == [(46.1, -1.1),
                                                                          (46.2, -1.2)]
    assert points[0].findtext("g:time", namespaces=GPX_NS) == iso(T0, "Z")
    assert float(points[0].findtext("g:ele", namespaces=GPX_NS)) == 7
    assert points[1].find("g:ele", GPX_NS) is None  # no altitude sent, none invented


async def test_csv_with_and_without_fields(http, gateway):
    await pub(http, gateway, tst=T0, batt=80, inregions=["home", "work"])
    ctype, text = await get_text(http, gateway, "/api/0/locations", user="alice",
                                 device="phone", format="csv", **{"from": "2023-11-01"})
    assert ctype.startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["tst"], row["lat"], row["lon"], row["batt"], row["alt"]) == (
        str(T0), "46.15", "-1.15", "80", "")
    _, text = await get_text(http, gateway, "/api/0/locations", user="alice", device="phone",
                             format="csv", fields="isotst,inregions", **{"from": "2023-11-01"})
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["isotst", "inregions"], [iso(T0, "Z"), '["home","work"]']]


async def test_a_large_export_streams_complete(http, gateway):
    """More rows than one streamed chunk, in every format: nothing lost at chunk edges."""
    device = accounts.get_device(gateway.store.conn, "alice", "phone")
    n = 2345
    with gateway.store.transaction() as conn:
        st.insert_fixes(conn, device.id, device.member_id,
                        [Fix(ts=T0 + k, lat=46 + k / 1e5, lon=-1.0, acc=5.0) for k in range(n)],
                        "import:test")
    window = {"from": iso(T0 - 1), "to": iso(T0 + n)}
    body = await history(http, gateway, **window)
    assert body["count"] == n == len(body["data"])
    assert [d["tst"] for d in body["data"]] == list(range(T0, T0 + n))
    assert body["data"][0]["tid"] == device.tid  # no raw JSON: the device's own tid
    _, text = await get_text(http, gateway, "/api/0/locations", user="alice", device="phone",
                             format="csv", **window)
    assert len(list(csv.DictReader(io.StringIO(text)))) == n
    _, text = await get_text(http, gateway, "/api/0/locations", user="alice", device="phone",
                             format="gpx", **window)
    assert len(ET.fromstring(text.encode()).findall("g:trk/g:trkseg/g:trkpt", GPX_NS)) == n


# ----- login


@pytest.mark.parametrize("path", ["/api/0/version", "/api/0/list", "/api/0/last",
                                  "/api/0/locations?user=alice&device=phone"])
async def test_no_login_or_a_wrong_password_gets_401(http, gateway, path):
    await pub(http, gateway, tst=T0)
    for headers in ({}, basic("alice", "wrong password"),
                    basic("alice/phone", gateway.household.secrets["alice/phone"])):
        async with http.get(base_url(gateway) + path, headers=headers) as r:
            assert r.status == 401
            assert "46.15" not in await r.text()


async def test_websocket_needs_a_login(http, gateway):
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await http.ws_connect(base_url(gateway) + "/ws/last")
    assert exc.value.status == 401


async def test_session_cookie_from_the_login_form_works(gateway):
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await pub(session, gateway, tst=T0)
        async with session.post(base_url(gateway) + "/login", allow_redirects=False,
                                data={"name": "alice", "password": PASSWORD}) as r:
            assert r.status == 302
        [loc] = await get_json(session, gateway, "/api/0/last", headers=None)
        assert loc["username"] == "alice"


# ----- privacy


async def test_a_member_sees_nobody_else_unless_shared(http, gateway):
    await pub(http, gateway, "bob/phone", tst=T0, lat=48.85, lon=2.35, tid="bp")
    await pub(http, gateway, tst=T0)
    window = {"from": "2023-11-01"}

    async def alice_view():
        users = (await get_json(http, gateway, "/api/0/list"))["results"]
        devices = (await get_json(http, gateway, "/api/0/list", user="bob"))["results"]
        months = (await get_json(http, gateway, "/api/0/list", user="bob",
                                 device="phone"))["results"]
        last = await get_json(http, gateway, "/api/0/last")
        last_bob = await get_json(http, gateway, "/api/0/last", user="bob",
                                  fields="lat,lon,username")
        hist = await history(http, gateway, user="bob", **window)
        forced = await history(http, gateway, headers={**ALICE, "X-Limit-User": "bob"},
                               **window)
        _, gpx = await get_text(http, gateway, "/api/0/locations", user="bob",
                                device="phone", format="gpx", **window)
        return users, devices, months, last, last_bob, hist, forced, gpx

    users, devices, months, last, last_bob, hist, forced, gpx = await alice_view()
    assert users == ["alice"] and devices == [] and months == []
    assert [x["username"] for x in last] == ["alice"] and last_bob == []
    assert hist["data"] == [] and hist["count"] == 0
    assert forced["data"] == []
    assert "48.85" not in gpx
    # Bob still sees his own.
    assert [x["lat"] for x in await get_json(http, gateway, "/api/0/last", headers=BOB)] == [48.85]

    with gateway.store.transaction() as conn:
        accounts.show_to(conn, "bob", "alice")
    users, devices, months, last, last_bob, hist, forced, gpx = await alice_view()
    assert users == ["alice", "bob"] and devices == ["phone"] and months == ["2023-11"]
    assert sorted(x["username"] for x in last) == ["alice", "bob"]
    assert last_bob == [{"lat": 48.85, "lon": 2.35, "username": "bob"}]
    assert [d["lat"] for d in hist["data"]] == [48.85]
    assert [d["lat"] for d in forced["data"]] == [48.85]
    assert "48.85" in gpx
    # Sharing is one way: bob still does not see alice.
    assert (await get_json(http, gateway, "/api/0/list", headers=BOB))["results"] == ["bob"]


async def test_x_limit_headers_override_the_query(http, gateway):
    await pub(http, gateway, tst=T0)
    body = await get_json(http, gateway, "/api/0/locations",
                          headers={**ALICE, "X-Limit-User": "alice", "X-Limit-Device": "phone",
                                   "X-Limit-From": "2023-11-14", "X-Limit-To": "2023-11-15"},
                          user="nobody", device="nothing")
    assert [d["tst"] for d in body["data"]] == [T0]


# ----- websocket


async def next_json(ws, timeout: float = 10.0) -> dict:
    """The next JSON frame (the echoed command is not JSON)."""
    while True:
        msg = await ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        try:
            return json.loads(msg.data)
        except ValueError:
            continue


async def registered(ws) -> None:
    """Wait for the echo of a frame: from then on the socket gets every commit's pushes."""
    await ws.send_str("hello")
    assert (await ws.receive(timeout=10)).data == "hello"


async def test_ws_last_answers_last_and_pushes_new_locations(http, gateway):
    await pub(http, gateway, tst=T0)
    async with http.ws_connect(base_url(gateway) + "/ws/last", headers=ALICE) as ws:
        await ws.send_str("LAST")
        echo = await ws.receive(timeout=10)
        assert echo.data == "LAST"  # echoed like the Recorder; the frontend ignores it
        first = await next_json(ws)
        assert first["_type"] == "location" and first["tst"] == T0
        assert first["username"] == "alice" and first["name"] == "Alice"
        await pub(http, gateway, tst=T0 + 60, lat=46.3, vel=20)
        pushed = await next_json(ws)
    assert pushed["_type"] == "location"
    assert (pushed["tst"], pushed["lat"], pushed["vel"]) == (T0 + 60, 46.3, 20)
    assert pushed["topic"] == "owntracks/alice/phone" and pushed["inregions"] == []
    assert pushed["ghash"] == geohash(46.3, -1.15)


async def test_ws_pushes_transitions(http, gateway):
    async with http.ws_connect(base_url(gateway) + "/ws/last", headers=ALICE) as ws:
        await registered(ws)
        transition = {"_type": "transition", "event": "enter", "desc": "home", "tst": T0,
                      "wtst": T0 - 100, "lat": 46.15, "lon": -1.15, "acc": 10, "tid": "ph",
                      "t": "c"}
        async with http.post(base_url(gateway) + "/pub", json=transition,
                             headers=basic("alice/phone",
                                           gateway.household.secrets["alice/phone"])) as r:
            assert r.status == 200
        pushed = await next_json(ws)
    assert pushed["_type"] == "transition" and pushed["event"] == "enter"
    assert pushed["username"] == "alice" and pushed["desc"] == "home"


async def test_ws_never_pushes_what_the_member_may_not_see(http, gateway):
    async with http.ws_connect(base_url(gateway) + "/ws/last", headers=ALICE) as ws:
        await registered(ws)
        # Bob's location commits first: if it leaked, it would be the first push.
        await pub(http, gateway, "bob/phone", tst=T0, lat=48.85, lon=2.35)
        await pub(http, gateway, tst=T0, lat=46.15)
        pushed = await next_json(ws)
        assert (pushed["username"], pushed["lat"]) == ("alice", 46.15)
        with gateway.store.transaction() as conn:
            accounts.show_to(conn, "bob", "alice")
        await pub(http, gateway, "bob/phone", tst=T0 + 60, lat=48.86, lon=2.35)
        pushed = await next_json(ws)
    assert (pushed["username"], pushed["lat"]) == ("bob", 48.86)


async def test_ws_user_filter(http, gateway):
    with gateway.store.transaction() as conn:
        accounts.show_to(conn, "bob", "alice")
    async with http.ws_connect(base_url(gateway) + "/ws/last?user=bob", headers=ALICE) as ws:
        await registered(ws)
        await pub(http, gateway, tst=T0)  # alice's own, filtered out of this socket
        await pub(http, gateway, "bob/phone", tst=T0, lat=48.85, lon=2.35)
        pushed = await next_json(ws)
    assert pushed["username"] == "bob"


async def test_ws_pushes_every_location_in_commit_order(http, gateway):
    async with http.ws_connect(base_url(gateway) + "/ws/last", headers=ALICE) as ws:
        await registered(ws)
        for k in range(30):
            await pub(http, gateway, tst=T0 + k)
        seen = [(await next_json(ws))["tst"] for _ in range(30)]
    assert seen == [T0 + k for k in range(30)]


async def test_gateway_stops_with_a_socket_open(http, household):
    """An open live socket must not hold the shutdown (it closes with 1001)."""
    from gateway.service import Gateway
    from webui.app import make_app
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    ws = await http.ws_connect(base_url(gw) + "/ws/last", headers=ALICE)
    await asyncio.wait_for(gw.stop(), 30)
    msg = await ws.receive(timeout=10)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await ws.close()


def test_a_full_socket_backlog_drops_its_oldest():
    """The ingest hands pushes over without waiting: a client that does not read loses its
    oldest pushes (counted), never blocks the commit path nor grows without bound."""
    from webui.recorder_api import WS_QUEUE, _Client
    client = _Client(ws=None, member_id=1, user=None, device=None)
    for k in range(WS_QUEUE + 5):
        client.offer(k)
    assert client.dropped == 5
    assert client.queue.qsize() == WS_QUEUE
    assert client.queue.get_nowait() == 5


def _geohash_by_halving(lat: float, lon: float, precision: int) -> str:
    """The textbook definition, to check the fast encoder against."""
    ranges, chars, value, n = {"lon": [-180.0, 180.0], "lat": [-90.0, 90.0]}, "", 0, 0
    for i in range(5 * precision):
        name, coord = ("lon", lon) if i % 2 == 0 else ("lat", lat)
        lo, hi = ranges[name]
        mid = (lo + hi) / 2
        value = value * 2 + (coord >= mid)
        ranges[name] = [mid, hi] if coord >= mid else [lo, mid]
        n += 1
        if n == 5:
            chars += "0123456789bcdefghjkmnpqrstuvwxyz"[value]
            value = n = 0
    return chars


def test_geohash_agrees_with_the_definition_everywhere():
    import random
    rnd = random.Random(7)
    points = [(rnd.uniform(-90, 90), rnd.uniform(-180, 180)) for _ in range(2000)]
    points += [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (46.15, -1.15)]
    for precision in (1, 2, 5, 7, 12):
        for lat, lon in points:
            assert geohash(lat, lon, precision) == _geohash_by_halving(lat, lon, precision)


async def test_cors_credentials_only_for_configured_origins(http, household):
    """`*` for everyone (browsers then never send credentials: no other site can read a
    member's data); a configured frontend origin is echoed with credentials allowed."""
    from gateway.service import Gateway
    from webui.app import make_app
    household.config.extra["recorder_api"] = {"cors_origins": ["http://laptop:8081"]}
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    try:
        url = base_url(gw) + "/api/0/last"
        async with http.get(url, headers={**ALICE, "Origin": "http://laptop:8081"}) as r:
            assert r.headers["Access-Control-Allow-Origin"] == "http://laptop:8081"
            assert r.headers["Access-Control-Allow-Credentials"] == "true"
        async with http.get(url, headers={**ALICE, "Origin": "http://evil.example"}) as r:
            assert r.headers["Access-Control-Allow-Origin"] == "*"
            assert "Access-Control-Allow-Credentials" not in r.headers
    finally:
        await gw.stop()


async def test_ws_refuses_a_browser_page_from_another_site(http, gateway):
    """A page elsewhere must not open the member's live feed with their cached login."""
    url = base_url(gateway) + "/ws/last"
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await http.ws_connect(url, headers={**ALICE, "Origin": "http://evil.example"})
    assert exc.value.status == 403
    own = base_url(gateway)  # the box's own pages (and tools without Origin) may
    async with http.ws_connect(url, headers={**ALICE, "Origin": own}) as ws:
        await ws.send_str("LAST")
        assert (await ws.receive(timeout=10)).data == "LAST"
