"""receivers.osmand: OsmAnd / Traccar Client query parameters and JSON bodies."""
from __future__ import annotations

import json
import random

import pytest

from carbon.fix import Fix
from receivers import payload
from receivers.osmand import Rejected, TraccarBody, parse_id, parse_json, parse_params
from receivers import owntracks

NOW = 1_717_200_000.0  # 2024-06-01T00:00:00Z
TS = 1_717_000_000


def test_same_rejected_as_owntracks():
    assert Rejected is owntracks.Rejected is payload.Rejected and owntracks.Fix is Fix


def test_traccar_client_query():
    query = (f"id=jane/phone&lat=46.16&lon=-1.15&timestamp={TS}&speed=10&bearing=90"
             "&altitude=12.5&accuracy=8&batt=77.6&charge=true&secret=x")
    notes: list[str] = []
    fix = parse_params(query, now=NOW, notes=notes)
    assert isinstance(fix, Fix) and parse_id(query) == ("jane", "phone")
    assert (fix.ts, fix.lat, fix.lon, fix.cog, fix.alt, fix.acc, fix.batt) == (
        TS, 46.16, -1.15, 90, 12.5, 8, 78)
    assert fix.vel == pytest.approx(5.144, abs=1e-3)  # 10 knots
    assert notes == [] and fix.raw is None  # the caller sets raw (without the secret)


def test_osmand_url_template_with_hdop_and_mapping():
    params = {"id": "Phone", "lat": "46.16", "lon": "-1.15", "timestamp": str(TS),
              "hdop": "15", "altitude": "3", "speed": "0"}
    fix = parse_params(params, now=NOW)
    assert parse_id(params) == (None, "phone")
    assert fix.acc == 15 and fix.vel == 0


def test_first_value_wins_and_parse_qs_lists():
    params = {"id": ["a/b", "c/d"], "lat": ["1"], "lon": ["2"]}
    assert parse_id(params) == ("a", "b") and parse_params(params, now=NOW).lat == 1


def test_parse_id_deviceid_and_case():
    assert parse_id("deviceid=Jane/Phone") == ("jane", "phone")
    assert parse_id({"id": " 48241179 "}) == (None, "48241179")


@pytest.mark.parametrize("query, reason", [
    ("lat=1", "no id"),
    ("id=", "no id"),
    ("id=a/b/c", "id must be <user>/<device> or <device>"),
    ("id=/d", "id must be"),
    ("id=" + "x" * 101, "id too long"),
])
def test_parse_id_rejections(query, reason):
    with pytest.raises(Rejected, match=reason):
        parse_id(query)


@pytest.mark.parametrize("timestamp, expected", [
    (str(TS), TS),
    (str(TS * 1000 + 250), TS),                       # epoch milliseconds
    ("2024-05-29T16:26:40Z", TS),
    ("2024-05-29T18:26:40+02:00", TS),
    ("2024-05-29T18:26:40 02:00", TS),                # '+' decoded as a space
    ("2024-05-29 16:26:40", TS),                      # zone-less: UTC
    ("2024-05-29T16:26:40.123Z", TS),
])
def test_timestamp_forms(timestamp, expected):
    got = parse_params({"id": "d", "lat": 1, "lon": 2, "timestamp": timestamp}, now=NOW)
    assert got.ts == expected


def test_missing_timestamp_uses_receive_time():
    notes: list[str] = []
    assert parse_params("lat=1&lon=2", now=NOW, notes=notes).ts == int(NOW)
    assert notes == ["no timestamp: receive time used"]


def test_location_parameter_and_speed_units():
    got = parse_params("?id=d&location=46.16,-1.15&speed=36", now=NOW, speed_unit="km/h")
    assert (got.lat, got.lon, got.vel) == (46.16, -1.15, 10.0)
    assert parse_params("id=d&lat=1&lon=2&speed=3", now=NOW, speed_unit="m/s").vel == 3
    with pytest.raises(ValueError):
        parse_params("id=d&lat=1&lon=2", now=NOW, speed_unit="mph")


def test_bad_optional_values_are_dropped_with_a_note():
    notes: list[str] = []
    got = parse_params(f"lat=1&lon=2&speed=-1&bearing=400&batt=abc&accuracy=0&timestamp={TS}",
                       now=NOW, notes=notes)
    assert (got.vel, got.cog, got.batt, got.acc) == (None, None, None, None)
    assert notes == ["speed out of range: \"-1\": ignored", "bearing out of range: \"400\": "
                         "ignored", 'batt is not a number: "abc": ignored']


