"""The wire checks of link_wire.py catch what they look for: each violation is planted in an
otherwise clean capture (real signed messages, as a box makes them) and must be caught, so
that the end-to-end tests passing them means something."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carbon import summary_wire as wire
from gateway.outbox import keys

from link_city import Captured
from link_wire import check_capture

HEADERS = [("Host", "127.0.0.1:8470"), ("User-Agent", "selfdata-gateway"),
           ("Content-Type", "application/json"), ("Accept", "*/*"),
           ("Accept-Encoding", "gzip, deflate"), ("Content-Length", "500"), ("Connection", "close")]
FIXES = [(46.15122, -1.13651), (46.1602, -1.15146)]
NAMES = {"alice", "bob", "maison-dupont"}
_ports = iter(range(40000, 50000))


def _body(**changes):
    metres = dict.fromkeys(wire.FAMILIES, 0) | {"active": 38373, "car": 3142}
    grams = dict.fromkeys(wire.FAMILIES, 0) | {"active": 4, "car": 447}
    return {"factor_version": "2026-07", "trips": 23, "distance_m": metres, "co2e_g": grams,
            "avoided_co2e_g": 5457, "bike_days": 6, "commune": "17300", **changes}


def _summary(key, body=None, month="2026-03", **envelope):
    pseudonym = wire.pseudonym_of(key.public_key().public_bytes_raw())
    message = {**wire.envelope(pseudonym, "carbon-monthly", month, 1, body or _body()), **envelope}
    return keys.sign(key, message)


def _post(message, headers=HEADERS, raw: bytes | None = None):
    body = raw if raw is not None else wire.canonical(message)
    return Captured("POST", "/summaries", list(headers), body, ("127.0.0.1", next(_ports)))


def _clean():
    alice, bob = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    return alice, bob, [_post(_summary(alice)), _post(_summary(bob, month="2026-04")),
                        Captured("GET", "/studies", list(HEADERS[:5] + HEADERS[6:]), b"",
                                 ("127.0.0.1", next(_ports)))]


def test_a_clean_capture_passes():
    _alice, _bob, seen = _clean()
    assert len(check_capture(seen, NAMES, FIXES)) == 2


def _planted(seen, item, caught: str):
    with pytest.raises(AssertionError, match=caught):
        check_capture(seen + [item], NAMES, FIXES)


def test_a_coordinate_as_a_float_or_a_scaled_integer_is_caught():
    alice, _bob, seen = _clean()
    text = wire.canonical(_summary(alice)).decode().replace('"trips":23', '"trips":23,"lat":46.15122')
    _planted(seen, _post(None, raw=text.encode()), "decimal number")
    _planted(seen, _post(_summary(alice, _body(avoided_co2e_g=4615122))), "scaled coordinate")
    _planted(seen, _post(_summary(alice, _body(avoided_co2e_g=11365100))),   # -1.13651 x 10^7
             "scaled coordinate")


def test_a_finer_time_a_name_or_an_extra_field_is_caught():
    alice, _bob, seen = _clean()
    # the wire format itself has no room for epoch seconds (every figure is below 10^8)
    _planted(seen, _post(_summary(alice, _body(avoided_co2e_g=1_775_815_200))), "not a wire message")
    raw = wire.canonical(_summary(alice)).decode().replace('"2026-07"', '"2026-07-14"')
    _planted(seen, _post(None, raw=raw.encode()), "date with a day")
    _planted(seen, _post(_summary(alice, member="alice")), "not a wire message")
    _planted(seen, _post(_summary(alice, _body(factor_version="alice"))), "name")
    _planted(seen, _post(_summary(alice), headers=HEADERS + [("X-Box", "maison-dupont")]),
             "unexpected headers")


def test_anything_linking_two_members_is_caught():
    alice, bob, seen = _clean()
    # a value two members both send (here alice's signature in bob's message): it links them
    bobs = _summary(bob, month="2026-05")
    _planted(seen, _post({**bobs, "sig": json.loads(seen[0].body)["sig"]}), "both sent")
    _planted(seen, _post(_summary(bob), headers=HEADERS + [("Cookie", "box=1234567890")]),
             "unexpected headers")
    ua = [(k, "selfdata-gateway box-7f3a") if k == "User-Agent" else (k, v) for k, v in HEADERS]
    _planted(seen, _post(_summary(bob, month="2026-05"), headers=ua), "headers differ")
    reused = _post(_summary(bob, month="2026-06"))
    reused.peer = seen[0].peer                                   # one connection for two members
    _planted(seen, reused, "shared a connection")
