"""Bad input never hurts: 10,000 malformed or hostile payloads, generated from a fixed seed, go
through a real mosquitto AND through `POST /pub`, with a valid location after every nine of
them. Every valid one is stored, every bad one is rejected with its reason and counted, the
receivers keep running, and the gateway never crashes. The OsmAnd endpoint gets its own flood.

The rejections table is pruned to `ingest.keep_rejections` (10,000), so the MQTT side is
checked on the counters, on every reason still in the table, and on a final sample with one
payload of each kind; HTTP answers every request, so each reply's `X-Selfdata-Rejected` is
checked against the kind of payload sent.
"""
from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from dataclasses import dataclass

import aiohttp
import pytest

from harness import gateway_with_broker
from gateway import accounts
from helpers import Phone, basic, count_fixes, location, wait_for
from receivers.owntracks import decrypt, encrypt

SEED = 20240601
BAD = 10_000
VALID_EVERY = 10  # one valid location after every nine bad payloads
KEY = "household secret passphrase"
LIMIT = 512 * 1024


@dataclass
class Case:
    kind: str
    data: bytes
    reason: str          # a fragment of the expected rejection reason ("" for a valid one)
    keyed: bool = False  # sent by the device that has an encryption key
    subtopic: str = ""   # MQTT only
    chunked: bool = False  # HTTP only: no Content-Length

    @property
    def valid(self) -> bool:
        return not self.reason


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _nested(depth: int, rng: random.Random) -> str:
    opens = "".join(rng.choice("[{") for _ in range(depth))
    text = ""
    for o in reversed(opens):
        text = f'[{text}]' if o == "[" else f'{{"k":{text or "0"}}}'
    return text