@pytest.mark.parametrize("query, reason", [
    ("id=d&lon=2", "position without lat"),
    ("id=d", "position without lat and lon"),
    ("id=d&lat=91&lon=2", "lat out of range: \"91\""),
    ("id=d&lat=1&lon=nan", 'lon is not a number: "nan"'),
    ("id=d&lat=1&lon=inf", "lon is not a number"),
    ("id=d&lat=1&lon=2&timestamp=yesterday", "timestamp is not epoch seconds, milliseconds or"),
    ("id=d&lat=1&lon=2&timestamp=0", "timestamp is not a positive epoch time"),
    ("id=d&lat=1&lon=2&timestamp=1924992000", "timestamp in the future: 2031-01-01T00:00:00Z"),
    ("id=d&lat=1&lon=2&timestamp=1" + "0" * 40, "timestamp is not epoch seconds"),
    ("id=d&lat=1&lon=2&valid=false", "fix marked invalid"),
])
def test_rejections(query, reason):
    with pytest.raises(Rejected) as info:
        parse_params(query, now=NOW)
    assert reason in info.value.reason


def _traccar9(**location) -> bytes:
    base = {"timestamp": "2024-05-29T16:26:40.000Z",
            "coords": {"latitude": 46.16, "longitude": -1.15, "accuracy": 5, "speed": 4.2,
                       "heading": 180, "altitude": 20},
            "is_moving": True, "battery": {"level": 0.53, "is_charging": False},
            "activity": {"type": "on_bicycle"}}
    return json.dumps({"location": base | location, "device_id": "jane/phone"}).encode()


def test_traccar_client_json():
    body = parse_json(_traccar9(), now=NOW)
    assert isinstance(body, TraccarBody) and (body.user, body.device) == ("jane", "phone")
    [fix] = body.entries
    assert (fix.ts, fix.lat, fix.lon, fix.acc, fix.vel, fix.cog, fix.alt, fix.batt) == (
        TS, 46.16, -1.15, 5, 4.2, 180, 20, 53)
    assert fix.activity == "cycling" and json.loads(fix.raw)["is_moving"] is True


def test_traccar_client_json_unknowns_and_batches():
    coords = {"latitude": 1, "longitude": 2, "speed": -1, "heading": -1}
    body = parse_json(_traccar9(coords=coords, battery={"level": -1},
                                activity={"type": "still"}), now=NOW)
    [fix] = body.entries
    assert (fix.vel, fix.cog, fix.batt, fix.activity) == (None,) * 4 and body.notes == []
    body = {"device_id": "d", "location": [
        {"timestamp": "2024-05-29T16:26:40Z", "coords": {"latitude": 1, "longitude": 2}},
        {"timestamp": "2024-05-29T16:26:40Z", "coords": {"latitude": 100, "longitude": 2}},
        {"coords": {"latitude": 1, "longitude": 2}},
    ]}
    entries = parse_json(json.dumps(body).encode(), now=NOW).entries
    assert isinstance(entries[0], Fix) and (body["device_id"], entries[0].lat) == ("d", 1)
    reasons = [e.reason for e in entries[1:]]
    assert reasons == ["lat out of range: 100", "location without timestamp"]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty body"),
    (b"[1]", "not an object"),
    (b'{"location":{}}', "no id"),
    (b'{"device_id":"d"}', "without location"),
    (b'{"device_id":"d","location":{"coords":{"latitude":NaN}}}', "NaN is not a finite"),
    (b"x" * 70000, "payload too large"),
])
def test_json_rejections(data, reason):
    with pytest.raises(Rejected) as info:
        parse_json(data, now=NOW)
    assert reason in info.value.reason


def test_random_inputs_never_crash():
    rng = random.Random(7)
    alphabet = "0123456789.-+eE:TZ /abc%&=?,"
    names = ["id", "lat", "lon", "timestamp", "speed", "bearing", "altitude", "accuracy",
             "hdop", "batt", "location", "valid", "deviceid"]
    for _ in range(3000):
        fields = [(rng.choice(names), "".join(rng.choices(alphabet, k=rng.randint(0, 12))))
                  for _ in range(rng.randint(0, 8))]
        query = "&".join(f"{name}={value}" for name, value in fields)
        try:
            parse_id(query)
            got = parse_params(query, now=NOW)
        except Rejected:
            continue
        assert -90 <= got.lat <= 90 and isinstance(got.ts, int)
    seed = _traccar9()
    for _ in range(2000):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            entries = parse_json(bytes(data), now=NOW).entries
        except Rejected:
            continue
        assert all(isinstance(e, (Fix, Rejected)) for e in entries)