class Hostile:
    """A seeded generator of bad payloads, each with the reason it must be refused for."""

    def __init__(self, seed: int, now: float):
        self.rng = random.Random(seed)
        self.now = int(now)

    def loc(self, **changes) -> dict:
        p = location(self.now - self.rng.randrange(60, 30 * 86400),
                     lat=round(self.rng.uniform(-89, 89), 6),
                     lon=round(self.rng.uniform(-179, 179), 6), batt=self.rng.randrange(101))
        p.update(changes)
        return {k: v for k, v in p.items() if v is not _DROP}

    # Each maker returns (bytes, reason fragment[, keyed]).
    def invalid_json(self):
        r = self.rng
        text = r.choice([
            '{"_type":"location","lat":46.1,}', "{'_type': 'location'}", '{_type:"location"}',
            '{"_type":"location" "lat":1}', '{"_type":"location","lat":01}', "[1,2,", "}{",
            '{"_type":"location","lat":46.1,"lon":-1.1,"tst":1700000000}}',
        ])
        if r.random() < 0.5:
            text = "{" + "".join(r.choice("abc:,\"' {}[]0123456789") for _ in range(r.randrange(1, 80)))
            text = text.replace("}", "") + '"'  # an open string and an open object: never JSON
        return text.encode(), "invalid JSON"

    def truncated(self):
        text = _dumps(self.loc(desc="x" * self.rng.randrange(0, 50)))
        return text[: self.rng.randrange(1, len(text) - 1)], "invalid JSON"

    def big_integer(self):
        digits = "9" * self.rng.randrange(4400, 20000)
        return f'{{"_type":"location","lat":1,"lon":1,"tst":{digits}}}'.encode(), "invalid JSON"

    def wrong_type(self):
        r = self.rng
        field = r.choice(["lat", "lon", "tst"])
        value = r.choice(["abc", "", "46,1", "12abc", {}, [], [46.1], {"v": 1}, None, "0x10",
                          "1_000", "nan", "inf", "-Infinity"])
        return _dumps(self.loc(**{field: value})), f"{field} is not a number"

    def type_not_string(self):
        value = self.rng.choice([1, None, ["location"], {"t": "location"}, 4.5])
        return _dumps(self.loc(_type=value)), "_type is not a string"

    def bool_as_number(self):
        field = self.rng.choice(["lat", "lon", "tst"])
        return _dumps(self.loc(**{field: self.rng.choice([True, False])})), f"{field} is not a number"

    def depth_bomb(self):
        r = self.rng
        depth = r.choice([33, 40, 100, 1000, 5000, 100_000])
        bomb = "[" * depth + "]" * depth if depth > 1000 else _nested(depth, r)
        if r.random() < 0.5:
            text = bomb
        else:
            text = _dumps(self.loc()).decode()[:-1] + f',"x":{bomb}}}'
        return text.encode(), "nested deeper than 32"

    def huge(self):
        size = LIMIT + self.rng.randrange(1, 200_000)
        head = _dumps(self.loc())[:-1] + b',"pad":"'
        return head + b"x" * (size - len(head) - 2) + b'"}', "payload too large"

    def not_finite(self):
        field = self.rng.choice(["lat", "lon", "tst", "acc"])
        word = self.rng.choice(["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
        text = _dumps(self.loc(**{field: "@@"})).decode().replace('"@@"', word)
        return text.encode(), "is not a finite number"

    def out_of_range(self):
        r = self.rng
        field, limit = r.choice([("lat", 90), ("lon", 180)])
        value = r.choice([limit + r.uniform(1e-6, 1e6), -limit - r.uniform(1e-6, 1e6),
                          str(limit + 1), 1e300, -1e300])
        return _dumps(self.loc(**{field: value})), f"{field} out of range"

    def tst_zero(self):  # Android's "no time"
        return _dumps(self.loc(tst=self.rng.choice([0, "0", 0.0]))), "tst is not a positive"

    def tst_negative(self):
        return _dumps(self.loc(tst=-self.rng.randrange(1, 10**12))), "tst is not a positive"

    def tst_future(self):
        ahead = self.rng.choice([2 * 86400, 365 * 86400, 10**10, 10**15])
        return _dumps(self.loc(tst=self.now + ahead + self.rng.randrange(1000))), "tst in the future"

    def not_an_object(self):
        value, kind = self.rng.choice([('"location"', "string"), ("42", "number"),
                                       ("null", "null"), ("true", "boolean"),
                                       ('"{\\"_type\\":\\"location\\"}"', "string")])
        return value.encode(), f"JSON {kind} where a message object was expected"

    def unknown_type(self):
        name = self.rng.choice(["teleport", "Location", "LOCATION", "locations", "encrypt", "",
                                "x" * 200, "location "])
        return _dumps(self.loc(_type=name)), "unknown _type"

    def no_type(self):
        p = self.loc()
        del p["_type"]
        return _dumps(p if self.rng.random() < 0.8 else {}), "no _type"

    def missing_coordinate(self):
        field = self.rng.choice(["lat", "lon"])
        return _dumps(self.loc(**{field: _DROP})), f"location without {field}"

    def not_utf8(self):
        r = self.rng
        never_utf8 = [0xff, 0xfe, 0xc0, 0xc1, 0xf5]
        junk = bytes(r.choice(never_utf8) for _ in range(r.randrange(1, 8)))
        if r.random() < 0.5:
            return _dumps(self.loc())[:-1] + b',"desc":"' + junk + b'"}', "not UTF-8"
        return junk + bytes(r.randrange(256) for _ in range(r.randrange(0, 64))), "not UTF-8"

    def lone_surrogate(self):
        return _dumps(self.loc(desc="@")).replace(b'"@"', b'"\\ud83d x"'), "lone UTF-16 surrogate"

    def array(self):
        items = [self.loc() for _ in range(self.rng.randrange(0, 4))]
        return _dumps(items), f"JSON array of {len(items)} message(s)"

    def command(self):
        action = self.rng.choice(["selfDestruct", "", None, 42, "REPORTLOCATION"])
        cmd = {"_type": "cmd", "action": action} if action is not None else {"_type": "cmd"}
        return _dumps(cmd), "phones do not send commands"

    def encrypted_garbage(self):
        r = self.rng
        choice = r.randrange(6)
        if choice == 0:
            data = base64.b64encode(r.randbytes(r.randrange(40, 400))).decode()
            return _dumps({"_type": "encrypted", "data": data}), "wrong key or corrupted data", True
        if choice == 1:
            data = base64.b64encode(r.randbytes(r.randrange(0, 40))).decode()
            return _dumps({"_type": "encrypted", "data": data}), "data too short", True
        if choice == 2:
            data = r.choice(["not base64!", "%%%%", "ÿÿÿÿ"])
            return _dumps({"_type": "encrypted", "data": data}), "data is not base64", True
        if choice == 3:  # encrypted with another key
            data = encrypt(_dumps(self.loc()), "not the household key")
            return _dumps({"_type": "encrypted", "data": data}), "wrong key or corrupted data", True
        if choice == 4:  # the right key around something that is not a message
            data = encrypt(b"{not json", KEY)
            return _dumps({"_type": "encrypted", "data": data}), "invalid JSON", True
        data = base64.b64encode(r.randbytes(80)).decode()  # a device without a key
        return _dumps({"_type": "encrypted", "data": data}), "no key for this device", False

    KINDS = {  # kind -> weight
        "invalid_json": 12, "truncated": 12, "big_integer": 1, "wrong_type": 10,
        "type_not_string": 2, "bool_as_number": 5, "depth_bomb": 3, "huge": 0.3,
        "not_finite": 6, "out_of_range": 8, "tst_zero": 3, "tst_negative": 3,
        "tst_future": 5, "not_an_object": 4, "unknown_type": 5, "no_type": 3,
        "missing_coordinate": 3, "not_utf8": 5, "lone_surrogate": 2, "array": 3,
        "command": 2, "encrypted_garbage": 6,
    }

    def make(self, kind: str) -> Case:
        out = getattr(self, kind)()
        return Case(kind, out[0], out[1], keyed=out[2] if len(out) > 2 else self.rng.random() < 0.3)

    def flood(self, n: int, *, first_tst: int, mqtt: bool) -> list[Case]:
        kinds, weights = list(self.KINDS), list(self.KINDS.values())
        cases, tst = [], first_tst
        for i in range(n):
            case = self.make(self.rng.choices(kinds, weights)[0])
            if mqtt and self.rng.random() < 0.01:  # a valid message on a topic phones never use
                case = Case("unknown_topic", _dumps(self.loc()), "unknown topic 'weird'",
                            subtopic="weird")
            elif not mqtt and case.kind == "huge" and self.rng.random() < 0.5:
                case.chunked = True
            cases.append(case)
            if i % (VALID_EVERY - 1) == VALID_EVERY - 2:
                cases.append(self.valid(tst))
                tst += 1
        return cases

    def valid(self, tst: int) -> Case:
        keyed = self.rng.random() < 0.5
        data = _dumps(location(tst, lat=round(self.rng.uniform(-60, 60), 5),
                               lon=round(self.rng.uniform(-170, 170), 5), vel=12, batt=80))
        if keyed and self.rng.random() < 0.5:
            data = _dumps({"_type": "encrypted", "data": encrypt(data, KEY)})
        return Case("valid", data, "", keyed=keyed)


_DROP = object()


# ----- the box under test


@pytest.fixture
async def box(tmp_path):
    """A real mosquitto and an in-process gateway; alice has a plain and an encrypting phone."""
    async with gateway_with_broker(tmp_path, {"secure": KEY}) as gw:
        yield gw


def _user(case: Case) -> str:
    return "alice/secure" if case.keyed else "alice/phone"


def _counts(gw, source: str) -> tuple[int, int]:
    return gw.ingest.counts[f"{source}.stored"], gw.ingest.counts[f"{source}.rejected"]


def _assert_alive(gw):
    assert gw.ingest._task is not None and not gw.ingest._task.done(), "the ingest writer died"
    assert gw.mqtt.connected, "the MQTT receiver is not connected"
    assert gw.mqtt.counts["handler_errors"] == 0


def _publish_flood(gw, cases: list[Case]) -> None:
    secrets = gw.household.secrets
    phones = {u: Phone(gw.config.mqtt.port, u, secrets[u]) for u in ("alice/phone", "alice/secure")}
    try:
        infos = []
        for case in cases:
            user = _user(case)
            topic = f"owntracks/{user}" + (f"/{case.subtopic}" if case.subtopic else "")
            infos.append(phones[user].publish(topic, case.data))
        for info in infos:
            info.wait_for_publish(60)
    finally:
        for phone in phones.values():
            phone.close()


async def _post_flood(gw, cases: list[Case], in_flight: int = 16) -> list[tuple[Case, int, str | None, bytes]]:
    url = f"http://127.0.0.1:{gw.web_port}/pub"
    auth = {u: basic(u, gw.household.secrets[u]) for u in ("alice/phone", "alice/secure")}
    results: list = [None] * len(cases)
    queue = list(enumerate(cases))[::-1]

    async def chunks(data: bytes):
        for i in range(0, len(data), 64 * 1024):
            yield data[i:i + 64 * 1024]

    async def worker(session):
        while queue:
            i, case = queue.pop()
            body = chunks(case.data) if case.chunked else case.data
            headers = {**auth[_user(case)], "Content-Type": "application/json"}
            async with session.post(url, data=body, headers=headers) as r:
                results[i] = (case, r.status, r.headers.get("X-Selfdata-Rejected"), await r.read())

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                     connector=aiohttp.TCPConnector(limit=in_flight)) as session:
        await asyncio.gather(*(worker(session) for _ in range(in_flight)))
    return results


def _friends_reply(case: Case, body: bytes) -> list:
    reply = json.loads(body)
    if case.keyed:  # the phone with a key gets its answer encrypted
        assert reply["_type"] == "encrypted"
        reply = json.loads(decrypt(reply["data"], KEY))
    assert isinstance(reply, list)
    return reply


# ----- the floods


async def test_hostile_flood_over_mqtt_and_http(box):
    gw = box
    now = time.time()
    gen = Hostile(SEED, now)
    base = int(now) - 20 * 86400
    mqtt_cases = gen.flood(BAD, first_tst=base, mqtt=True)
    http_cases = gen.flood(BAD, first_tst=base + 100_000, mqtt=False)
    mqtt_valid = sum(c.valid for c in mqtt_cases)
    http_valid = sum(c.valid for c in http_cases)
    assert len(mqtt_cases) - mqtt_valid == len(http_cases) - http_valid == BAD
    assert {c.kind for c in http_cases} >= set(Hostile.KINDS)  # every kind was generated

    # Both transports at once, as a household's phones would.
    publisher = asyncio.create_task(asyncio.to_thread(_publish_flood, gw, mqtt_cases))
    results = await _post_flood(gw, http_cases)
    await publisher
    await wait_for(lambda: sum(_counts(gw, "owntracks-mqtt")) >= len(mqtt_cases), timeout=90)
    await asyncio.sleep(0.5)  # nothing more may arrive

    # HTTP: every request answered 200; the bad ones name their reason.
    wrong = []
    for case, status, rejected, body in results:
        if status != 200 or (case.valid and rejected) or (
                not case.valid and (rejected is None or case.reason not in rejected)):
            wrong.append((case.kind, case.data[:80], status, rejected))
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:5]}"
    for case, _, _, body in results[:: 97]:
        assert all(isinstance(o, dict) and "_type" in o for o in _friends_reply(case, body))

    # Counters: exactly the bad ones rejected, exactly the valid ones stored, per transport.
    assert _counts(gw, "owntracks-http") == (http_valid, BAD)
    assert _counts(gw, "owntracks-mqtt") == (mqtt_valid, BAD)
    assert count_fixes(gw.config.db_path) == mqtt_valid + http_valid
    assert count_fixes(gw.config.db_path, "source = 'owntracks-mqtt'") == mqtt_valid
    assert gw.ingest.counts["owntracks-http.duplicates"] == 0

    # Every MQTT rejection still in the (pruned) table has one of the expected reasons.
    reasons = {c.reason for c in mqtt_cases if not c.valid}
    rows = gw.store.conn.execute("SELECT reason FROM rejections WHERE source = 'owntracks-mqtt'"
                                 ).fetchall()
    assert rows, "no MQTT rejection recorded"
    unexplained = [r[0] for r in rows if not any(frag in r[0] for frag in reasons)]
    assert not unexplained, unexplained[:5]
    _assert_alive(gw)


async def test_each_kind_of_bad_payload_is_recorded_with_its_reason(box):
    """The sample: one payload of each kind through each transport, then the rejections table
    (what `selfdata doctor` and the member's page show) holds the specific reason."""
    gw = box
    gen = Hostile(SEED + 1, time.time())
    samples = [gen.make(kind) for kind in Hostile.KINDS]
    samples.append(Case("unknown_topic", _dumps(gen.loc()), "unknown topic 'weird'",
                        subtopic="weird"))
    secrets = gw.household.secrets
    phones = {u: Phone(gw.config.mqtt.port, u, secrets[u]) for u in ("alice/phone", "alice/secure")}
    try:
        for case in samples:
            before = gw.ingest.counts["owntracks-mqtt.rejected"]
            user = _user(case)
            topic = f"owntracks/{user}" + (f"/{case.subtopic}" if case.subtopic else "")
            phones[user].publish(topic, case.data)
            await wait_for(lambda: gw.ingest.counts["owntracks-mqtt.rejected"] > before)
            row = gw.store.conn.execute("SELECT * FROM rejections ORDER BY id DESC LIMIT 1").fetchone()
            assert row["source"] == "owntracks-mqtt"
            assert case.reason in row["reason"], (case.kind, row["reason"])
            assert row["reason"].startswith(topic + ": ")
            assert row["payload_head"], case.kind
    finally:
        for phone in phones.values():
            phone.close()
    http = [c for c in samples if not c.subtopic]
    results = await _post_flood(gw, http, in_flight=1)
    rows = gw.store.conn.execute("SELECT * FROM rejections WHERE source = 'owntracks-http' "
                                 "ORDER BY id").fetchall()
    assert len(rows) == len(http)
    for (case, status, rejected, _), row in zip(results, rows):
        assert status == 200 and case.reason in rejected and case.reason in row["reason"], case.kind
        assert row["member_id"] == accounts.get_member(gw.store.conn, "alice").id
    # A member sees them on the home page's list: the table links each to its member.
    assert gw.ingest.counts["owntracks-http.rejected"] == len(http)
    _assert_alive(gw)


async def test_receivers_still_store_after_the_flood(box):
    """After garbage, giants and bombs on both transports, a phone's next position is stored."""
    gw = box
    gen = Hostile(SEED + 2, time.time())
    worst = [gen.make(k) for k in ("huge", "depth_bomb", "big_integer", "not_utf8",
                                   "encrypted_garbage") for _ in range(3)]
    await asyncio.to_thread(_publish_flood, gw, worst)
    await _post_flood(gw, worst)
    now = int(time.time())
    phone = Phone(gw.config.mqtt.port, "alice/phone", gw.household.secrets["alice/phone"])
    try:
        phone.publish("owntracks/alice/phone", location(now - 30))
        await wait_for(lambda: count_fixes(gw.config.db_path, "ts = ?", now - 30) == 1)
    finally:
        phone.close()
    async with aiohttp.ClientSession() as s:
        r = await s.post(f"http://127.0.0.1:{gw.web_port}/pub", json=location(now - 20),
                         headers=basic("alice/phone", gw.household.secrets["alice/phone"]))
        assert r.status == 200 and "X-Selfdata-Rejected" not in r.headers
        r = await s.get(f"http://127.0.0.1:{gw.web_port}/healthz")
        assert (await r.json())["mqtt_connected"] is True
    assert count_fixes(gw.config.db_path, "ts = ?", now - 20) == 1
    assert gw.ingest.counts["owntracks-mqtt.rejected"] == len(worst)
    assert gw.ingest.counts["owntracks-http.rejected"] == len(worst)
    _assert_alive(gw)


# ----- OsmAnd / Traccar Client


def _osmand_bad(rng: random.Random, now: int) -> tuple[dict, str]:
    good = {"lat": "46.16", "lon": "-1.15", "timestamp": str(now - rng.randrange(60, 86400))}
    field, value, reason = rng.choice([
        ("lat", "abc", "lat is not a number"), ("lat", "nan", "lat is not a number"),
        ("lon", "inf", "lon is not a number"), ("lat", "true", "lat is not a number"),
        ("lat", "91", "lat out of range"), ("lon", "-180.5", "lon out of range"),
        ("lat", "1e400", "lat is not a number"), ("lon", "", "position without lon"),
        ("lat", None, "position without lat"), ("timestamp", "0", "timestamp is not a positive epoch time"),
        ("timestamp", "-5", "timestamp is not a positive epoch time"),
        ("timestamp", str(now + 3 * 86400), "timestamp in the future"),
        ("timestamp", "yesterday", "timestamp is not epoch seconds"),
        ("timestamp", "9" * 40, "timestamp is not epoch seconds"),
        ("valid", "false", "marked invalid"),
    ])
    params = {**good, field: value}
    return {k: v for k, v in params.items() if v is not None}, reason


async def test_osmand_endpoint_refuses_bad_values(box):
    gw = box
    rng = random.Random(SEED + 3)
    now = int(time.time())
    url = f"http://127.0.0.1:{gw.web_port}/"
    auth = basic("alice/phone", gw.household.secrets["alice/phone"])
    bad = good = 0
    async with aiohttp.ClientSession() as s:
        for i in range(400):
            if i % VALID_EVERY == VALID_EVERY - 1:
                params = {"lat": "46.1", "lon": "-1.2", "timestamp": str(now - 100_000 + i),
                          "speed": "10", "batt": "77"}
                reason = None
                good += 1
            else:
                params, reason = _osmand_bad(rng, now)
                bad += 1
            params["id"] = "alice/phone"
            method = s.get if i % 2 else s.post  # both forms OsmAnd-protocol clients use
            async with method(url, params=params, headers=auth) as r:
                assert r.status == 200, (params, r.status)
                got = r.headers.get("X-Selfdata-Rejected")
                if reason is None:
                    assert got is None, (params, got)
                else:
                    assert got is not None and reason in got, (params, got)
        # Someone else's id with alice's phone credentials, or no credentials: 401, not stored.
        for headers in (auth, {}):
            r = await s.get(url, params={"id": "bob/phone", "lat": "1", "lon": "1",
                                         "timestamp": str(now)}, headers=headers)
            assert r.status == 401
    assert gw.ingest.counts["osmand.rejected"] == bad
    assert gw.ingest.counts["osmand.stored"] == good
    assert count_fixes(gw.config.db_path, "source = 'osmand'") == good
    assert gw.ingest.counts["osmand.unauthorized"] == 2
    row = gw.store.conn.execute("SELECT * FROM rejections WHERE source = 'osmand' "
                                "ORDER BY id DESC LIMIT 1").fetchone()
    assert row["reason"] and "secret" not in row["payload_head"]
    _assert_alive(gw)
